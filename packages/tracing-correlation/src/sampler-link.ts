/**
 * The running V8 time sampler of this thread, reached through the process-wide symbol that
 * @vigil/v8-sampler documents, so this package needs neither it nor @datadog/pprof at run time.
 */

/** Labels recorded with the sampler's ticks. */
export type SamplerLabels = Readonly<Record<string, string | number>>;

/** The part of @vigil/v8-sampler's V8TimeSampler this package uses (structural, no import). */
export interface CorrelatableSampler {
  /** True when labels follow async continuations by themselves (AsyncContextFrame, Node 24+). */
  readonly usesAsyncContextFrame: boolean;
  /** Thread-wide labels from now on (no-op with AsyncContextFrame). */
  setContext(labels: SamplerLabels | undefined): void;
  getContext(): SamplerLabels | undefined;
  /** Runs `fn` (and, with AsyncContextFrame, its continuations) under `labels`. */
  runWithContext<R>(labels: SamplerLabels, fn: () => R): R;
}

const CURRENT_SAMPLER_KEY = Symbol.for('vigil.v8-time-sampler.current.v1');

/** The sampler running on this thread, or undefined when no CPU/wall collector started one. */
export function runningSampler(): CorrelatableSampler | undefined {
  const sampler = (globalThis as unknown as Record<symbol, CorrelatableSampler | undefined>)[CURRENT_SAMPLER_KEY];
  return sampler && typeof sampler.runWithContext === 'function' ? sampler : undefined;
}

/**
 * Sets `labels` for the rest of the current async context (AsyncLocalStorage.enterWith semantics),
 * which dd-trace needs because it activates spans with `enterWith`, not with a callback.
 * Without AsyncContextFrame that is the thread-wide context. With it, the sampler has no public
 * method yet (asked of its owner: `enterContext(labels)`); meanwhile the native profiler's
 * `context` setter does exactly that (it is what @datadog/pprof's own `setContext` calls), reached
 * through the sampler's `native` field when it is there. Returns false when neither works.
 */
export function enterSamplerContext(sampler: CorrelatableSampler, labels: SamplerLabels): boolean {
  const withEnter = sampler as CorrelatableSampler & { enterContext?: (labels: SamplerLabels) => void };
  if (typeof withEnter.enterContext === 'function') {
    withEnter.enterContext(labels);
    return true;
  }
  if (!sampler.usesAsyncContextFrame) {
    sampler.setContext(labels);
    return true;
  }
  const native = (sampler as unknown as { native?: { context: unknown } }).native;
  if (!native) return false;
  native.context = labels;
  return true;
}
