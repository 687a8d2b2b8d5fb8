/**
 * Entry point of the detached uploader started by `startDetachedUpload`: reads its payload file,
 * deletes it, sends each request with retries until the deadline, and exits. It runs in its own
 * process after the profiled app has exited, so it may block and never logs anywhere.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import type { DetachedUploadPayload } from './detached-upload';
import { HttpTransport } from './http-transport';
import { sendWithRetry } from './send-with-retry';

async function main(file: string): Promise<void> {
  let payload: DetachedUploadPayload;
  try {
    payload = JSON.parse(readFileSync(file, 'utf8')) as DetachedUploadPayload;
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // nothing to clean
    }
  }
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
  // Hard stop in case a socket hangs past every timeout.
  const deadline = setTimeout(() => process.exit(1), 120_000);
  deadline.unref();
  main(file).then(() => process.exit(0), () => process.exit(1));
}
