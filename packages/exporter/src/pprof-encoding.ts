import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import type { Profile } from '@vigil/core';

const gzipAsync = promisify(gzip);
/** Profiles up to this many samples are protobuf-encoded synchronously (well under 1 ms). */
const SYNC_ENCODE_MAX_SAMPLES = 2_000;

/**
 * Encodes a profile as gzip-compressed pprof, adding `comments` without touching the profile
 * object (it is shared with the other exporters). Protobuf concatenation merges repeated fields,
 * so the comments travel as extra string-table entries plus one packed `comment` field appended to
 * the encoded message. Protobuf encoding yields to the event loop between sections and gzip runs on
 * the libuv thread pool, so the app's thread is held only briefly (see bench/).
 */
export async function encodePprof(profile: Profile, comments: readonly string[] = []): Promise<Buffer> {
  // Asynchronous encoding yields between sections, and each yield waits a full turn of the event
  // loop: behind a busy app, that is one of its synchronous chunks per section. A small profile
  // encodes in well under a millisecond, so it is encoded at once.
  const encoded = profile.sample.length <= SYNC_ENCODE_MAX_SAMPLES ? profile.encode() : await profile.encodeAsync();
  return gzipAsync(withComments(encoded, profile.stringTable.strings.length, comments));
}

/** Synchronous twin of `encodePprof`, for the exit path. */
export function encodePprofSync(profile: Profile, comments: readonly string[] = []): Buffer {
  return gzipSync(withComments(profile.encode(), profile.stringTable.strings.length, comments));
}

const STRING_TABLE_FIELD_TAG = (6 << 3) | 2;
const COMMENT_FIELD_TAG = (13 << 3) | 2;

function withComments(encoded: Uint8Array, stringCount: number, comments: readonly string[]): Uint8Array {
  if (comments.length === 0) return encoded;
  const extra: number[] = [];
  const indices: number[] = [];
  comments.forEach((comment, i) => {
    const bytes = Buffer.from(comment, 'utf8');
    extra.push(STRING_TABLE_FIELD_TAG, ...varint(bytes.length), ...bytes);
    indices.push(...varint(stringCount + i));
  });
  extra.push(COMMENT_FIELD_TAG, ...varint(indices.length), ...indices);
  return Buffer.concat([encoded, Buffer.from(extra)]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
