import { Profile, sampleTypesOf, type SampleTypeSpec } from '@vigil/core';
import { HttpError } from '../http/http-error';

/** What the index keeps about a profile's content. */
export interface ProfileSummary {
  sampleTypes: SampleTypeSpec[];
  sampleCount: number;
  timeNanos: bigint;
  durationNanos: bigint;
}

/**
 * Decodes raw pprof protobuf and checks that it is internally consistent (string, function and
 * location references in range, one value per sample type), so a corrupt upload is refused at
 * the door rather than breaking a flame graph later.
 */
export function checkPprof(raw: Buffer, partName: string): { profile: Profile; summary: ProfileSummary } {
  const framingProblem = protobufFramingProblem(raw);
  if (framingProblem) throw bad(partName, `is not pprof protobuf (${framingProblem})`);
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
    },
  };
}

/**
 * Walks the top-level protobuf fields and checks each is well formed and ends inside the buffer.
 * The pprof decoder is lenient (a truncated message decodes into something); this is not.
 */
function protobufFramingProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'empty';
  let pos = 0;
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
  return undefined;
}

function bad(partName: string, problem: string): HttpError {
  return new HttpError(400, `profile part ${JSON.stringify(partName)} ${problem}`);
}
