import { gunzipSync } from 'node:zlib';
import { isGzip, type NamedProfile } from '@vigil/core';
import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { attributeText, fromAnyValue, fromKeyValues, type OtlpAttributeValue } from './any-value';
import { fromInt64, sumInt64 } from './int64';
import { PPROF_ATTRIBUTES, VIGIL_PROFILE_TYPE_ATTRIBUTE } from './pprof-attributes';
import { MESSAGE_NAMES, otlpType } from './profiles-proto';
import { hexId, isZeroId, SPAN_ID_LABEL, TRACE_ID_LABEL } from './span-link';

/** One pprof profile decoded from an OTLP request, with where it came from. */
export interface OtlpDecodedProfile extends NamedProfile {
  /** Resource attributes of its ResourceProfiles (`service.name`, `process.pid`, ...). */
  readonly resource: Readonly<Record<string, OtlpAttributeValue>>;
  readonly scope: { readonly name: string; readonly version: string; readonly attributes: Readonly<Record<string, OtlpAttributeValue>> };
  /** Profile attributes other than the `pprof.*` ones (e.g. `thread id`), as text. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface OtlpDecodeOptions {
  /** Refuse requests larger than this once decompressed; default 64 MiB (the OTLP spec's recommended limit). */
  maxDecodedBytes?: number;
}

