import * as zlib from 'node:zlib';
import { decodeProfile, type Profile } from '@vigil/core';

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Decodes a pprof file as any of the profilers writes it: gzip or raw (core's decodeProfile), or
 * zstd, which dd-trace@6 uses on Node >= 22 (decompressed with node:zlib, which has zstd there).
 */
export function decodeAnyProfile(bytes: Uint8Array): Profile {
  if (ZSTD_MAGIC.every((b, i) => bytes[i] === b)) {
    const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
    if (!zstd) throw new Error('a zstd-compressed profile needs Node >= 22.15 to decode');
    return decodeProfile(zstd(bytes));
  }
  return decodeProfile(bytes);
}
