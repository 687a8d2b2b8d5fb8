import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import type { Disposable, Logger } from '@vigil/core';
import { loadNativeTimeProfiler, type NativeTimeProfiler, type RawTimeProfile } from './native-time-profiler';
import type { ResolvedTimeSamplerOptions } from './sampler-options';
import { SourceMapResolver } from './source-map-resolver';
import { scriptFilesOf, snapshotFromRawProfile, type TimeSnapshot } from './time-snapshot';

/** The part of core's Period the sampler needs to recognise "the same period" across collectors. */
export interface PeriodRef {
  readonly seq: number;
  readonly endMs: number;
}

/** Labels attached to samples taken while they are the sampler's context (e.g. span labels). */
export type SamplerContextLabels = Readonly<Record<string, string | number>>;

interface Capture {
  profile: RawTimeProfile | undefined;
  startUnixNanos: bigint;
}

interface PeriodEntry {
  capture: Capture;
  snapshot?: Promise<TimeSnapshot>;
  snapshotSync?: TimeSnapshot;
}

/** Snapshots kept for collectors that have not taken theirs yet (two collectors, a period or two). */
const MAX_REMEMBERED_PERIODS = 4;
/** How long V8 keeps samples before a stop; longer than any period, so nothing is dropped. */
const MAX_PROFILE_DURATION_MS = 24 * 60 * 60 * 1000;

/**
 * One V8 time sampler for this thread, feeding both the CPU and the wall profile: each tick
 * records the stack, the thread CPU time since the previous tick and the active context. It is
 * stopped and restarted once per period, whichever collector asks first; the other one gets the
 * same snapshot. Get it through `acquireTimeSampler`, never construct it twice per thread.
 */
export class V8TimeSampler implements Disposable {
  private native: NativeTimeProfiler | undefined;
  private readonly store: AsyncLocalStorage<object> | undefined;
  private readonly sourceMaps: SourceMapResolver | undefined;
  private readonly periods = new Map<string, PeriodEntry>();
  private windowStartUnixNanos: bigint;
  private exitCapture: Capture | undefined;
  private readonly onExit = () => this.stopAtExit();

  constructor(readonly options: ResolvedTimeSamplerOptions, private readonly logger: Logger) {
    const TimeProfiler = loadNativeTimeProfiler();
    this.store = options.asyncContextFrame && asyncContextFrameAvailable() ? new AsyncLocalStorage<object>() : undefined;
    this.native = new TimeProfiler({
      intervalMicros: options.samplingIntervalMicros,
      durationMillis: MAX_PROFILE_DURATION_MS,
      // V8 cannot record per-line positions together with contexts (needed for CPU time);
      // frames carry the line where each function is defined.
      lineNumbers: false,
      withContexts: true,
      workaroundV8Bug: true,
      collectCpuTime: true,
      collectAsyncId: false,
      useCPED: this.store !== undefined,
      CPEDKey: this.store,
      isMainThread,
    });
    this.native.start();
    if (!this.store) this.native.context = {};
    this.windowStartUnixNanos = nowUnixNanos();
    this.sourceMaps = options.sourceMaps ? new SourceMapResolver(options.sourceMapCacheBytes) : undefined;
    // A sampling signal arriving while Node tears the isolate down can crash it: stop first.
    process.once('exit', this.onExit);
    (globalThis as unknown as CurrentHolder)[CURRENT_KEY] = this;
  }

  /** The source map resolver of this sampler (undefined when source maps are off), for other per-thread stacks. */
  get sourceMapResolver(): SourceMapResolver | undefined {
    return this.sourceMaps;
  }

  /** True while the sampler is running. */
  get running(): boolean {
    return this.native !== undefined;
  }

  /** True when contexts follow async continuations (AsyncContextFrame) instead of being thread-wide. */
  get usesAsyncContextFrame(): boolean {
    return this.store !== undefined;
  }

  /**
   * The snapshot for `period`: the first caller for a period stops and restarts the sampler, later
   * callers for the same period get the same snapshot. Source maps are loaded without blocking.
   */
  take(period: PeriodRef): Promise<TimeSnapshot> {
    const entry = this.entryFor(period);
    entry.snapshot ??= (async () => {
      if (this.sourceMaps && entry.capture.profile) await this.sourceMaps.prepare(scriptFilesOf(entry.capture.profile));
      return this.toSnapshot(entry.capture);
    })();
    return entry.snapshot;
  }

  /** Same as `take`, synchronously: for the final period and `process.exit()`. */
  takeSync(period: PeriodRef): TimeSnapshot {
    const entry = this.entryFor(period);
    if (!entry.snapshotSync) {
      if (this.sourceMaps && entry.capture.profile) this.sourceMaps.prepareSync(scriptFilesOf(entry.capture.profile));
      entry.snapshotSync = this.toSnapshot(entry.capture);
    }
    return entry.snapshotSync;
  }