/** Thrown for bytes that are not a valid ExportProfilesServiceRequest (a receiver answers 400), or too large (413). */
export class OtlpDecodeError extends Error {
  constructor(message: string, readonly tooLarge = false) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

// Shapes of decoded protobufjs messages, as far as we read them (64-bit fields are Longs).
interface DecodedValueType { typeStrindex: number; unitStrindex: number }
interface DecodedSample { stackIndex: number; attributeIndices: number[]; linkIndex: number; values: unknown[]; timestampsUnixNano: unknown[] }
interface DecodedProfile {
  sampleType?: DecodedValueType | null;
  samples: DecodedSample[];
  timeUnixNano: unknown;
  durationNano: unknown;
  periodType?: DecodedValueType | null;
  period: unknown;
  attributeIndices: number[];
}
interface DecodedKeyValueAndUnit { keyStrindex: number; value?: unknown; unitStrindex: number }
interface DecodedDictionary {
  mappingTable: Array<{ memoryStart: unknown; memoryLimit: unknown; fileOffset: unknown; filenameStrindex: number; attributeIndices: number[] }>;
  locationTable: Array<{ mappingIndex: number; address: unknown; lines: Array<{ functionIndex: number; line: unknown; column: unknown }>; attributeIndices: number[] }>;
  functionTable: Array<{ nameStrindex: number; systemNameStrindex: number; filenameStrindex: number; startLine: unknown }>;
  linkTable: Array<{ traceId: Uint8Array; spanId: Uint8Array }>;
  stringTable: string[];
  attributeTable: DecodedKeyValueAndUnit[];
  stackTable: Array<{ locationIndices: number[] }>;
}
interface DecodedRequest {
  resourceProfiles: Array<{
    resource?: { attributes: unknown[] } | null;
    scopeProfiles: Array<{ scope?: { name: string; version: string; attributes: unknown[] } | null; profiles: DecodedProfile[] }>;
  }>;
  dictionary?: DecodedDictionary | null;
}

/**
 * Decodes an OTLP `ExportProfilesServiceRequest` (protobuf, gzip-compressed or not) into pprof
 * profiles, the inverse of what `otlpExporter` sends: the OTLP Profiles of one scope that describe
 * the same samples (one per sample type, as the pprof mapping writes them) become one pprof
 * profile again, in the order `pprof.scope.sample_type_order` gives; other profiles become one
 * pprof profile each. Sample attributes become labels (integers numeric, with their unit), a
 * sample's Link becomes `span id` / `trace id` labels (hex) unless the sample has a `span id`
 * label already. Throws OtlpDecodeError on malformed input.
 */
export function otlpToPprof(requestBytes: Uint8Array, options: OtlpDecodeOptions = {}): OtlpDecodedProfile[] {
  const maxBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  let raw: Uint8Array = requestBytes;
  if (isGzip(requestBytes)) {
    try {
      raw = gunzipSync(requestBytes, { maxOutputLength: maxBytes });
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|buffer.*too large/i.test(String((error as Error)?.message));
      throw new OtlpDecodeError(tooLarge ? `the request is larger than ${maxBytes} bytes once decompressed` : `the request is not valid gzip: ${(error as Error)?.message}`, tooLarge);
    }
  }
  if (raw.length > maxBytes) throw new OtlpDecodeError(`the request is larger than ${maxBytes} bytes`, true);

  let request: DecodedRequest;
  try {
    request = otlpType(MESSAGE_NAMES.request).decode(raw) as unknown as DecodedRequest;
  } catch (error) {
    throw new OtlpDecodeError(`not an OTLP ExportProfilesServiceRequest: ${(error as Error)?.message ?? String(error)}`);
  }
  const dict = request.dictionary ?? emptyDictionary();
  const out: OtlpDecodedProfile[] = [];
  request.resourceProfiles.forEach((rp, r) => {
    const resource = fromKeyValues(rp.resource?.attributes ?? [], dict.stringTable);
    rp.scopeProfiles.forEach((sp, s) => {
      const scopeAttributes = fromKeyValues(sp.scope?.attributes ?? [], dict.stringTable);
      const scope = { name: sp.scope?.name ?? '', version: sp.scope?.version ?? '', attributes: scopeAttributes };
      for (const group of groupProfiles(sp.profiles, scopeAttributes)) {
        const where = `resource ${r}, scope ${s}`;
        const { profile, tags } = new PprofAssembler(dict, where).assemble(group, scopeAttributes);
        out.push({ type: profileTypeName(scopeAttributes, profile), profile, tags, resource, scope });
      }
    });
  });
  return out;
}

function emptyDictionary(): DecodedDictionary {
  return { mappingTable: [], locationTable: [], functionTable: [], linkTable: [], stringTable: [''], attributeTable: [], stackTable: [] };
}

/**
 * Splits a scope's profiles into those that came from one pprof profile: all of them when every
 * profile has the same samples (stack, attribute set and link at every position) and the same
 * time, duration and period; otherwise one group per profile.
 */
function groupProfiles(profiles: DecodedProfile[], scopeAttributes: Record<string, OtlpAttributeValue>): DecodedProfile[][] {
  if (profiles.length <= 1) return profiles.length === 1 ? [profiles] : [];
  const first = profiles[0]!;
  const aligned = profiles.every((p) =>
    p.samples.length === first.samples.length &&
    String(p.timeUnixNano) === String(first.timeUnixNano) &&
    String(p.durationNano) === String(first.durationNano) &&
    String(p.period) === String(first.period) &&
    sameValueType(p.periodType, first.periodType) &&
    p.samples.every((sample, j) => sameIdentity(sample, first.samples[j]!)));
  if (!aligned) return profiles.map((p) => [p]);
  const order = scopeAttributes[PPROF_ATTRIBUTES.sampleTypeOrder];
  if (Array.isArray(order) && order.length === profiles.length) {
    const positions = order.map((v) => Number(v));
    const isPermutation = [...positions].sort((a, b) => a - b).every((v, i) => v === i);
    if (isPermutation) {
      const ordered: DecodedProfile[] = new Array(profiles.length);
      positions.forEach((originalIndex, k) => {
        ordered[originalIndex] = profiles[k]!;
      });
      return [ordered];
    }
  }
  return [profiles];
}

function sameValueType(a: DecodedValueType | null | undefined, b: DecodedValueType | null | undefined): boolean {
  return (a?.typeStrindex ?? 0) === (b?.typeStrindex ?? 0) && (a?.unitStrindex ?? 0) === (b?.unitStrindex ?? 0);
}

function sameIdentity(a: DecodedSample, b: DecodedSample): boolean {
  if (a.stackIndex !== b.stackIndex || a.linkIndex !== b.linkIndex || a.attributeIndices.length !== b.attributeIndices.length) return false;
  const set = new Set(b.attributeIndices);
  return a.attributeIndices.every((i) => set.has(i));
}

/** The Vigil profile type: the scope says it for our own uploads; otherwise the period type's name, else the first sample type's. */
function profileTypeName(scopeAttributes: Record<string, OtlpAttributeValue>, profile: Profile): string {
  const named = scopeAttributes[VIGIL_PROFILE_TYPE_ATTRIBUTE];
  const strings = profile.stringTable.strings;
  const fallback = (profile.periodType ? strings[Number(profile.periodType.type)] : undefined) || strings[Number(profile.sampleType[0]?.type ?? 0)] || 'profile';
  const raw = typeof named === 'string' && named !== '' ? named : fallback;
  // Exporters and the viewer use the type in file names: keep it short and path-safe.
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 64) || 'profile';
}

