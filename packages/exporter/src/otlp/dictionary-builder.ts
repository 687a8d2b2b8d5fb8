import { toAnyValue, type AnyValueMessage, type OtlpAttributeValue } from './any-value';
import type { Int64Input } from './int64';

export interface MappingMessage {
  memoryStart?: Int64Input;
  memoryLimit?: Int64Input;
  fileOffset?: Int64Input;
  filenameStrindex?: number;
  attributeIndices?: number[];
}
export interface LineMessage {
  functionIndex: number;
  line: Int64Input;
  column: Int64Input;
}
export interface LocationMessage {
  mappingIndex?: number;
  address?: Int64Input;
  lines?: LineMessage[];
  attributeIndices?: number[];
}
export interface FunctionMessage {
  nameStrindex?: number;
  systemNameStrindex?: number;
  filenameStrindex?: number;
  startLine?: Int64Input;
}
export interface LinkMessage {
  traceId: Uint8Array;
  spanId: Uint8Array;
}
export interface KeyValueAndUnitMessage {
  keyStrindex?: number;
  value?: AnyValueMessage;
  unitStrindex?: number;
}
export interface StackMessage {
  locationIndices: number[];
}

/** The dictionary tables, in the order of their field numbers (each can be encoded on its own). */
export interface DictionaryMessage {
  mappingTable: MappingMessage[];
  locationTable: LocationMessage[];
  functionTable: FunctionMessage[];
  linkTable: LinkMessage[];
  stringTable: string[];
  attributeTable: KeyValueAndUnitMessage[];
  stackTable: StackMessage[];
}

/** A table whose entries are deduplicated by a key built from their content. */
class Table<T> {
  readonly entries: T[];
  private readonly index = new Map<string, number>();

  constructor(zero: T) {
    // Index 0 MUST be the zero value so that 0 can mean "not set" in every reference.
    this.entries = [zero];
    this.index.set('', 0);
  }

  intern(key: string, make: () => T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.entries.length;
      this.entries.push(make());
      this.index.set(key, i);
    }
    return i;
  }
}

const ZERO_TRACE_ID = new Uint8Array(16);
const ZERO_SPAN_ID = new Uint8Array(8);

/**
 * Builds the request-wide ProfilesDictionary: every table starts with its zero value and holds
 * no duplicates (the identity of an item is its content), so profiles of one batch that share
 * functions, stacks or label values (wall and cpu always do) share the entries.
 */
export class DictionaryBuilder {
  private readonly strings = new Table<string>('');
  private readonly mappings = new Table<MappingMessage>({});
  private readonly locations = new Table<LocationMessage>({});
  private readonly functions = new Table<FunctionMessage>({});
  // The spec recommends 16 and 8 zero bytes for link_table[0] over empty arrays, for codecs that expect fixed lengths.
  private readonly links = new Table<LinkMessage>({ traceId: ZERO_TRACE_ID, spanId: ZERO_SPAN_ID });
  private readonly attributes = new Table<KeyValueAndUnitMessage>({});
  private readonly stacks = new Table<StackMessage>({ locationIndices: [] });

  string(value: string): number {
    return this.strings.intern(value, () => value);
  }

  function(name: string, systemName: string, filename: string, startLine: Int64Input): number {
    const fields = [this.string(name), this.string(systemName), this.string(filename), String(startLine)];
    if (fields.every((f) => f === 0 || f === '0')) return 0;
    return this.functions.intern(fields.join(','), () => ({
      nameStrindex: fields[0] as number,
      systemNameStrindex: fields[1] as number,
      filenameStrindex: fields[2] as number,
      startLine,
    }));
  }

  mapping(memoryStart: Int64Input, memoryLimit: Int64Input, fileOffset: Int64Input, filename: string, attributeIndices: number[]): number {
    const filenameStrindex = this.string(filename);
    const key = `${String(memoryStart)},${String(memoryLimit)},${String(fileOffset)},${filenameStrindex},${attributeIndices.join(';')}`;
    if (key === '0,0,0,0,') return 0;
    return this.mappings.intern(key, () => ({ memoryStart, memoryLimit, fileOffset, filenameStrindex, attributeIndices }));
  }

  location(mappingIndex: number, address: Int64Input, lines: LineMessage[], attributeIndices: number[]): number {
    const key = `${mappingIndex},${String(address)},${lines.map((l) => `${l.functionIndex}:${String(l.line)}:${String(l.column)}`).join('|')},${attributeIndices.join(';')}`;
    if (key === '0,0,,') return 0;
    return this.locations.intern(key, () => ({ mappingIndex, address, lines, attributeIndices }));
  }

  /** A stack of location indices, leaf first. */
  stack(locationIndices: number[]): number {
    return this.stacks.intern(locationIndices.join(','), () => ({ locationIndices }));
  }

  /** An attribute (key, value and optional unit); the key and unit go to the string table. */
  attribute(key: string, value: OtlpAttributeValue, unit = ''): number {
    const keyStrindex = this.string(key);
    const unitStrindex = unit === '' ? 0 : this.string(unit);
    const id = `${keyStrindex},${unitStrindex},${valueKey(value)}`;
    return this.attributes.intern(id, () => ({ keyStrindex, value: toAnyValue(value), ...(unitStrindex ? { unitStrindex } : {}) }));
  }

  link(traceId: Uint8Array, spanId: Uint8Array): number {
    const key = `${idKey(traceId)},${idKey(spanId)}`;
    return this.links.intern(key, () => ({ traceId, spanId }));
  }

  build(): DictionaryMessage {
    return {
      mappingTable: this.mappings.entries,
      locationTable: this.locations.entries,
      functionTable: this.functions.entries,
      linkTable: this.links.entries,
      stringTable: this.strings.entries,
      attributeTable: this.attributes.entries,
      stackTable: this.stacks.entries,
    };
  }
}

/** Trace and span ids as map keys, cheaper than hex for the all-zero trace id every link of ours has. */
function idKey(bytes: Uint8Array): string {
  if (bytes.every((b) => b === 0)) return `0/${bytes.length}`;
  let key = '';
  for (const b of bytes) key += String.fromCharCode(b);
  return key;
}

/** A key that tells values of different types apart (the string "1" is not the integer 1). */
function valueKey(value: OtlpAttributeValue): string {
  if (typeof value === 'string') return `s:${value}`;
  if (typeof value === 'boolean') return `b:${value}`;
  if (typeof value === 'bigint') return `i:${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `i:${value}` : `d:${value}`;
  if (value instanceof Uint8Array) return `y:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return `a:[${value.map(valueKey).join(',')}]`;
  return `m:{${Object.entries(value as Record<string, OtlpAttributeValue>).map(([k, v]) => `${JSON.stringify(k)}=${valueKey(v)}`).join(',')}}`;
}
