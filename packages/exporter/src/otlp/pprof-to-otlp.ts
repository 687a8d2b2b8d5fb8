import { randomBytes } from 'node:crypto';
import { PROFILER_VERSION, type NamedProfile, type Profile } from '@vigil/core';
import type { Label } from 'pprof-format';
import { toKeyValues, type KeyValueMessage, type OtlpAttributeValue } from './any-value';
import type { DictionaryBuilder, LineMessage } from './dictionary-builder';
import { toInt64, type Int64Input } from './int64';
import { PPROF_ATTRIBUTES, VIGIL_PROFILE_TYPE_ATTRIBUTE, VIGIL_SCOPE_NAME } from './pprof-attributes';
import { SPAN_ID_LABEL, spanIdBytes } from './span-link';

export interface ValueTypeMessage {
  typeStrindex: number;
  unitStrindex: number;
}
export interface SampleMessage {
  stackIndex: number;
  attributeIndices: number[];
  linkIndex: number;
  values: Int64Input[];
}
export interface ProfileMessage {
  sampleType: ValueTypeMessage;
  samples: SampleMessage[];
  timeUnixNano: Int64Input;
  durationNano: Int64Input;
  periodType?: ValueTypeMessage;
  period: Int64Input;
  profileId: Uint8Array;
  attributeIndices: number[];
}
export interface ScopeProfilesMessage {
  scope: { name: string; version: string; attributes: KeyValueMessage[] };
  profiles: ProfileMessage[];
}

/** Samples converted between two yields, so a big profile never holds the event loop for long. */
export const SAMPLES_PER_SLICE = 500;

const ZERO_TRACE_ID = new Uint8Array(16);

/**
 * Converts one pprof profile to a ScopeProfiles, as the OpenTelemetry pprof mapping does: one
 * OTLP Profile per pprof sample type (`Profile.sample_type` is singular), each with every sample
 * of the original in the original order (so they can be zipped back), stacks, locations,
 * functions, mappings and labels in the shared dictionary, the pprof fields OTLP lacks as
 * `pprof.*` attributes, and a Link for samples labelled with a `span id`.
 *
 * A generator: it yields between slices of samples so an async caller can let the event loop run;
 * a sync caller just drains it. Returns undefined for a profile without sample types.
 */