/** Builds one pprof profile from aligned OTLP profiles, converting each dictionary entry once. */
class PprofAssembler {
  private readonly strings = new StringTable();
  private readonly functions: PprofFunction[] = [];
  private readonly locations: Location[] = [];
  /** With their dictionary index: pprof's mapping order (main binary first) follows the dictionary's. */
  private readonly mappings: Array<{ index: number; mapping: Mapping }> = [];
  private readonly functionIds = new Map<number, number>();
  private readonly locationIds = new Map<number, number>();
  private readonly mappingIds = new Map<number, number>();

  constructor(private readonly dict: DecodedDictionary, private readonly where: string) {}

  assemble(group: DecodedProfile[], scopeAttributes: Record<string, OtlpAttributeValue>): { profile: Profile; tags: Record<string, string> } {
    const first = group[0]!;
    const samples = first.samples.map((sample, j) => new Sample({
      locationId: this.at(this.dict.stackTable, sample.stackIndex, 'stack').locationIndices.map((i) => this.locationId(i)),
      value: group.map((p) => sampleValue(p.samples[j]!)),
      label: this.labels(sample),
    }));
    const profileAttributes = this.attributes(first.attributeIndices);
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(profileAttributes)) if (!key.startsWith('pprof.')) tags[key] = attributeText(value);
    const comments = profileAttributes[PPROF_ATTRIBUTES.comment];
    const text = (key: string) => {
      const v = profileAttributes[key];
      return v === undefined ? 0 : this.strings.dedup(attributeText(v));
    };
    const defaultSampleType = scopeAttributes[PPROF_ATTRIBUTES.defaultSampleType];
    const periodType = first.periodType && (first.periodType.typeStrindex !== 0 || first.periodType.unitStrindex !== 0) ? this.valueType(first.periodType) : undefined;
    const profile = new Profile({
      sampleType: group.map((p) => this.valueType(p.sampleType ?? { typeStrindex: 0, unitStrindex: 0 })),
      sample: samples,
      mapping: this.mappings.sort((a, b) => a.index - b.index).map((m) => m.mapping),
      location: this.locations,
      function: this.functions,
      stringTable: this.strings,
      timeNanos: fromInt64(first.timeUnixNano),
      durationNanos: fromInt64(first.durationNano),
      ...(periodType ? { periodType } : {}),
      period: fromInt64(first.period),
      comment: (Array.isArray(comments) ? comments : comments === undefined ? [] : [comments]).map((c) => this.strings.dedup(attributeText(c))),
      dropFrames: text(PPROF_ATTRIBUTES.dropFrames),
      keepFrames: text(PPROF_ATTRIBUTES.keepFrames),
      docUrl: text(PPROF_ATTRIBUTES.docUrl),
      defaultSampleType: typeof defaultSampleType === 'string' && defaultSampleType !== '' ? this.strings.dedup(defaultSampleType) : 0,
    });
    return { profile, tags };
  }

  private at<T>(table: readonly T[], index: number, what: string): T {
    const entry = table[index];
    if (entry === undefined || index < 0) throw new OtlpDecodeError(`${this.where}: ${what} index ${index} is outside the ${what} table (${table.length} entries)`);
    return entry;
  }

  private string(index: number): string {
    return this.at(this.dict.stringTable, index, 'string');
  }

  private valueType(vt: DecodedValueType): ValueType {
    return new ValueType({ type: this.strings.dedup(this.string(vt.typeStrindex)), unit: this.strings.dedup(this.string(vt.unitStrindex)) });
  }

  /** Attributes by index as a record (the first of a repeated key wins). */
  private attributes(indices: readonly number[]): Record<string, OtlpAttributeValue> {
    const out: Record<string, OtlpAttributeValue> = {};
    for (const index of indices) {
      const attribute = this.at(this.dict.attributeTable, index, 'attribute');
      const key = this.string(attribute.keyStrindex);
      const value = fromAnyValue(attribute.value, this.dict.stringTable);
      if (key !== '' && value !== undefined && !(key in out)) out[key] = value;
    }
    return out;
  }

  private labels(sample: DecodedSample): Label[] {
    const labels: Label[] = [];
    const keys = new Set<string>();
    for (const index of sample.attributeIndices) {
      const attribute = this.at(this.dict.attributeTable, index, 'attribute');
      const key = this.string(attribute.keyStrindex);
      const value = fromAnyValue(attribute.value, this.dict.stringTable);
      if (key === '' || value === undefined || keys.has(key)) continue;
      keys.add(key);
      const keyIndex = this.strings.dedup(key);
      if (typeof value === 'number' && Number.isInteger(value) || typeof value === 'bigint') {
        const unit = attribute.unitStrindex ? this.string(attribute.unitStrindex) : '';
        labels.push(new Label({ key: keyIndex, num: value, numUnit: unit === '' ? 0 : this.strings.dedup(unit) }));
      } else {
        labels.push(new Label({ key: keyIndex, str: this.strings.dedup(attributeText(value)) }));
      }
    }
    if (sample.linkIndex !== 0) {
      const link = this.at(this.dict.linkTable, sample.linkIndex, 'link');
      if (!keys.has(SPAN_ID_LABEL) && !isZeroId(link.spanId)) {
        labels.push(new Label({ key: this.strings.dedup(SPAN_ID_LABEL), str: this.strings.dedup(hexId(link.spanId)) }));
      }
      if (!keys.has(TRACE_ID_LABEL) && !isZeroId(link.traceId)) {
        labels.push(new Label({ key: this.strings.dedup(TRACE_ID_LABEL), str: this.strings.dedup(hexId(link.traceId)) }));
      }
    }
    return labels;
  }

  private locationId(index: number): number {
    let id = this.locationIds.get(index);
    if (id === undefined) {
      const l = this.at(this.dict.locationTable, index, 'location');
      const attributes = this.attributes(l.attributeIndices);
      id = this.locations.length + 1;
      this.locations.push(new Location({
        id,
        mappingId: l.mappingIndex === 0 ? 0 : this.mappingId(l.mappingIndex),
        address: fromInt64(l.address),
        line: l.lines.map((line) => new Line({ functionId: line.functionIndex === 0 ? 0 : this.functionId(line.functionIndex), line: fromInt64(line.line), column: fromInt64(line.column) })),
        isFolded: attributes[PPROF_ATTRIBUTES.isFolded] === true,
      }));
      this.locationIds.set(index, id);
    }
    return id;
  }

  private functionId(index: number): number {
    let id = this.functionIds.get(index);
    if (id === undefined) {
      const fn = this.at(this.dict.functionTable, index, 'function');
      id = this.functions.length + 1;
      this.functions.push(new PprofFunction({
        id,
        name: this.strings.dedup(this.string(fn.nameStrindex)),
        systemName: this.strings.dedup(this.string(fn.systemNameStrindex)),
        filename: this.strings.dedup(this.string(fn.filenameStrindex)),
        startLine: fromInt64(fn.startLine),
      }));
      this.functionIds.set(index, id);
    }
    return id;
  }

  private mappingId(index: number): number {
    let id = this.mappingIds.get(index);
    if (id === undefined) {
      const m = this.at(this.dict.mappingTable, index, 'mapping');
      const attributes = this.attributes(m.attributeIndices);
      const buildId = attributes[PPROF_ATTRIBUTES.buildId];
      id = this.mappings.length + 1;
      this.mappings.push({ index, mapping: new Mapping({
        id,
        memoryStart: fromInt64(m.memoryStart),
        memoryLimit: fromInt64(m.memoryLimit),
        fileOffset: fromInt64(m.fileOffset),
        filename: this.strings.dedup(this.string(m.filenameStrindex)),
        buildId: buildId === undefined ? 0 : this.strings.dedup(attributeText(buildId)),
        hasFunctions: attributes[PPROF_ATTRIBUTES.hasFunctions] === true,
        hasFilenames: attributes[PPROF_ATTRIBUTES.hasFilenames] === true,
        hasLineNumbers: attributes[PPROF_ATTRIBUTES.hasLineNumbers] === true,
        hasInlineFrames: attributes[PPROF_ATTRIBUTES.hasInlineFrames] === true,
      }) });
      this.mappingIds.set(index, id);
    }
    return id;
  }
}

/** A sample's value for its profile's one sample type: the sum of its values, or its number of timestamps when it has only those. */
function sampleValue(sample: DecodedSample): number | bigint {
  if (sample.values.length > 0) return sumInt64(sample.values);
  return sample.timestampsUnixNano.length;
}
