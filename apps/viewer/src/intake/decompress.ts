import * as zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import { HttpError } from '../http/http-error';
import { readZstdFrames } from './zstd-frame';

type ZstdDecompress = (buffer: Buffer, options?: { maxOutputLength?: number; params?: Record<number, number> }) => Buffer;

/** zstd's own parameter for the largest window a decoder accepts (log2 of bytes). */
const ZSTD_D_WINDOW_LOG_MAX = (zlib.constants as unknown as Record<string, number>).ZSTD_d_windowLogMax ?? 100;

/** Limits on decompressing one profile part. */
export interface DecompressBudget {
  /** Largest decompressed size. */
  maxOutputBytes: number;
  /** Largest zstd window a frame may ask for; checked from the frame header before anything is allocated. */
  maxZstdWindowBytes: number;
}

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
export function decompressPart(bytes: Buffer, partName: string, budget: DecompressBudget): { raw: Buffer; compression: Compression } {
  const { maxOutputBytes, maxZstdWindowBytes } = budget;
  const compression = detectCompression(bytes);
  if (compression === 'zstd') {
    const frames = readZstdFrames(bytes);
    if (typeof frames === 'string') throw new HttpError(400, `part ${JSON.stringify(partName)} is not valid zstd data: ${frames}`);
    if (frames.largestWindowBytes > maxZstdWindowBytes) {
      throw new HttpError(413, `part ${JSON.stringify(partName)} asks for a zstd window of ${frames.largestWindowBytes} bytes; at most ${maxZstdWindowBytes} are allowed`);
    }
    if (frames.declaredContentBytes > maxOutputBytes) {
      throw new HttpError(413, `part ${JSON.stringify(partName)} declares ${frames.declaredContentBytes} bytes of content; it may decompress to at most ${maxOutputBytes}`);
    }
  }
  try {
    if (compression === 'gzip') return { raw: zlib.gunzipSync(bytes, { maxOutputLength: maxOutputBytes }), compression };
    if (compression === 'zstd') {
      const raw = nativeZstdDecompressSync
        ? nativeZstdDecompressSync(bytes, { maxOutputLength: maxOutputBytes, params: { [ZSTD_D_WINDOW_LOG_MAX]: Math.ceil(Math.log2(maxZstdWindowBytes)) } })
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
