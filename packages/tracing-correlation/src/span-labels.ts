/** Label names as Datadog's profiler writes them, so its UI links samples to traces and endpoints. */
export const SPAN_ID_LABEL = 'span id';
export const LOCAL_ROOT_SPAN_ID_LABEL = 'local root span id';
export const TRACE_ENDPOINT_LABEL = 'trace endpoint';

/**
 * How span ids are written: `decimal` (unsigned 64-bit, what Datadog's backend matches against
 * trace ids) or `hex` (16 digits, what OpenTelemetry exporters and Pyroscope show).
 */
export type SpanIdFormat = 'decimal' | 'hex';

/**
 * Labels of one span: reads like a plain object of strings; values are computed on first read.
 */
export type SpanLabels = Readonly<Record<string, string>>;

/** What is shared by every span under one local root. */
export interface LocalRoot {
  /** The root's span id in the configured format (computed once, on first read). */
  rootSpanId(): string;
  /** The endpoint as known now; undefined while neither a route nor a name is known. */
  endpoint(): string | undefined;
}

/** Labels used when no span is active: one frozen object, so setting it costs no allocation. */
export const NO_SPAN_LABELS: SpanLabels = Object.freeze({});

/** What a labels object reads its values from, on demand. */
interface LabelSource {
  readonly spanId: () => string;
  readonly root: LocalRoot;
  readonly keys: readonly string[];
  formattedSpanId?: string;
}

const ALL_KEYS = Object.freeze([SPAN_ID_LABEL, LOCAL_ROOT_SPAN_ID_LABEL, TRACE_ENDPOINT_LABEL]);
const ID_KEYS = Object.freeze([SPAN_ID_LABEL, LOCAL_ROOT_SPAN_ID_LABEL]);
const ENDPOINT_KEYS = Object.freeze([TRACE_ENDPOINT_LABEL]);

function labelValue(source: LabelSource, key: string | symbol): string | undefined {
  if (!source.keys.includes(key as string)) return undefined;
  try {
    if (key === SPAN_ID_LABEL) return (source.formattedSpanId ??= source.spanId());
    if (key === LOCAL_ROOT_SPAN_ID_LABEL) return source.root.rootSpanId();
    return source.root.endpoint();
  } catch {
    return undefined;
  }
}

/**
 * Reads like a frozen plain object of string labels (`Object.keys`, spread, property reads), but
 * computes each value when it is read. One shared handler: a labels object costs one small
 * allocation, where an object literal with getters costs a closure per label.
 */
const LABELS_HANDLER: ProxyHandler<LabelSource> = {
  get: (source, key) => labelValue(source, key),
  has: (source, key) => labelValue(source, key) !== undefined,
  ownKeys: (source) => [...source.keys],
  getOwnPropertyDescriptor: (source, key) => {
    const value = labelValue(source, key);
    return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
};

/**
 * Builds the labels of a span under `root`. Values are computed when read: the sampler reads
 * labels only for spans it happened to sample (a few per second) when it builds a period's
 * profile, while spans are activated thousands of times per second. That is also what makes a
 * route set late (by a router, at the end of the request) reach the request's earlier samples.
 */
export function spanLabels(spanId: () => string, root: LocalRoot, withSpanIds: boolean, withEndpoint: boolean): SpanLabels {
  const keys = withSpanIds ? (withEndpoint ? ALL_KEYS : ID_KEYS) : withEndpoint ? ENDPOINT_KEYS : undefined;
  if (!keys) return NO_SPAN_LABELS;
  return new Proxy<LabelSource>({ spanId, root, keys }, LABELS_HANDLER) as unknown as SpanLabels;
}

/** A 16-digit hex span id in the configured format. */
export function formatHexSpanId(hex: string, format: SpanIdFormat): string {
  if (format === 'hex') return hex;
  try {
    return BigInt(`0x${hex}`).toString(10);
  } catch {
    return hex;
  }
}
