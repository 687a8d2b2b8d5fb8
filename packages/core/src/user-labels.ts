import { AsyncLocalStorage, createHook, type AsyncHook } from 'node:async_hooks';

/**
 * Labels of the app's own (`withLabels({ tenant: 'a' }, fn)`), carried by `fn` and its async
 * continuations, and merged into the sampler's context next to span labels, so CPU and wall
 * samples, I/O waits and lock waits all carry them. Process-wide state lives on globalThis under
 * versioned symbols so that duplicated installs of this package still meet.
 */

/** Labels an app gives its work. Values are strings (numbers and booleans are written as strings). */
export type UserLabels = Readonly<Record<string, string>>;

/** Distinct values kept per label name and period before further ones are written `(other)`. */
export const DEFAULT_MAX_LABEL_VALUES = 100;
/** How long one budget of distinct values lasts (the default upload period). */
const LABEL_BUDGET_WINDOW_MS = 60_000;
/** Label names an app cannot take over (they are the profiler's own). */
const RESERVED_LABELS = new Set(['span id', 'local root span id', 'trace endpoint', 'thread id', 'thread name', 'io kind', 'io operation', 'lock name']);
export const OTHER_LABEL_VALUE = '(other)';

/** What the sampler link needs of @vigil/v8-sampler's V8TimeSampler (structural: core has no dependency on it). */
interface ContextSampler {
  readonly usesAsyncContextFrame: boolean;
  setContext(labels: Readonly<Record<string, string | number>> | undefined): void;
  getContext(): Readonly<Record<string, string | number>> | undefined;
  runWithContext<R>(labels: Readonly<Record<string, string | number>>, fn: () => R): R;
}
const CURRENT_SAMPLER_KEY = Symbol.for('vigil.v8-time-sampler.current.v1');
const SPAN_LABELS_PROVIDER_KEY = Symbol.for('vigil.span-labels-provider.v1');
const STATE_KEY = Symbol.for('vigil.user-labels.v1');

type AnyLabels = Readonly<Record<string, string | number>>;
const NO_LABELS: AnyLabels = Object.freeze({});

/** One `withLabels` scope: its labels merged over the enclosing scope's, and the merges with span labels made from it. */
interface Scope {
  readonly labels: UserLabels;
  /** Span labels object -> the merge of it with `labels`, so the sampler sees one stable object per pair. */
  readonly merged: WeakMap<object, AnyLabels>;
}

interface State {
  store: AsyncLocalStorage<Scope> | undefined;
  hook: AsyncHook | undefined;
  /** The context the callback hook set last (thread-wide path), to undo it once out of any scope. */
  lastHookLabels: AnyLabels | undefined;
  maxValuesPerLabel: number;
  valuesByLabel: Map<string, Set<string>>;
  windowStartMs: number;
  dropped: number;
}

function state(): State {
  const holder = globalThis as unknown as Record<symbol, State | undefined>;
  return (holder[STATE_KEY] ??= {
    store: undefined,
    hook: undefined,
    lastHookLabels: undefined,
    maxValuesPerLabel: DEFAULT_MAX_LABEL_VALUES,
    valuesByLabel: new Map(),
    windowStartMs: Date.now(),
    dropped: 0,
  });
}

function runningSampler(): ContextSampler | undefined {
  const sampler = (globalThis as unknown as Record<symbol, ContextSampler | undefined>)[CURRENT_SAMPLER_KEY];
  return sampler && typeof sampler.runWithContext === 'function' ? sampler : undefined;
}

function providedSpanLabels(): AnyLabels | undefined {
  const provider = (globalThis as unknown as Record<symbol, (() => AnyLabels | undefined) | undefined>)[SPAN_LABELS_PROVIDER_KEY];
  if (!provider) return undefined;
  try {
    return provider();
  } catch {
    return undefined;
  }
}

/** The user labels of the current async context, or undefined outside any `withLabels`. */
export function currentUserLabels(): UserLabels | undefined {
  return state().store?.getStore()?.labels;
}

/**
 * `spanLabels` (span labels, or undefined/empty for none) merged with the current user labels, for
 * the sampler's context: the same object when there are no user labels (the hot path of span
 * activation does not change), else one merge per (scope, span labels) pair, reused. Span labels
 * win a name clash. Values of lazy span labels are read when the merge is read, not now.
 */
export function withUserLabels<T extends AnyLabels | undefined>(spanLabels: T): T | AnyLabels {
  const scope = state().store?.getStore();
  if (!scope) return spanLabels;
  if (!spanLabels || isEmpty(spanLabels)) return scope.labels;
  let merged = scope.merged.get(spanLabels);
  if (!merged) {
    merged = mergeLabels(scope.labels, spanLabels);
    scope.merged.set(spanLabels, merged);
  }
  return merged;
}

/** No own keys; read through `ownKeys` only, so lazy span label values are not computed. */
function isEmpty(labels: AnyLabels): boolean {
  return Reflect.ownKeys(labels).length === 0;
}

