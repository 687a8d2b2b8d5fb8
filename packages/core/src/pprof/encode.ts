import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';

const gzipAsync = promisify(gzip);

/** Protobuf-encodes and gzips a profile synchronously (the exit path needs this). */
export function encodeProfileSync(profile: Profile): Buffer {
  return gzipSync(profile.encode());
}

/** Protobuf-encodes a profile (yielding between sections) and gzips it on the libuv thread pool. */
export async function encodeProfile(profile: Profile): Promise<Buffer> {
  return gzipAsync(await profile.encodeAsync());
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes a pprof file, gzip-compressed or not. Throws on bytes that are not a profile. */
export function decodeProfile(bytes: Uint8Array): Profile {
  return Profile.decode(isGzip(bytes) ? gunzipSync(bytes) : bytes);
}
