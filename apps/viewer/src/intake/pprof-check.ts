import { Profile, sampleTypesOf, type SampleTypeSpec } from '@vigil/core';
import { HttpError } from '../http/http-error';

/** What the index keeps about a profile's content. */
export interface ProfileSummary {
  sampleTypes: SampleTypeSpec[];
  sampleCount: number;
  timeNanos: bigint;
  durationNanos: bigint;
  /** See estimateDecodedBytes. */
  decodedBytesEstimate: number;
}

/**
 * Decodes raw pprof protobuf and checks that it is internally consistent (string, function and
 * location references in range, one value per sample type), so a corrupt upload is refused at
 * the door rather than breaking a flame graph later.
 */
export function checkPprof(raw: Buffer, partName: string, maxDecodedBytes = Infinity): { profile: Profile; summary: ProfileSummary } {
  const framing = scanProtobuf(raw, maxDecodedBytes);
  if (typeof framing === 'string') throw bad(partName, `is not pprof protobuf (${framing})`);
  if (framing.decodedBytesEstimate > maxDecodedBytes) {
    throw new HttpError(413, `profile part ${JSON.stringify(partName)} would take about ${framing.decodedBytesEstimate} bytes of memory once decoded; at most ${maxDecodedBytes} are allowed`);
  }
  let profile: Profile;
  try {
    profile = Profile.decode(raw);
  } catch (error) {
    throw bad(partName, `cannot be decoded as pprof protobuf (${(error as Error).message})`);
  }
  const strings = profile.stringTable.strings;
  const stringCount = strings.length;
  const inStrings = (index: unknown) => Number(index) >= 0 && Number(index) < stringCount;
  if (stringCount === 0 || strings[0] !== '') throw bad(partName, 'has no valid string table (entry 0 must be "")');
  if (profile.sampleType.length === 0) throw bad(partName, 'declares no sample types');
  for (const t of profile.sampleType) {
    if (!inStrings(t.type) || !inStrings(t.unit)) throw bad(partName, 'has a sample type outside the string table');
    if (strings[Number(t.type)] === '') throw bad(partName, 'has a sample type without a name');
  }
  const functionIds = new Set<string>();
  for (const fn of profile.function) {
    if (!inStrings(fn.name) || !inStrings(fn.filename) || !inStrings(fn.systemName)) throw bad(partName, `has function ${fn.id} with a name outside the string table`);
    functionIds.add(String(fn.id));
  }
  const locationIds = new Set<string>();
  for (const location of profile.location) {
    for (const line of location.line) {
      if (!functionIds.has(String(line.functionId))) throw bad(partName, `has location ${location.id} pointing at missing function ${line.functionId}`);
    }
    locationIds.add(String(location.id));
  }
  const valueCount = profile.sampleType.length;
  for (const sample of profile.sample) {
    if (sample.value.length !== valueCount) throw bad(partName, `has a sample with ${sample.value.length} values for ${valueCount} sample types`);
    for (const id of sample.locationId) {
      if (!locationIds.has(String(id))) throw bad(partName, `has a sample pointing at missing location ${id}`);
    }
    for (const label of sample.label) {
      if (!inStrings(label.key) || !inStrings(label.str) || !inStrings(label.numUnit)) throw bad(partName, 'has a label outside the string table');
    }
  }
  return {
    profile,
    summary: {
      sampleTypes: sampleTypesOf(profile),
      sampleCount: profile.sample.length,
      timeNanos: BigInt(profile.timeNanos),
      durationNanos: BigInt(profile.durationNanos),
      decodedBytesEstimate: framing.decodedBytesEstimate,
    },
  };
}

/**
 * JS heap a decoded pprof-format Profile takes, estimated from its raw protobuf without decoding
 * it: every top-level message (sample, location, function...) becomes an object with arrays, and
 * every byte inside can become an array element. Strings count twice (two-byte characters).
 * Deliberately high: it decides what is refused and what the cache holds.
 */
export function estimateDecodedBytes(raw: Uint8Array): number {
  const scan = scanProtobuf(raw);
  return typeof scan === 'string' ? raw.length * BYTES_PER_MESSAGE_BYTE : scan.decodedBytesEstimate;
}

/**
 * Estimated heap of any protobuf message decoded into objects (every top-level field a message), or
 * why it is not well framed. Stops counting once past `stopAboveBytes`.
 */
export function estimateMessageDecodedBytes(bytes: Uint8Array, stopAboveBytes: number): number | string {
  const scan = scanProtobuf(bytes, stopAboveBytes, -1);
  return typeof scan === 'string' ? scan : scan.decodedBytesEstimate;
}

/** Heap per decoded message object (measured about 150 bytes on Node 20 for a sample with its arrays). */
const BYTES_PER_MESSAGE = 200;
/** Heap per byte inside a message: each varint byte may be its own number in an array. */
const BYTES_PER_MESSAGE_BYTE = 16;
const STRING_TABLE_FIELD = 6;
/** Longest string a profile may hold: function names, file paths and label values are far shorter. */
const MAX_STRING_BYTES = 1024 * 1024;

/**
 * Walks the top-level protobuf fields and checks each is well formed and ends inside the buffer
 * (the pprof decoder is lenient: a truncated message decodes into something; this is not), and
 * estimates the heap the decoded profile will take. Returns the problem, or the estimate.
 */
function scanProtobuf(bytes: Uint8Array, stopAboveBytes = Infinity, stringField = STRING_TABLE_FIELD): string | { decodedBytesEstimate: number } {
  if (bytes.length === 0) return 'empty';
  let pos = 0;
  let decodedBytesEstimate = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= bytes.length) return undefined;
      const byte = bytes[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const start = pos;
    const key = varint();
    if (key === undefined) return `truncated field key at byte ${start}`;
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) return `field number 0 at byte ${start}`;
    switch (wireType) {
      case 0:
        if (varint() === undefined) return `truncated varint at byte ${start}`;
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const length = varint();
        if (length === undefined) return `truncated length at byte ${start}`;
        pos += length;
        if (field === stringField && length > MAX_STRING_BYTES) return `a string of ${length} bytes at byte ${start}; names and labels may have at most ${MAX_STRING_BYTES}`;
        decodedBytesEstimate += field === stringField ? 64 + 2 * length : BYTES_PER_MESSAGE + BYTES_PER_MESSAGE_BYTE * length;
        // Over budget already: the rest need not be read (a bomb of millions of empty messages).
        if (decodedBytesEstimate > stopAboveBytes) return { decodedBytesEstimate };
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        return `invalid wire type ${wireType} at byte ${start}`;
    }
    if (pos > bytes.length) return `field ${field} at byte ${start} runs past the end (${bytes.length} bytes): truncated`;
  }
  return { decodedBytesEstimate };
}

function bad(partName: string, problem: string): HttpError {
  return new HttpError(400, `profile part ${JSON.stringify(partName)} ${problem}`);
}
