import { formatHexSpanId, NO_SPAN_LABELS, spanLabels, type LocalRoot, type SpanIdFormat, type SpanLabels } from './span-labels';

/**
 * Correlation with the OpenTelemetry API, with no import of it: the API keeps its global state
 * (context manager, tracer provider) under a versioned symbol, and the active span under a
 * well-known context key, both shared by every copy of `@opentelemetry/api` 1.x in the process.
 */
const OTEL_API_GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const OTEL_SPAN_CONTEXT_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const INVALID_SPAN_ID = '0000000000000000';
/** Local spans remembered per generation to find a child's local root from its parent id. */
const REMEMBERED_SPANS_PER_GENERATION = 2_048;

interface OtelContext {
  getValue(key: symbol): unknown;
}
interface OtelContextManager {
  active(): OtelContext;
  with(context: OtelContext, fn: (...args: unknown[]) => unknown, thisArg?: unknown, ...args: unknown[]): unknown;
}
interface OtelSpanContext {
  traceId: string;
  spanId: string;
  isRemote?: boolean;
}
/** An API span; `name`, `attributes` and the parent are there on SDK spans (ReadableSpan). */
interface OtelSpan {
  spanContext(): OtelSpanContext;
  isRecording?(): boolean;
  name?: unknown;
  attributes?: Record<string, unknown>;
  /** SDK 2.x */
  parentSpanContext?: OtelSpanContext;
  /** SDK 1.x */
  parentSpanId?: string;
}

export interface SourceSettings {
  readonly spanIdFormat: SpanIdFormat;
  readonly withSpanIds: boolean;
  readonly withEndpoint: boolean;
  /** One labels object per local root (`span id` is the root's): cheaper, less detail. */
  readonly labelsPerLocalRoot: boolean;
  /** Called when a local root span ends, with its endpoint. */
  readonly onRootEnd: (endpoint: string) => void;
  /** Runs `fn` with `labels` as the sampler context (the sampler may be absent). */
  readonly runUnder: <R>(labels: SpanLabels, fn: () => R) => R;
}

/** True when the OpenTelemetry API has registered a global context manager. */
export function openTelemetryRegistered(): boolean {
  return globalContextManager() !== undefined;
}

function globalContextManager(): OtelContextManager | undefined {
  const registry = (globalThis as unknown as Record<symbol, { context?: OtelContextManager } | undefined>)[OTEL_API_GLOBAL_KEY];
  const manager = registry?.context;
  return manager && typeof manager.with === 'function' && typeof manager.active === 'function' ? manager : undefined;
}

/**
 * The endpoint of a root span: `METHOD route` for HTTP server spans that know their route
 * (old and new semantic conventions), else the route alone, else the span name.
 */
export function openTelemetryEndpointOf(span: OtelSpan): string | undefined {
  const attributes = span.attributes;
  const route = attributes?.['http.route'];
  if (typeof route === 'string' && route !== '') {
    const method = attributes?.['http.request.method'] ?? attributes?.['http.method'];
    return typeof method === 'string' && method !== '' ? `${method} ${route}` : route;
  }
  return typeof span.name === 'string' && span.name !== '' ? span.name : undefined;
}

class OtelLocalRoot implements LocalRoot {
  private formattedId: string | undefined;
  /** The labels of the root span itself, shared by its children with `labelsPerLocalRoot`. */
  labels: SpanLabels | undefined;

  constructor(private readonly hexId: string, private readonly spanIdFormat: SpanIdFormat, readonly span: OtelSpan) {}

  rootSpanId(): string {
    return (this.formattedId ??= formatHexSpanId(this.hexId, this.spanIdFormat));
  }

  /** Read live: instrumentations set `http.route` late, and an ended span keeps its attributes. */
  endpoint(): string | undefined {
    return openTelemetryEndpointOf(this.span);
  }
}

/** Local roots still running, bounded so a tracer that never ends spans cannot grow memory. */
const MAX_ROOTS_IN_FLIGHT = 65_536;
/** Where a span's labels and root are cached: a symbol property, far cheaper than a WeakMap entry per span. */
const RECORD_PROPERTY = Symbol('vigil.span-record');

