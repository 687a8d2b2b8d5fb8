/**
 * Entry point of the detached uploader started by `startDetachedUpload`: reads its payload file,
 * deletes it, sends each request with retries until the deadline, and exits. It runs in its own
 * process after the profiled app has exited, so it may block and never logs anywhere.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import type { DetachedUploadPayload } from './detached-upload';
import { HttpTransport } from './http-transport';
import { sendWithRetry } from './send-with-retry';

/** After the deadline, the attempt in flight gets this long before the process is ended. */
const LAST_ATTEMPT_GRACE_MS = 2_000;
/** However the payload's deadline reads, this process never outlives this. */
const MAX_LIFETIME_MS = 120_000;

function readPayload(file: string): DetachedUploadPayload {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DetachedUploadPayload;
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // nothing to clean
    }
  }
}

async function main(payload: DetachedUploadPayload): Promise<void> {
  const transport = new HttpTransport(payload.target);
  try {
    for (const { bodyBase64, ...request } of payload.requests) {
      await sendWithRetry(transport, { ...request, body: Buffer.from(bodyBase64, 'base64') }, {
        policy: payload.policy,
        requestTimeoutMs: payload.requestTimeoutMs,
        deadlineMs: payload.deadlineMs,
        redact: (text) => text,
      });
    }
  } finally {
    transport.close();
  }
}

const file = process.argv[2];
if (file) {
  try {
    const payload = readPayload(file);
    // This process exists only to upload, and its sockets and backoff waits are unref'd (they are
    // the same code the app runs): without one ref'd timer it would exit during the first backoff
    // and never retry. This timer keeps it alive until the deadline, and ends it if a socket hangs.
    const lifetimeMs = Math.min(MAX_LIFETIME_MS, Math.max(0, payload.deadlineMs - Date.now()) + LAST_ATTEMPT_GRACE_MS);
    setTimeout(() => process.exit(1), lifetimeMs);
    main(payload).then(() => process.exit(0), () => process.exit(1));
  } catch {
    process.exit(1);
  }
}
