import diagnosticsChannel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { NO_SPAN_LABELS, spanLabels, type LocalRoot, type SpanLabels } from './span-labels';
import type { SourceSettings } from './opentelemetry-source';

/**
 * Correlation with dd-trace's own tracer (v5). dd-trace keeps the active span in its "legacy"
 * AsyncLocalStorage (`packages/datadog-core`) and activates spans with `enterWith`, so that is
 * what we follow; root spans are seen finishing on its `dd-trace:span:finish` channel.
 */
const SPAN_FINISH_CHANNEL = 'dd-trace:span:finish';
/** Where a span's labels are cached (dd-trace caches its own profiling context on the span the same way). */
const LABELS_PROPERTY = Symbol('vigil.span-labels');
const DATADOG_CORE_MODULE = /[\\/]dd-trace[\\/]packages[\\/]datadog-core[\\/]index\.js$/;

interface DdIdentifier {
  toString(radix?: number): string;
}
interface DdSpanContext {
  _spanId?: DdIdentifier;
  _tags?: Record<string, unknown>;
  _trace?: { started?: DdSpan[] };
}
interface DdSpan {
  context(): DdSpanContext;
  _name?: unknown;
}
interface DdStore {
  span?: DdSpan;
}
interface DdStorage {
  getStore(): DdStore | undefined;
  enterWith(store: DdStore | undefined): void;
  run<R>(store: DdStore | undefined, fn: (...args: unknown[]) => R, ...args: unknown[]): R;
}

/** What the collector does when dd-trace's active span changes. */
export interface DdTraceHooks {
  /** dd-trace entered `labels` for the rest of the current async context. */
  readonly onEnter: (labels: SpanLabels) => void;
  /** dd-trace's `run` returned and restored the previous store (non-AsyncContextFrame refresh). */
  readonly onRunReturn: () => void;
}

/** True when dd-trace has been required in this process (its bootstrap sets `global._ddtrace`). */
export function ddTraceLoaded(): boolean {
  return (globalThis as { _ddtrace?: unknown })._ddtrace !== undefined;
}