interface SpanRecord {
  readonly labels: SpanLabels;
  readonly root: OtelLocalRoot;
}
type WithRecord = { [RECORD_PROPERTY]?: SpanRecord };

/**
 * Wraps the global context manager's `with`, through which every span activation goes
 * (`startActiveSpan`, `context.with`, `context.bind`, instrumentations), so the callback runs
 * under the span's labels; reads the active span for the async-hooks path and for lock events.
 */
export class OpenTelemetrySource {
  private manager: OtelContextManager | undefined;
  private wrappedWith: OtelContextManager['with'] | undefined;
  private originalWith: OtelContextManager['with'] | undefined;
  private hadOwnWith = false;
  private attached = false;
  /** Spans that refuse a property (frozen): their record is kept here instead. */
  private readonly recordsOfFrozenSpans = new WeakMap<object, SpanRecord>();
  /** Local roots seen active and not yet seen ended; `sweepEndedRoots` counts and drops them. */
  private rootsInFlight = new Set<OtelLocalRoot>();
  // Local roots by span id, for a child activated while its root is not the active span. Two
  // generations instead of an LRU: O(1) eviction (deleting the oldest key of a Map one by one makes
  // every lookup of the oldest walk over the holes), at most 2 x 2048 roots held.
  private rootsBySpanId = new Map<string, OtelLocalRoot>();
  private previousRootsBySpanId = new Map<string, OtelLocalRoot>();

  constructor(private readonly settings: SourceSettings) {}

  /** Wraps the registered context manager if it is new; true while one is wrapped. */
  attach(): boolean {
    this.attached = true;
    const manager = globalContextManager();
    if (!manager) return this.manager !== undefined;
    if (manager === this.manager && manager.with === this.wrappedWith) return true;
    this.unwrap();
    this.wrap(manager);
    return true;
  }

  /** Puts the original `with` back (when nobody wrapped it over ours) and stops counting. */
  detach(): void {
    this.attached = false;
    this.unwrap();
    this.rootsInFlight = new Set();
  }

  get isAttached(): boolean {
    return this.attached && this.manager !== undefined;
  }

  /** Labels of the span active in the current async context. */
  activeLabels(): SpanLabels | undefined {
    const manager = this.manager;
    if (!manager || !this.attached) return undefined;
    return this.labelsOfContext(manager.active());
  }

  /**
   * Labels of the span in `context`, computed once per span. `activeContext`, the context active
   * when `context` is being entered, usually holds the span's parent.
   */
  labelsOfContext(context: OtelContext | undefined, activeContext?: OtelContext): SpanLabels | undefined {
    const span = context?.getValue?.(OTEL_SPAN_CONTEXT_KEY) as OtelSpan | undefined;
    if (!span || typeof span !== 'object') return undefined;
    const cached = this.recordOf(span);
    if (cached) return cached.labels;
    const record = this.computeRecord(span, activeContext);
    if (record) {
      try {
        (span as WithRecord)[RECORD_PROPERTY] = record;
      } catch {
        this.recordsOfFrozenSpans.set(span, record);
      }
    }
    return record?.labels;
  }

  /**
   * Counts the local roots that ended since the last call (an SDK span stops recording when it
   * ends). Called on every poll tick and at the end of each period, so a root lands in the period
   * it ended in; the API has no span-end event to listen to without a user-installed processor.
   */
  sweepEndedRoots(): void {
    if (this.rootsInFlight.size === 0) return;
    for (const root of this.rootsInFlight) {
      let ended: boolean;
      try {
        ended = typeof root.span.isRecording === 'function' ? !root.span.isRecording() : true;
      } catch {
        ended = true;
      }
      if (!ended) continue;
      this.rootsInFlight.delete(root);
      const endpoint = root.endpoint();
      if (endpoint !== undefined && this.attached) this.settings.onRootEnd(endpoint);
    }
  }

  private recordOf(span: OtelSpan): SpanRecord | undefined {
    return (span as WithRecord)[RECORD_PROPERTY] ?? this.recordsOfFrozenSpans.get(span);
  }

