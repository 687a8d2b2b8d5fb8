import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/** Bytes of request bodies the server holds at once, across all connections. */
export class BodyMemoryBudget {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  /** Takes `bytes` if they fit; false when the server already holds too much. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

export interface ReadBodyLimits {
  maxBytes: number;
  /** Longest pause between two chunks of the body. */
  idleTimeoutMs: number;
  /** Longest time for the whole body: a client trickling bytes cannot hold a connection longer. */
  deadlineMs: number;
  budget: BodyMemoryBudget;
}

/**
 * Reads a whole request body into memory. Refuses (413) anything past `maxBytes` as soon as the
 * declared length or the bytes received exceed it; 408 for a client too slow; 429 when the server
 * already holds its budget of bodies. Memory is counted as it arrives, so slow clients hold
 * almost nothing. Resolves with the body and a `release` to call once the body is no longer needed.
 */
export function readBody(req: IncomingMessage, limits: ReadBodyLimits): Promise<{ body: Buffer; release: () => void }> {
  const { maxBytes, budget } = limits;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes, Number(declared)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const release = () => {
      budget.give(received);
      received = 0;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(deadline);
      chunks.length = 0;
      release();
      reject(error);
    };
    const slow = () => fail(new HttpError(408, `the request body did not arrive in time (at most ${limits.idleTimeoutMs} ms between chunks, ${limits.deadlineMs} ms in all)`));
    let idleTimer = setTimeout(slow, limits.idleTimeoutMs);
    const deadline = setTimeout(slow, limits.deadlineMs);
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(slow, limits.idleTimeoutMs);
      if (received + chunk.length > maxBytes) return fail(tooLarge(maxBytes, received + chunk.length));
      if (!budget.take(chunk.length)) {
        return fail(Object.assign(new HttpError(429, 'busy: the viewer holds as many upload bodies as it may; retry shortly'), { retryAfterSeconds: 1 }));
      }
      received += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(deadline);
      resolve({ body: Buffer.concat(chunks, received), release });
    });
    req.on('error', (error) => fail(new HttpError(400, `request body could not be read: ${error.message}`)));
    req.on('aborted', () => fail(new HttpError(400, 'request aborted by the client before the body was complete')));
  });
}

function tooLarge(maxBytes: number, seen: number): HttpError {
  return new HttpError(413, `request body of ${seen} bytes or more exceeds the limit of ${maxBytes} bytes`);
}
