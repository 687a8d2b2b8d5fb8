import { gunzipSync } from 'node:zlib';
import { encodeProfileSync } from '@vigil/core';
import { wallProfile } from './profiles';

/**
 * A zstd frame whose header asks for a 1.875 GiB window (exponent 20, mantissa 7), followed by
 * `blocks` raw one-byte blocks. A decoder that allocates the window before checking it pays 2 GB.
 */
export function hostileZstdWindowFrame(blocks: number): Buffer {
  const header = [0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 << 3) | 7];
  const body: number[] = [];
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const blockHeader = (1 << 3) | last; // raw block of 1 byte
    body.push(blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff, 0x0a);
  }
  return Buffer.from([...header, ...body]);
}

/** `bytes` of valid protobuf that is one empty `sample` after another: millions of objects once decoded. */
export function wellFramedJunk(bytes: number): Buffer {
  const junk = Buffer.alloc(bytes - (bytes % 2));
  for (let i = 0; i < junk.length; i += 2) junk[i] = 0x12; // field 2 (sample), length 0
  return junk;
}

/** A real wall profile (raw protobuf) whose string table ends with one string of `stringBytes` bytes. */
export function stringTableBomb(stringBytes: number): Buffer {
  const raw = gunzipSync(encodeProfileSync(wallProfile(Date.now() - 60_000)));
  return Buffer.concat([raw, Buffer.from([0x32, ...varint(stringBytes)]), Buffer.alloc(stringBytes, 0x61)]);
}

export function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}
