/**
 * Reads the headers of the zstd frames in a buffer without decompressing anything, so a frame
 * asking for a huge window (decoders allocate the window up front) is refused before any
 * allocation. Format: RFC 8878 section 3.1.
 */

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export interface ZstdFramesSummary {
  /** Largest window any frame asks for, in bytes. */
  largestWindowBytes: number;
  /** Sum of the content sizes the frames declare (frames that declare none count 0). */
  declaredContentBytes: number;
  frames: number;
}

/** Why the bytes are not a sequence of well-formed zstd frames, or a summary of their headers. */
export function readZstdFrames(bytes: Uint8Array): ZstdFramesSummary | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let largestWindowBytes = 0;
  let declaredContentBytes = 0;
  let frames = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return `truncated frame magic at byte ${pos}`;
    const magic = view.getUint32(pos, true);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > bytes.length) return `truncated skippable frame at byte ${pos}`;
      pos += 8 + view.getUint32(pos + 4, true);
      continue;
    }
    if (magic !== ZSTD_MAGIC) return `no zstd frame at byte ${pos}`;
    pos += 4;
    if (pos >= bytes.length) return 'truncated frame header';
    const descriptor = bytes[pos++]!;
    const contentSizeFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const hasChecksum = (descriptor >> 2) & 1;
    const dictionaryIdFlag = descriptor & 3;
    if ((descriptor >> 3) & 1) return 'reserved bit set in the frame header';
    let windowBytes = 0;
    if (!singleSegment) {
      if (pos >= bytes.length) return 'truncated window descriptor';
      const windowDescriptor = bytes[pos++]!;
      const windowBase = 2 ** (10 + (windowDescriptor >> 3));
      windowBytes = windowBase + (windowBase / 8) * (windowDescriptor & 7);
    }
    pos += [0, 1, 2, 4][dictionaryIdFlag]!;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!;
    if (pos + contentSizeBytes > bytes.length) return 'truncated frame header';
    let contentSize = 0;
    if (contentSizeBytes === 1) contentSize = bytes[pos]!;
    else if (contentSizeBytes === 2) contentSize = view.getUint16(pos, true) + 256;
    else if (contentSizeBytes === 4) contentSize = view.getUint32(pos, true);
    else if (contentSizeBytes === 8) contentSize = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 2 ** 32;
    pos += contentSizeBytes;
    if (singleSegment) windowBytes = contentSize;
    declaredContentBytes += contentSize;
    largestWindowBytes = Math.max(largestWindowBytes, windowBytes);
    frames++;
    // Blocks: a 3-byte header each; walking them finds truncation and the next frame.
    for (;;) {
      if (pos + 3 > bytes.length) return `truncated block header at byte ${pos}`;
      const header = bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16);
      pos += 3;
      const last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) return `reserved block type at byte ${pos - 3}`;
      pos += type === 1 ? 1 : size; // an RLE block holds one byte repeated `size` times
      if (pos > bytes.length) return `block at byte ${pos - 3} runs past the end: truncated`;
      if (last) break;
    }
    if (hasChecksum) pos += 4;
    if (pos > bytes.length) return 'truncated frame checksum';
  }
  if (frames === 0) return 'no zstd frame';
  return { largestWindowBytes, declaredContentBytes, frames };
}
