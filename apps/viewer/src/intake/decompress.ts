import * as zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import { HttpError } from '../http/http-error';

type ZstdDecompress = (buffer: Buffer, options?: { maxOutputLength?: number }) => Buffer;

/**
 * `zlib.zstdDecompressSync` exists from Node 22.15 / 23.8. dd-trace uploads zstd by default from
 * Node 24 on, so older runtimes fall back to fzstd (pure JavaScript) rather than refuse them.
 */
const nativeZstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;

class OutputTooLarge extends Error {}

/** zstd decompression in JavaScript, stopped as soon as the output passes `maxOutputBytes`. */
function portableZstdDecompress(bytes: Buffer, maxOutputBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let ended = false;
  const stream = new ZstdStream((data, final) => {
    total += data.length;
    if (total > maxOutputBytes) throw new OutputTooLarge();
    chunks.push(Buffer.from(data));
    if (final) ended = true;
  });
  try {
    stream.push(bytes, true);
  } catch (error) {
    if (error instanceof OutputTooLarge) throw Object.assign(new Error('maxOutputLength exceeded'), { code: 'ERR_BUFFER_TOO_LARGE' });
    throw error;
  }
  if (!ended) throw new Error('unexpected end of zstd data');
  return Buffer.concat(chunks, total);
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** Which compression a profile part uses, from its magic number. */
export function detectCompression(bytes: Uint8Array): Compression {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * The raw protobuf of a profile part sent gzip-compressed, zstd-compressed or as is. Output is
 * capped at `maxOutputBytes` so a small compressed bomb cannot exhaust memory.
 */
export function decompressPart(bytes: Buffer, partName: string, maxOutputBytes: number): { raw: Buffer; compression: Compression } {
  const compression = detectCompression(bytes);
  try {
    if (compression === 'gzip') return { raw: zlib.gunzipSync(bytes, { maxOutputLength: maxOutputBytes }), compression };
    if (compression === 'zstd') {
      const raw = nativeZstdDecompressSync
        ? nativeZstdDecompressSync(bytes, { maxOutputLength: maxOutputBytes })
        : portableZstdDecompress(bytes, maxOutputBytes);
      return { raw, compression };
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|too large/i.test((error as Error).message)) {
      throw new HttpError(413, `part ${JSON.stringify(partName)} decompresses to more than ${maxOutputBytes} bytes`);
    }
    throw new HttpError(400, `part ${JSON.stringify(partName)} is not valid ${compression} data: ${(error as Error).message}`);
  }
  if (bytes.length > maxOutputBytes) throw new HttpError(413, `part ${JSON.stringify(partName)} exceeds ${maxOutputBytes} bytes`);
  return { raw: bytes, compression };
}