export function* scopeProfilesFor(dict: DictionaryBuilder, named: NamedProfile): Generator<void, ScopeProfilesMessage | undefined> {
  const p = named.profile;
  if (p.sampleType.length === 0) return undefined;
  const str = (index: number | bigint | undefined) => (index === undefined ? '' : p.stringTable.strings[Number(index)] ?? '');
  const locate = locationIndexer(dict, p, str);

  const labelOf = labelIndexer(dict, str);
  const identities: Array<Omit<SampleMessage, 'values'>> = new Array(p.sample.length);
  for (let j = 0; j < p.sample.length; j++) {
    const sample = p.sample[j]!;
    const stackIndex = dict.stack(sample.locationId.map(locate));
    const attributeIndices: number[] = [];
    const seenKeys: Array<number | bigint> = [];
    let linkIndex = 0;
    for (const label of sample.label) {
      // An attribute set must have unique keys; pprof allows repeats, which our collectors never write.
      if (Number(label.key) === 0 || seenKeys.includes(label.key)) continue;
      seenKeys.push(label.key);
      const converted = labelOf(label);
      attributeIndices.push(converted.attribute);
      if (converted.link !== 0) linkIndex = converted.link;
    }
    identities[j] = { stackIndex, attributeIndices, linkIndex };
    if ((j + 1) % SAMPLES_PER_SLICE === 0) yield;
  }

  const profileAttributes = profileAttributeIndices(dict, p, str, named.tags ?? {});
  const periodType = p.periodType && (Number(p.periodType.type) !== 0 || Number(p.periodType.unit) !== 0)
    ? { typeStrindex: dict.string(str(p.periodType.type)), unitStrindex: dict.string(str(p.periodType.unit)) }
    : undefined;
  const profiles: ProfileMessage[] = [];
  for (let i = 0; i < p.sampleType.length; i++) {
    const vt = p.sampleType[i]!;
    const samples: SampleMessage[] = new Array(p.sample.length);
    for (let j = 0; j < p.sample.length; j++) {
      const identity = identities[j]!;
      samples[j] = { stackIndex: identity.stackIndex, attributeIndices: identity.attributeIndices, linkIndex: identity.linkIndex, values: [toInt64(p.sample[j]!.value[i] ?? 0)] };
      if ((j + 1) % (SAMPLES_PER_SLICE * 4) === 0) yield;
    }
    profiles.push({
      sampleType: { typeStrindex: dict.string(str(vt.type)), unitStrindex: dict.string(str(vt.unit)) },
      samples,
      timeUnixNano: toInt64(p.timeNanos, true),
      durationNano: toInt64(p.durationNanos, true),
      ...(periodType ? { periodType } : {}),
      period: toInt64(p.period),
      profileId: randomBytes(16),
      attributeIndices: profileAttributes,
    });
  }

  const scopeAttributes: Record<string, OtlpAttributeValue> = {
    [VIGIL_PROFILE_TYPE_ATTRIBUTE]: named.type,
    // Profiles are written in the original order, so the order is the identity permutation.
    [PPROF_ATTRIBUTES.sampleTypeOrder]: p.sampleType.map((_, i) => i),
  };
  const defaultSampleType = str(p.defaultSampleType);
  if (defaultSampleType !== '') scopeAttributes[PPROF_ATTRIBUTES.defaultSampleType] = defaultSampleType;
  return { scope: { name: VIGIL_SCOPE_NAME, version: PROFILER_VERSION, attributes: toKeyValues(scopeAttributes) }, profiles };
}

/**
 * A pprof label as a dictionary attribute (and, for `span id`, a Link), converted once per distinct
 * label of the profile: labels repeat across thousands of samples.
 */
function labelIndexer(dict: DictionaryBuilder, str: (i: number | bigint | undefined) => string): (label: Label) => { attribute: number; link: number } {
  const stringLabels = new Map<number, Map<number, { attribute: number; link: number }>>();
  const convert = (label: Label) => {
    const key = str(label.key);
    const isString = Number(label.str) !== 0;
    const attribute = isString ? dict.attribute(key, str(label.str)) : dict.attribute(key, integer(label.num), str(label.numUnit));
    let link = 0;
    if (key === SPAN_ID_LABEL) {
      const spanId = spanIdBytes(isString ? str(label.str) : integer(label.num));
      // Our labels carry no trace id: the Link says "this span, trace unknown" with the invalid (zero) trace id.
      if (spanId) link = dict.link(ZERO_TRACE_ID, spanId);
    }
    return { attribute, link };
  };
  return (label) => {
    if (Number(label.str) === 0) return convert(label);
    const keyIndex = Number(label.key);
    let byValue = stringLabels.get(keyIndex);
    if (!byValue) stringLabels.set(keyIndex, (byValue = new Map()));
    const valueIndex = Number(label.str);
    let converted = byValue.get(valueIndex);
    if (!converted) byValue.set(valueIndex, (converted = convert(label)));
    return converted;
  };
}