  private computeRecord(span: OtelSpan, activeContext: OtelContext | undefined): SpanRecord | undefined {
    if (typeof span.spanContext !== 'function') return undefined;
    const spanContext = span.spanContext();
    const hexId = spanContext?.spanId;
    if (typeof hexId !== 'string' || hexId === INVALID_SPAN_ID) return undefined;
    const root = this.localRootOf(span, hexId, activeContext);
    const { spanIdFormat, withSpanIds, withEndpoint, labelsPerLocalRoot } = this.settings;
    if (labelsPerLocalRoot) {
      root.labels ??= spanLabels(() => root.rootSpanId(), root, withSpanIds, withEndpoint);
      return { labels: root.labels, root };
    }
    return { labels: spanLabels(() => formatHexSpanId(hexId, spanIdFormat), root, withSpanIds, withEndpoint), root };
  }

  /**
   * A span's local root: its parent's when the parent is a local span seen before, else the span
   * itself (no parent, a remote parent, or a parent never activated here).
   */
  private localRootOf(span: OtelSpan, hexId: string, activeContext: OtelContext | undefined): OtelLocalRoot {
    const parent = span.parentSpanContext;
    const parentId = parent ? (parent.isRemote ? undefined : parent.spanId) : span.parentSpanId;
    let root: OtelLocalRoot | undefined;
    if (parentId) {
      const active = activeContext?.getValue?.(OTEL_SPAN_CONTEXT_KEY) as OtelSpan | undefined;
      if (active && typeof active === 'object' && active.spanContext?.().spanId === parentId) {
        root = this.recordOf(active)?.root;
      }
      root ??= this.rootsBySpanId.get(parentId) ?? this.previousRootsBySpanId.get(parentId);
    }
    if (!root) {
      root = new OtelLocalRoot(hexId, this.settings.spanIdFormat, span);
      if (this.settings.withEndpoint) {
        if (this.rootsInFlight.size >= MAX_ROOTS_IN_FLIGHT) {
          // A burst between two sweeps, or roots the app never ends: count the ended ones now, and
          // if that frees nothing, forget the rest (never ended, they would never be counted).
          this.sweepEndedRoots();
          if (this.rootsInFlight.size >= MAX_ROOTS_IN_FLIGHT) this.rootsInFlight = new Set();
        }
        this.rootsInFlight.add(root);
      }
    }
    // Only roots are remembered by id: a child is nearly always activated under its parent (found
    // above through the active span), and a Map entry per span costs more than it finds.
    if (root.span === span) {
      if (this.rootsBySpanId.size >= REMEMBERED_SPANS_PER_GENERATION) {
        this.previousRootsBySpanId = this.rootsBySpanId;
        this.rootsBySpanId = new Map();
      }
      this.rootsBySpanId.set(hexId, root);
    }
    return root;
  }

  private wrap(manager: OtelContextManager): void {
    const originalWith = manager.with;
    const source = this;
    const wrappedWith = function withSpanLabels(this: unknown, context: OtelContext, fn: (...args: unknown[]) => unknown, thisArg?: unknown, ...args: unknown[]) {
      if (!source.attached) return originalWith.call(this, context, fn, thisArg, ...args);
      let labels: SpanLabels;
      try {
        labels = source.labelsOfContext(context, manager.active()) ?? NO_SPAN_LABELS;
      } catch {
        labels = NO_SPAN_LABELS;
      }
      return source.settings.runUnder(labels, () => originalWith.call(this, context, fn, thisArg, ...args));
    };
    this.hadOwnWith = Object.prototype.hasOwnProperty.call(manager, 'with');
    manager.with = wrappedWith;
    this.manager = manager;
    this.originalWith = originalWith;
    this.wrappedWith = wrappedWith;
  }

  private unwrap(): void {
    const manager = this.manager;
    if (!manager) return;
    // Someone wrapped over us: leave ours in place, it passes through while detached.
    if (manager.with === this.wrappedWith) {
      if (this.hadOwnWith) manager.with = this.originalWith!;
      else delete (manager as Partial<OtelContextManager>).with;
    }
    this.manager = undefined;
    this.wrappedWith = undefined;
    this.originalWith = undefined;
  }
}
