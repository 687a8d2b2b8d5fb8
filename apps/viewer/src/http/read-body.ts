import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/**
 * Reads a whole request body into memory, refusing (413) anything past `maxBytes` as soon as the
 * declared length or the bytes received exceed it, so a huge upload never fills memory.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes, Number(declared)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > maxBytes) {
        chunks.length = 0;
        fail(tooLarge(maxBytes, received));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, received));
    });
    req.on('error', (error) => fail(new HttpError(400, `request body could not be read: ${error.message}`)));
    req.on('aborted', () => fail(new HttpError(400, 'request aborted by the client before the body was complete')));
  });
}

function tooLarge(maxBytes: number, seen: number): HttpError {
  return new HttpError(413, `request body of ${seen} bytes or more exceeds the limit of ${maxBytes} bytes`);
}