/** A read-only view of `under` overlaid by `over` (read live: lazy span values stay lazy). */
function mergeLabels(under: UserLabels, over: AnyLabels): AnyLabels {
  return new Proxy(over as Record<string, string | number>, {
    get: (target, key) => (typeof key === 'string' && key in target ? target[key] : typeof key === 'string' ? under[key] : undefined),
    has: (target, key) => key in target || key in under,
    ownKeys: (target) => [...new Set([...Object.keys(under), ...Reflect.ownKeys(target).filter((k): k is string => typeof k === 'string')])],
    getOwnPropertyDescriptor: (target, key) => {
      if (typeof key !== 'string') return undefined;
      const value = key in target ? target[key] : under[key];
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/**
 * Runs `fn` with `labels` on every profile sample taken while it, or any async continuation it
 * starts (awaits, timers, callbacks), runs: CPU, wall, I/O wait and lock samples, next to span
 * labels. Nested calls add to (and may override) the enclosing labels. Returns what `fn` returns.
 * Distinct values per label name are bounded per minute (default 100; `setMaxUserLabelValues`):
 * further values are written `(other)` and counted (`userLabelsDropped`). Names the profiler uses
 * itself (`span id`, `trace endpoint`, `thread id`...) are ignored. Costs about a microsecond per
 * call (bench: packages/core/bench/with-labels-cost.ts); with no profiler running it only runs `fn`
 * under the labels.
 */
export function withLabels<R>(labels: Readonly<Record<string, string | number | boolean>>, fn: () => R): R {
  const s = state();
  let scope: Scope;
  try {
    scope = { labels: admit(s, labels, s.store?.getStore()?.labels), merged: new WeakMap() };
  } catch {
    return fn();
  }
  const store = (s.store ??= new AsyncLocalStorage<Scope>());
  const sampler = runningSampler();
  if (!sampler) return store.run(scope, fn);
  // If the sampler fails before `fn` started, `fn` still runs (unlabelled); what `fn` throws is its own.
  let started = false;
  const run = () => {
    started = true;
    return fn();
  };
  return store.run(scope, () => {
    try {
      if (sampler.usesAsyncContextFrame) {
        // The sampler's own context store follows continuations: give it the merge for this scope.
        return sampler.runWithContext(withUserLabels(providedSpanLabels()) ?? scope.labels, run);
      }
      // A thread-wide sampler context: set it now, and at the start of every async callback from now on.
      enableCallbackHook(s);
      const previous = sampler.getContext();
      sampler.setContext(withUserLabels(providedSpanLabels()));
      try {
        return run();
      } finally {
        try {
          sampler.setContext(previous);
        } catch {
          // the next async callback sets the context again
        }
      }
    } catch (error) {
      if (started) throw error;
      return fn();
    }
  });
}

/**
 * Without AsyncContextFrame the sampler's context is thread-wide: an async_hooks `before` hook
 * sets it, for each callback, from the callback's own user and span labels. Turned on by the
 * first `withLabels` under such a sampler, for the life of the process (it costs a little on every
 * async callback, like the one span correlation uses on that path).
 */
function enableCallbackHook(s: State): void {
  if (s.hook) return;
  s.hook = createHook({
    before() {
      try {
        const sampler = runningSampler();
        if (!sampler || sampler.usesAsyncContextFrame) return;
        const current = sampler.getContext();
        if (s.store?.getStore()) {
          const labels = withUserLabels(providedSpanLabels());
          if (current !== labels) sampler.setContext(labels);
          s.lastHookLabels = labels;
        } else if (current !== undefined && current === s.lastHookLabels) {
          // Out of every scope: take back what this hook set; anything else (span correlation's own hook) stays.
          sampler.setContext(providedSpanLabels() ?? NO_LABELS);
          s.lastHookLabels = undefined;
        }
      } catch {
        // an exception in an async hook kills the process: never let one out
      }
    },
  }).enable();
}

function admit(s: State, labels: Readonly<Record<string, string | number | boolean>>, enclosing: UserLabels | undefined): UserLabels {
  const now = Date.now();
  if (now - s.windowStartMs >= LABEL_BUDGET_WINDOW_MS) {
    s.valuesByLabel = new Map();
    s.windowStartMs = now;
  }
  const out: Record<string, string> = enclosing ? { ...enclosing } : {};
  for (const name of Object.keys(labels)) {
    if (RESERVED_LABELS.has(name)) continue;
    const raw = labels[name];
    if (raw === undefined || raw === null) continue;
    const value = String(raw);
    let values = s.valuesByLabel.get(name);
    if (!values) s.valuesByLabel.set(name, (values = new Set()));
    if (values.has(value)) out[name] = value;
    else if (values.size < s.maxValuesPerLabel) {
      values.add(value);
      out[name] = value;
    } else {
      s.dropped++;
      out[name] = OTHER_LABEL_VALUE;
    }
  }
  return Object.freeze(out);
}

/** Distinct values kept per label name and minute before further values become `(other)`. */
export function setMaxUserLabelValues(max: number): void {
  if (Number.isInteger(max) && max > 0) state().maxValuesPerLabel = max;
}

/** How many label values were written `(other)` since the process started, for lack of room. */
export function userLabelsDropped(): number {
  return state().dropped;
}