function findDatadogCore(): { storage: unknown } | undefined {
  try {
    const requireFromHere = createRequire(`${process.cwd()}/`);
    const key = Object.keys(requireFromHere.cache).find((k) => DATADOG_CORE_MODULE.test(k));
    return key ? (requireFromHere.cache[key]?.exports as { storage: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The endpoint of a dd-trace root span: its resource; before a web span finishes (when dd-trace
 * sets the resource) `METHOD route` from its tags when the route is known; else its operation name.
 */
export function ddTraceEndpointOf(span: DdSpan): string | undefined {
  const tags = span.context()._tags;
  const resource = tags?.['resource.name'];
  if (typeof resource === 'string' && resource !== '') return resource;
  const route = tags?.['http.route'];
  const method = tags?.['http.method'];
  if (typeof route === 'string' && route !== '') return typeof method === 'string' && method !== '' ? `${method} ${route}` : route;
  return typeof span._name === 'string' && span._name !== '' ? span._name : undefined;
}

class DdLocalRoot implements LocalRoot {
  private formattedId: string | undefined;
  /** Shared by the whole request with `labelsPerLocalRoot`. */
  labels: SpanLabels | undefined;

  constructor(private readonly formatId: () => string | undefined, private readonly span: DdSpan) {}

  rootSpanId(): string {
    return (this.formattedId ??= this.formatId() ?? '');
  }

  endpoint(): string | undefined {
    return ddTraceEndpointOf(this.span);
  }
}

export class DdTraceSource {
  private storage: DdStorage | undefined;
  private originalEnterWith: DdStorage['enterWith'] | undefined;
  private originalRun: DdStorage['run'] | undefined;
  private wrappedEnterWith: DdStorage['enterWith'] | undefined;
  private wrappedRun: DdStorage['run'] | undefined;
  private attached = false;
  private readonly rootsBySpan = new WeakMap<object, DdLocalRoot>();
  private readonly onFinish = (message: unknown) => this.spanFinished(message as DdSpan);

  constructor(private readonly settings: SourceSettings, private readonly hooks: DdTraceHooks) {}

  /** Hooks into dd-trace's storage if it is loaded; true while hooked. */
  attach(): boolean {
    this.attached = true;
    if (this.storage) return true;
    // Scanning the module cache is not free in a large app: only once dd-trace announced itself.
    if ((globalThis as { _ddtrace?: unknown })._ddtrace === undefined) return false;
    const core = findDatadogCore();
    if (!core) return false;
    const storage = (typeof core.storage === 'function' ? (core.storage as (ns: string) => DdStorage)('legacy') : core.storage) as DdStorage | undefined;
    if (!storage || typeof storage.enterWith !== 'function' || typeof storage.getStore !== 'function') return false;
    this.wrapStorage(storage);
    diagnosticsChannel.subscribe(SPAN_FINISH_CHANNEL, this.onFinish);
    return true;
  }

  detach(): void {
    this.attached = false;
    const storage = this.storage;
    if (!storage) return;
    diagnosticsChannel.unsubscribe(SPAN_FINISH_CHANNEL, this.onFinish);
    // Restore only what is still ours; a wrapper someone put over ours stays and passes through.
    if (storage.enterWith === this.wrappedEnterWith) storage.enterWith = this.originalEnterWith!;
    if (storage.run === this.wrappedRun) storage.run = this.originalRun!;
    this.storage = undefined;
  }

  get isAttached(): boolean {
    return this.attached && this.storage !== undefined;
  }

  /** Labels of dd-trace's active span in the current async context. */
  activeLabels(): SpanLabels | undefined {
    if (!this.attached || !this.storage) return undefined;
    return this.labelsOfSpan(this.storage.getStore()?.span);
  }

  /** Labels of a dd-trace span, computed once per span. */
  labelsOfSpan(span: DdSpan | undefined): SpanLabels | undefined {
    if (!span || typeof span.context !== 'function') return undefined;
    const cached = (span as { [LABELS_PROPERTY]?: SpanLabels })[LABELS_PROPERTY];
    if (cached) return cached;
    const context = span.context();
    const spanIdentifier = context._spanId;
    if (!spanIdentifier || typeof spanIdentifier.toString !== 'function') return undefined;
    const rootSpan = context._trace?.started?.[0] ?? span;
    let root = this.rootsBySpan.get(rootSpan);
    if (!root) {
      root = new DdLocalRoot(() => this.formatId(rootSpan.context()._spanId), rootSpan);
      this.rootsBySpan.set(rootSpan, root);
    }
    const { withSpanIds, withEndpoint, labelsPerLocalRoot } = this.settings;
    const rootOfSpan = root;
    const labels = labelsPerLocalRoot
      ? (root.labels ??= spanLabels(() => rootOfSpan.rootSpanId(), root, withSpanIds, withEndpoint))
      : spanLabels(() => this.formatId(spanIdentifier) ?? '', root, withSpanIds, withEndpoint);
    try {
      (span as { [LABELS_PROPERTY]?: SpanLabels })[LABELS_PROPERTY] = labels;
    } catch {
      // a frozen span: labels are recomputed on each activation
    }
    return labels;
  }

  private formatId(id: DdIdentifier | undefined): string | undefined {
    if (!id || typeof id.toString !== 'function') return undefined;
    return this.settings.spanIdFormat === 'hex' ? id.toString(16).padStart(16, '0') : id.toString(10);
  }

  private spanFinished(span: DdSpan): void {
    if (!this.attached) return;
    try {
      const started = span.context()._trace?.started;
      if (started && started[0] !== span) return;
      const endpoint = ddTraceEndpointOf(span);
      if (endpoint !== undefined) this.settings.onRootEnd(endpoint);
    } catch {
      // a span of an unexpected shape: not counted
    }
  }

  private wrapStorage(storage: DdStorage): void {
    const source = this;
    const originalEnterWith = storage.enterWith;
    const originalRun = storage.run;
    const enterLabels = (store: DdStore | undefined) => {
      if (!source.attached) return;
      try {
        source.hooks.onEnter(source.labelsOfSpan(store?.span) ?? NO_SPAN_LABELS);
      } catch {
        // never break dd-trace's context switch
      }
    };
    this.wrappedEnterWith = function enterWithSpanLabels(this: DdStorage, store: DdStore | undefined) {
      const result = originalEnterWith.call(this, store);
      enterLabels(store);
      return result;
    };
    this.wrappedRun = function runWithSpanLabels<R>(this: DdStorage, store: DdStore | undefined, fn: (...args: unknown[]) => R, ...args: unknown[]): R {
      try {
        return originalRun.call(this, store, fn, ...args) as R;
      } finally {
        if (source.attached) {
          try {
            source.hooks.onRunReturn();
          } catch {
            // never break dd-trace's context switch
          }
        }
      }
    };
    storage.enterWith = this.wrappedEnterWith;
    storage.run = this.wrappedRun;
    this.originalEnterWith = originalEnterWith;
    this.originalRun = originalRun;
    this.storage = storage;
  }
}