/** pprof location id -> dictionary location index, converting each location (and its mapping and functions) once. */
function locationIndexer(dict: DictionaryBuilder, p: Profile, str: (i: number | bigint | undefined) => string): (id: number | bigint) => number {
  // Keyed by Number(id): pprof-format gives ids as number or bigint, and Map tells 5 from 5n.
  const functions = new Map(p.function.map((fn) => [Number(fn.id), fn]));
  const mappings = new Map(p.mapping.map((m) => [Number(m.id), m]));
  const locations = new Map(p.location.map((l) => [Number(l.id), l]));
  const mappingIndices = new Map<number, number>();
  const functionIndices = new Map<number, number>();
  const done = new Map<number, number>();

  const mappingIndex = (id: number | bigint): number => {
    const key = Number(id);
    let index = mappingIndices.get(key);
    if (index === undefined) {
      const m = mappings.get(key);
      if (!m) index = 0;
      else {
        const attributes: number[] = [];
        const buildId = str(m.buildId);
        if (buildId !== '') attributes.push(dict.attribute(PPROF_ATTRIBUTES.buildId, buildId));
        if (m.hasFunctions) attributes.push(dict.attribute(PPROF_ATTRIBUTES.hasFunctions, true));
        if (m.hasFilenames) attributes.push(dict.attribute(PPROF_ATTRIBUTES.hasFilenames, true));
        if (m.hasLineNumbers) attributes.push(dict.attribute(PPROF_ATTRIBUTES.hasLineNumbers, true));
        if (m.hasInlineFrames) attributes.push(dict.attribute(PPROF_ATTRIBUTES.hasInlineFrames, true));
        index = dict.mapping(toInt64(m.memoryStart, true), toInt64(m.memoryLimit, true), toInt64(m.fileOffset, true), str(m.filename), attributes);
      }
      mappingIndices.set(key, index);
    }
    return index;
  };

  const functionIndex = (id: number | bigint): number => {
    const key = Number(id);
    let index = functionIndices.get(key);
    if (index === undefined) {
      const fn = functions.get(key);
      index = fn ? dict.function(str(fn.name), str(fn.systemName), str(fn.filename), toInt64(fn.startLine)) : 0;
      functionIndices.set(key, index);
    }
    return index;
  };

  // pprof lists the main binary's mapping first and tools read its build id from there: enter the
  // mappings in their original order (those some location uses; orphans would be dropped anyway).
  const used = new Set(p.location.map((l) => Number(l.mappingId)));
  for (const m of p.mapping) if (used.has(Number(m.id))) mappingIndex(m.id);

  return (id) => {
    const key = Number(id);
    let index = done.get(key);
    if (index === undefined) {
      const location = locations.get(key);
      if (!location) index = 0;
      else {
        const lines: LineMessage[] = location.line.map((line) => ({
          functionIndex: functionIndex(line.functionId),
          line: toInt64(line.line),
          column: toInt64(line.column),
        }));
        const attributes = location.isFolded ? [dict.attribute(PPROF_ATTRIBUTES.isFolded, true)] : [];
        index = dict.location(Number(location.mappingId) === 0 ? 0 : mappingIndex(location.mappingId), toInt64(location.address, true), lines, attributes);
      }
      done.set(key, index);
    }
    return index;
  };
}

/** pprof fields without an OTLP field, and the profile's own tags (a worker's `thread id`), as profile attributes. */
function profileAttributeIndices(dict: DictionaryBuilder, p: Profile, str: (i: number | bigint | undefined) => string, tags: Readonly<Record<string, string>>): number[] {
  const indices: number[] = [];
  const comments = p.comment.map((c) => str(c));
  if (comments.length > 0) indices.push(dict.attribute(PPROF_ATTRIBUTES.comment, comments));
  for (const [name, value] of [
    [PPROF_ATTRIBUTES.dropFrames, str(p.dropFrames)],
    [PPROF_ATTRIBUTES.keepFrames, str(p.keepFrames)],
    [PPROF_ATTRIBUTES.docUrl, str(p.docUrl)],
  ] as const) {
    if (value !== '') indices.push(dict.attribute(name, value));
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith('pprof.')) indices.push(dict.attribute(key, value));
  }
  return indices;
}

/** A pprof number label value as an integer attribute value. */
function integer(value: number | bigint): number | bigint {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  return Number.isFinite(value) ? Math.trunc(value) : 0;
}
