import type { NamedProfile } from '@vigil/core';
import { protobufLight } from './protobuf-light';
import { toKeyValues, type OtlpAttributeValue } from './any-value';
import { DictionaryBuilder, type DictionaryMessage } from './dictionary-builder';
import { scopeProfilesFor } from './pprof-to-otlp';
import { MESSAGE_NAMES, otlpType } from './profiles-proto';

/** What one ExportProfilesServiceRequest carries: profiles of one process and its resource. */
export interface OtlpRequestInput {
  readonly profiles: readonly NamedProfile[];
  /** Resource attributes (`service.name`, `process.pid`, ...). */
  readonly resource: Readonly<Record<string, OtlpAttributeValue>>;
}

// Field numbers of the messages framed by hand below.
const RESOURCE_PROFILES_RESOURCE_FIELD = 1;
const RESOURCE_PROFILES_SCOPE_PROFILES_FIELD = 2;
const SCOPE_PROFILES_PROFILES_FIELD = 2;
const REQUEST_RESOURCE_PROFILES_FIELD = 1;
const REQUEST_DICTIONARY_FIELD = 2;
const DICTIONARY_TABLES: ReadonlyArray<keyof DictionaryMessage> = ['mappingTable', 'locationTable', 'functionTable', 'linkTable', 'stringTable', 'attributeTable', 'stackTable'];

/** Entries (samples, table rows) encoded between two yields. */
const ENTRIES_PER_PIECE = 2_000;

/**
 * Encodes the request in pieces, yielding between them: the samples of each Profile and the rows
 * of each dictionary table are encoded a few thousand at a time, and the pieces are framed by
 * hand. That is valid protobuf (a message may be split between any of its fields, and repeated
 * fields concatenate); pieces are kept in field-number order, so the bytes are exactly those of a
 * one-shot encode. It lets the async path give the event loop back every few milliseconds instead
 * of holding it for one big encode.
 */
function* encodeSteps(input: OtlpRequestInput): Generator<void, Uint8Array> {
  const dict = new DictionaryBuilder();
  const scopeType = otlpType(MESSAGE_NAMES.scopeProfiles);
  const profileType = otlpType(MESSAGE_NAMES.profile);
  const resourceProfiles: Uint8Array[] = [lengthDelimited(RESOURCE_PROFILES_RESOURCE_FIELD, otlpType(MESSAGE_NAMES.resource).encode({ attributes: toKeyValues(input.resource) }).finish())];
  for (const named of input.profiles) {
    const scope = yield* scopeProfilesFor(dict, named);
    if (!scope) continue;
    const scopeParts: Uint8Array[] = [scopeType.encode({ scope: scope.scope }).finish()];
    for (const profile of scope.profiles) {
      const { sampleType, samples, ...rest } = profile;
      const parts: Uint8Array[] = [profileType.encode({ sampleType }).finish()];
      for (let i = 0; i < samples.length; i += ENTRIES_PER_PIECE) {
        parts.push(profileType.encode({ samples: samples.slice(i, i + ENTRIES_PER_PIECE) }).finish());
        yield;
      }
      parts.push(profileType.encode(rest).finish());
      scopeParts.push(lengthDelimited(SCOPE_PROFILES_PROFILES_FIELD, Buffer.concat(parts)));
    }
    resourceProfiles.push(lengthDelimited(RESOURCE_PROFILES_SCOPE_PROFILES_FIELD, Buffer.concat(scopeParts)));
    yield;
  }
  const dictionaryType = otlpType(MESSAGE_NAMES.dictionary);
  const built = dict.build();
  const dictionary: Uint8Array[] = [];
  for (const table of DICTIONARY_TABLES) {
    const rows: unknown[] = built[table];
    for (let i = 0; i < rows.length; i += ENTRIES_PER_PIECE) {
      dictionary.push(dictionaryType.encode({ [table]: rows.slice(i, i + ENTRIES_PER_PIECE) }).finish());
      yield;
    }
  }
  return Buffer.concat([
    lengthDelimited(REQUEST_RESOURCE_PROFILES_FIELD, Buffer.concat(resourceProfiles)),
    lengthDelimited(REQUEST_DICTIONARY_FIELD, Buffer.concat(dictionary)),
  ]);
}

/** A protobuf `ExportProfilesServiceRequest` (uncompressed) for the profiles, synchronously (the exit path). */
export function encodeOtlpRequestSync(input: OtlpRequestInput): Uint8Array {
  const steps = encodeSteps(input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same, giving the event loop back between pieces (every few thousand samples at most). */
export async function encodeOtlpRequest(input: OtlpRequestInput): Promise<Uint8Array> {
  const steps = encodeSteps(input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function lengthDelimited(field: number, bytes: Uint8Array): Uint8Array {
  return protobufLight().Writer.create().uint32((field << 3) | 2).bytes(bytes).finish();
}
