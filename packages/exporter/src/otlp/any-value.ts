import { fromInt64, toInt64, type Int64Input } from './int64';

/**
 * An OpenTelemetry attribute value as Vigil reads and writes it: strings, booleans, integers
 * (number when safe, bigint past 2^53), doubles (non-integer numbers), byte arrays, arrays and
 * key-value lists.
 */
export type OtlpAttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | readonly OtlpAttributeValue[]
  | { readonly [key: string]: OtlpAttributeValue };

/** The AnyValue message as protobufjs encodes it (one field of the oneof set). */
export interface AnyValueMessage {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64Input;
  doubleValue?: number;
  arrayValue?: { values: AnyValueMessage[] };
  kvlistValue?: { values: KeyValueMessage[] };
  bytesValue?: Uint8Array;
  stringValueStrindex?: number;
}

export interface KeyValueMessage {
  key?: string;
  value?: AnyValueMessage;
  keyStrindex?: number;
}

/**
 * A JS value as AnyValue. Integers are `int_value`, other numbers `double_value`: an attribute
 * typed `int` by the semantic conventions (`process.pid`) must be given as an integer.
 */
export function toAnyValue(value: OtlpAttributeValue): AnyValueMessage {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: toInt64(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: toInt64(value) } : { doubleValue: value };
  if (value instanceof Uint8Array) return { bytesValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  return { kvlistValue: { values: Object.entries(value as Record<string, OtlpAttributeValue>).map(([key, v]) => ({ key, value: toAnyValue(v) })) } };
}

/** Key-value list (resource and scope attributes) from a record; keys are written inline, not by string index, so every receiver reads them. */
export function toKeyValues(record: Readonly<Record<string, OtlpAttributeValue>>): KeyValueMessage[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: toAnyValue(value) }));
}

/** A decoded AnyValue (a protobufjs message instance) as a JS value; `strings` resolves `string_value_strindex`. */
export function fromAnyValue(message: unknown, strings: readonly string[]): OtlpAttributeValue | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const m = message as Record<string, unknown>;
  // protobufjs sets a virtual `value` property to the name of the oneof field present.
  switch (m.value) {
    case 'stringValue':
      return String(m.stringValue);
    case 'boolValue':
      return Boolean(m.boolValue);
    case 'intValue':
      return fromInt64(m.intValue);
    case 'doubleValue':
      return Number(m.doubleValue);
    case 'bytesValue':
      return m.bytesValue as Uint8Array;
    case 'stringValueStrindex':
      return strings[Number(m.stringValueStrindex)] ?? '';
    case 'arrayValue': {
      const values = ((m.arrayValue as { values?: unknown[] } | undefined)?.values ?? []).map((v) => fromAnyValue(v, strings));
      return values.filter((v): v is OtlpAttributeValue => v !== undefined);
    }
    case 'kvlistValue':
      return fromKeyValues((m.kvlistValue as { values?: unknown[] } | undefined)?.values ?? [], strings);
    default:
      return undefined;
  }
}

/** Decoded KeyValue messages as a record; keys come inline or, for profiles, by string index. */
export function fromKeyValues(keyValues: readonly unknown[], strings: readonly string[]): Record<string, OtlpAttributeValue> {
  const out: Record<string, OtlpAttributeValue> = {};
  for (const kv of keyValues) {
    const m = kv as { key?: string; keyStrindex?: number; value?: unknown };
    const key = m.key ? m.key : strings[Number(m.keyStrindex ?? 0)] ?? '';
    const value = fromAnyValue(m.value, strings);
    if (key !== '' && value !== undefined && !(key in out)) out[key] = value;
  }
  return out;
}

/** A value as text, for pprof string labels and tags. */
export function attributeText(value: OtlpAttributeValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}