  /**
   * Sets the labels recorded with every tick from now on, for this thread (span correlation without
   * AsyncContextFrame). `undefined` clears them. No-op when the sampler uses AsyncContextFrame.
   */
  setContext(labels: SamplerContextLabels | undefined): void {
    if (!this.native || this.store) return;
    this.native.context = labels ?? {};
  }

  /** The labels set with `setContext`, or those of the current async context with AsyncContextFrame. */
  getContext(): SamplerContextLabels | undefined {
    if (!this.native) return undefined;
    return this.native.context as SamplerContextLabels | undefined;
  }

  /**
   * Runs `fn` with `labels` as the sampler context of it and of every async continuation it starts
   * (AsyncContextFrame, Node 24+). Without AsyncContextFrame, sets the thread-wide context around
   * the synchronous part of `fn` only.
   */
  runWithContext<R>(labels: SamplerContextLabels, fn: () => R): R {
    if (!this.native) return fn();
    if (this.store) return this.store.run(this.native.createContextHolder(labels), fn);
    const previous = this.native.context;
    this.native.context = labels;
    try {
      return fn();
    } finally {
      if (this.native) this.native.context = previous;
    }
  }

  /** Stops sampling for good; called by the shared-resource registry on the last release. */
  dispose(): void {
    process.removeListener('exit', this.onExit);
    const holder = globalThis as unknown as CurrentHolder;
    if (holder[CURRENT_KEY] === this) holder[CURRENT_KEY] = undefined;
    const native = this.native;
    this.native = undefined;
    this.periods.clear();
    if (!native) return;
    try {
      native.stop(false);
      native.dispose();
    } catch (error) {
      this.logger.debug(`stopping the V8 sampler failed: ${(error as Error).message}`);
    }
  }

  private entryFor(period: PeriodRef): PeriodEntry {
    const key = `${period.seq}:${period.endMs}`;
    let entry = this.periods.get(key);
    if (!entry) {
      entry = { capture: this.capture() };
      this.periods.set(key, entry);
      while (this.periods.size > MAX_REMEMBERED_PERIODS) this.periods.delete(this.periods.keys().next().value!);
    }
    return entry;
  }

  /** Stops and restarts the sampler, returning what it recorded since the previous capture. */
  private capture(): Capture {
    if (this.exitCapture) {
      const captured = this.exitCapture;
      this.exitCapture = undefined;
      return captured;
    }
    const startUnixNanos = this.windowStartUnixNanos;
    if (!this.native) return { profile: undefined, startUnixNanos };
    const profile = this.native.stop(true);
    this.windowStartUnixNanos = nowUnixNanos();
    if (profile) return { profile, startUnixNanos: unixNanosOfMonotonicMicros(profile.startTime) };
    // V8's profiler thread can get stuck in a loop and return empty profiles; a full restart fixes it.
    if (this.native.v8ProfilerStuckEventLoopDetected() > 0) {
      this.native.stop(false);
      this.native.start();
    }
    return { profile, startUnixNanos };
  }

  private stopAtExit(): void {
    const native = this.native;
    if (!native) return;
    try {
      // Keep what was recorded: core's exit hook, which runs after this one, collects it synchronously.
      const profile = native.stop(false);
      this.exitCapture = { profile, startUnixNanos: profile ? unixNanosOfMonotonicMicros(profile.startTime) : this.windowStartUnixNanos };
      native.dispose();
    } catch {
      // exiting anyway
    }
    this.native = undefined;
  }

  private toSnapshot(capture: Capture): TimeSnapshot {
    if (!capture.profile) {
      return { startUnixNanos: capture.startUnixNanos, durationNanos: 0, intervalNanos: this.options.samplingIntervalMicros * 1000, tickNanos: 0, samples: [] };
    }
    return snapshotFromRawProfile(capture.profile, {
      intervalMicros: this.options.samplingIntervalMicros,
      startUnixNanos: capture.startUnixNanos,
      sourceMaps: this.sourceMaps,
      timeline: this.options.timeline,
    });
  }
}

// On globalThis (one per thread) so that duplicated installs of this package find the same sampler.
const CURRENT_KEY = Symbol.for('vigil.v8-time-sampler.current.v1');
type CurrentHolder = Record<symbol, V8TimeSampler | undefined>;

/** The sampler running on this thread, if any. */
export function runningTimeSampler(): V8TimeSampler | undefined {
  return (globalThis as unknown as CurrentHolder)[CURRENT_KEY];
}

/** V8 stamps profiles on the monotonic clock of process.hrtime (microseconds); convert to Unix time. */
function unixNanosOfMonotonicMicros(micros: number): bigint {
  const unixMinusMonotonic = nowUnixNanos() - process.hrtime.bigint();
  return BigInt(Math.round(micros * 1000)) + unixMinusMonotonic;
}

function nowUnixNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** AsyncContextFrame is the default from Node 24; @datadog/pprof needs it for `useCPED`. */
function asyncContextFrameAvailable(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 24 && !process.execArgv.includes('--no-async-context-frame');
}
