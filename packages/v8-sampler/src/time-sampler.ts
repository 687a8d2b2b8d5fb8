import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import type { Disposable, Logger } from '@vigil/core';
import { BurstStartCost } from './burst-start-cost';
import { loadNativeTimeProfiler, type NativeTimeProfiler, type RawTimeProfile } from './native-time-profiler';
import { MIN_BURST_MS, type ResolvedTimeSamplerOptions } from './sampler-options';
import { SourceMapResolver } from './source-map-resolver';
import { scriptFilesOf, snapshotFromRawProfile, type TimeSnapshot } from './time-snapshot';

/** The part of core's Period the sampler needs to recognise "the same period" across collectors. */
export interface PeriodRef {
  readonly seq: number;
  readonly endMs: number;
  /** The last period of a profiler that is stopping. */
  readonly final?: boolean;
}

/** Labels attached to samples taken while they are the sampler's context (e.g. span labels). */
export type SamplerContextLabels = Readonly<Record<string, string | number>>;

/** One stretch of sampling: what V8 recorded between a start (or restart) and a stop. */
interface CapturedWindow {
  profile: RawTimeProfile;
  startUnixNanos: bigint;
}

/** Everything recorded since the previous capture: no window, one, or a burst that ended and the next one. */
interface Capture {
  windows: CapturedWindow[];
  /** Where an empty capture starts. */
  startUnixNanos: bigint;
}

interface PeriodEntry {
  capture: Capture;
  snapshot?: Promise<TimeSnapshot>;
  snapshotSync?: TimeSnapshot;
}

/** Snapshots kept for collectors that have not taken theirs yet (two collectors, a period or two). */
const MAX_REMEMBERED_PERIODS = 4;
/** Ended bursts kept for a capture that has not come (a profiler stopped, another one slower). */
const MAX_ENDED_BURSTS = 4;
/** How long V8 keeps samples before a stop; longer than any period, so nothing is dropped. */
const MAX_PROFILE_DURATION_MS = 24 * 60 * 60 * 1000;

/**
 * One V8 time sampler for this thread, feeding both the CPU and the wall profile: each tick
 * records the stack, the thread CPU time since the previous tick and the active context. A
 * capture takes what was recorded since the previous one, once per period, whichever collector
 * asks first; the other one gets the same snapshot. With a duty cycle under 1, V8's profiler runs
 * in one burst per cycle of `periodMs` (the first from the start, the others at a random point of
 * their cycle) and is off in between, so V8's profiling mode costs nothing there. Get it through
 * `acquireTimeSampler`, never construct it twice per thread.
 */
export class V8TimeSampler implements Disposable {
  private native: NativeTimeProfiler | undefined;
  private readonly store: AsyncLocalStorage<object> | undefined;
  private readonly sourceMaps: SourceMapResolver | undefined;
  private readonly periods = new Map<string, PeriodEntry>();
  private windowStartUnixNanos: bigint;
  private exitCapture: Capture | undefined;
  private readonly onExit = () => this.stopAtExit();
  /** Burst length with a duty cycle, undefined when sampling all the time (from the start or since bursts got too costly). */
  private burstMs: number | undefined;
  private readonly startCost = new BurstStartCost();
  /** Start of the current duty cycle (Date.now() milliseconds): cycles follow each other without drift. */
  private cycleStartMs = Date.now();
  private samplingNow = false;
  /** Bursts that ended since the last capture. */
  private endedBursts: CapturedWindow[] = [];
  private burstTimer: NodeJS.Timeout | undefined;
  private burstFailureReported = false;
  /** Leases per profiler (its collector context) holding this sampler; see `holdFor`. */
  private readonly holders = new Map<object, number>();

  constructor(readonly options: ResolvedTimeSamplerOptions, private readonly logger: Logger, private readonly periodMs: number) {
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
    if (!this.store) this.native.context = {};
    this.burstMs = burstLengthMs(options.dutyCycle, periodMs);
    this.windowStartUnixNanos = nowUnixNanos();
    this.startBurst();
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

  /** True while V8's profiler is taking samples: always without a duty cycle, during bursts with one. */
  get sampling(): boolean {
    return this.samplingNow;
  }

  /** True while the sampler works in bursts; false when it samples all the time. */
  get bursting(): boolean {
    return this.burstMs !== undefined;
  }

  /**
   * Notes that a collector of the profiler `owner` (its collector context, one per profiler start)
   * holds this sampler, until the returned function is called. A stopping profiler's final capture
   * then knows whether anyone else still needs samples.
   */
  holdFor(owner: object): () => void {
    this.holders.set(owner, (this.holders.get(owner) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const left = (this.holders.get(owner) ?? 1) - 1;
      if (left > 0) this.holders.set(owner, left);
      else this.holders.delete(owner);
    };
  }

  /** True when contexts follow async continuations (AsyncContextFrame) instead of being thread-wide. */
  get usesAsyncContextFrame(): boolean {
    return this.store !== undefined;
  }

  /**
   * The snapshot for `period`: the first caller for a period takes what was recorded since the
   * previous capture, later callers for the same period get the same snapshot. Source maps are
   * loaded without blocking.
   */
  take(period: PeriodRef): Promise<TimeSnapshot> {
    const entry = this.entryFor(period);
    entry.snapshot ??= (async () => {
      // The capture (V8's restart) blocked the thread; the app's timers and I/O run before each
      // next step, so that a period's end is a few short pauses, not one long one.
      await nextTurnOfEventLoop();
      if (this.sourceMaps) await this.sourceMaps.prepare(scriptFilesOfCapture(entry.capture));
      await nextTurnOfEventLoop();
      return this.toSnapshot(entry.capture);
    })();
    return entry.snapshot;
  }

  /** Same as `take`, synchronously: for the final period and `process.exit()`. */
  takeSync(period: PeriodRef): TimeSnapshot {
    const entry = this.entryFor(period);
    if (!entry.snapshotSync) {
      if (this.sourceMaps) this.sourceMaps.prepareSync(scriptFilesOfCapture(entry.capture));
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
    this.clearBurstTimer();
    const holder = globalThis as unknown as CurrentHolder;
    if (holder[CURRENT_KEY] === this) holder[CURRENT_KEY] = undefined;
    const native = this.native;
    this.native = undefined;
    this.periods.clear();
    this.endedBursts = [];
    if (!native) return;
    try {
      if (this.samplingNow) native.stop(false);
      this.samplingNow = false;
      native.dispose();
    } catch (error) {
      this.logger.debug(`stopping the V8 sampler failed: ${(error as Error).message}`);
    }
  }

  private entryFor(period: PeriodRef): PeriodEntry {
    const key = `${period.seq}:${period.endMs}`;
    let entry = this.periods.get(key);
    if (!entry) {
      entry = { capture: this.capture(period.final === true) };
      this.periods.set(key, entry);
      while (this.periods.size > MAX_REMEMBERED_PERIODS) this.periods.delete(this.periods.keys().next().value!);
    }
    return entry;
  }

  /**
   * What was recorded since the previous capture: the bursts that ended since, and the running
   * one up to now (V8's profiler is stopped and restarted; a burst goes on until its end). The
   * final capture of the only profiler holding the sampler stops V8's profiler without the
   * restart, which took 15 ms of every profiled process's exit (`node -e 0`, Node 20).
   */
  private capture(final: boolean): Capture {
    if (this.exitCapture) {
      const captured = this.exitCapture;
      this.exitCapture = undefined;
      return captured;
    }
    const windows = this.endedBursts;
    this.endedBursts = [];
    const startUnixNanos = this.windowStartUnixNanos;
    const native = this.native;
    // Nobody else needs samples: no restart, and no later burst before the release.
    const last = final && this.holders.size <= 1;
    if (last) this.clearBurstTimer();
    if (!native || !this.samplingNow) return { windows, startUnixNanos: windows[0]?.startUnixNanos ?? nowUnixNanos() };
    if (last) this.samplingNow = false;
    const profile = native.stop(!last);
    this.windowStartUnixNanos = nowUnixNanos();
    if (profile) {
      windows.push(windowOf(profile));
    } else if (!last && native.v8ProfilerStuckEventLoopDetected() > 0) {
      // V8's profiler thread can get stuck in a loop and return empty profiles; a full restart fixes it.
      native.stop(false);
      native.start();
    }
    return { windows, startUnixNanos: windows[0]?.startUnixNanos ?? startUnixNanos };
  }

  /** Turns V8's profiler on; with a duty cycle, until the burst's end. Throws what V8 throws. */
  private startBurst(): void {
    this.burstTimer = undefined;
    const native = this.native;
    if (!native || this.samplingNow) return;
    this.startCost.measure(() => native.start());
    this.samplingNow = true;
    this.windowStartUnixNanos = nowUnixNanos();
    if (this.burstMs !== undefined) this.burstTimer = setTimeout(() => this.endBurst(), this.burstMs).unref();
  }

  /**
   * Turns V8's profiler off, keeps the burst for the next capture, and schedules the next cycle's
   * burst; or, when starting that burst would pause the app too long, keeps sampling for good.
   */
  private endBurst(): void {
    this.burstTimer = undefined;
    const native = this.native;
    if (!native || this.burstMs === undefined) return;
    const nextStartMs = this.samplingNow ? this.startCost.estimateNextMs() : undefined;
    if (nextStartMs !== undefined && nextStartMs > this.options.maxBurstStartMs) {
      this.sampleFromNowOn(nextStartMs);
      return;
    }
    if (this.samplingNow) {
      this.samplingNow = false;
      try {
        const profile = native.stop(false);
        if (profile) this.endedBursts.push(windowOf(profile));
        if (this.endedBursts.length > MAX_ENDED_BURSTS) this.endedBursts.shift();
      } catch (error) {
        this.logger.debug(`ending a sampling burst failed: ${(error as Error).message}`);
      }
    }
    // The next burst starts at a random point of the next cycle, so a job that runs at the same
    // second of every minute is neither always nor never seen. A late timer skips whole cycles.
    const now = Date.now();
    do this.cycleStartMs += this.periodMs; while (this.cycleStartMs + this.periodMs <= now);
    const startMs = this.cycleStartMs + Math.random() * (this.periodMs - this.burstMs);
    this.burstTimer = setTimeout(() => this.startLaterBurst(), Math.max(0, startMs - now)).unref();
  }

  /** Ends bursting, the running burst going on for good: the next start would pause the app about `nextStartMs`. */
  private sampleFromNowOn(nextStartMs: number): void {
    this.burstMs = undefined;
    this.logger.info(`sampling all the time from now on: starting the next sampling burst would pause the app about ${Math.round(nextStartMs)} ms (V8 walks the heap to start; limit VIGIL_SAMPLING_MAX_BURST_START_MS=${this.options.maxBurstStartMs})`);
  }

  /** A burst after the first: when V8 refuses (another profiler took the thread), say so once and go on. */
  private startLaterBurst(): void {
    try {
      this.startBurst();
    } catch (error) {
      if (!this.burstFailureReported) this.logger.warn(`the V8 sampler could not start a sampling burst: ${(error as Error).message}`);
      this.burstFailureReported = true;
      this.endBurst();
    }
  }

  private clearBurstTimer(): void {
    if (this.burstTimer) clearTimeout(this.burstTimer);
    this.burstTimer = undefined;
  }

  private stopAtExit(): void {
    const native = this.native;
    if (!native) return;
    this.clearBurstTimer();
    try {
      // Keep what was recorded: core's exit hook, which runs after this one, collects it synchronously.
      const windows = this.endedBursts;
      this.endedBursts = [];
      if (this.samplingNow) {
        const profile = native.stop(false);
        if (profile) windows.push(windowOf(profile));
      }
      this.samplingNow = false;
      this.exitCapture = { windows, startUnixNanos: windows[0]?.startUnixNanos ?? this.windowStartUnixNanos };
      native.dispose();
    } catch {
      // exiting anyway
    }
    this.native = undefined;
  }

  /** One snapshot of the capture's windows: their samples together, their sampled time as the duration. */
  private toSnapshot(capture: Capture): TimeSnapshot {
    const intervalNanos = this.options.samplingIntervalMicros * 1000;
    const parts = capture.windows.map((window) => snapshotFromRawProfile(window.profile, {
      intervalMicros: this.options.samplingIntervalMicros,
      startUnixNanos: window.startUnixNanos,
      sourceMaps: this.sourceMaps,
      timeline: this.options.timeline,
    }));
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 0) return { startUnixNanos: capture.startUnixNanos, durationNanos: 0, intervalNanos, tickNanos: 0, samples: [] };
    const durationNanos = parts.reduce((sum, part) => sum + part.durationNanos, 0);
    const ticks = parts.reduce((sum, part) => sum + (part.tickNanos > 0 ? part.durationNanos / part.tickNanos : 0), 0);
    return {
      startUnixNanos: parts[0]!.startUnixNanos,
      durationNanos,
      intervalNanos,
      tickNanos: ticks > 0 ? durationNanos / ticks : intervalNanos,
      samples: parts.flatMap((part) => part.samples),
    };
  }
}

/** Resolves from setImmediate: the app's pending I/O callbacks run first (and its due timers, from the second call on). */
function nextTurnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A stopped profile as a window, stamped with its start in Unix time. */
function windowOf(profile: RawTimeProfile): CapturedWindow {
  return { profile, startUnixNanos: unixNanosOfMonotonicMicros(profile.startTime) };
}

/** Script files of every window of a capture, for loading their source maps ahead of conversion. */
function scriptFilesOfCapture(capture: Capture): Set<string> {
  const files = new Set<string>();
  for (const window of capture.windows) for (const file of scriptFilesOf(window.profile)) files.add(file);
  return files;
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

/**
 * The burst length for `dutyCycle` of `periodMs`, or undefined to sample all the time (a duty
 * cycle of 1, or bursts that would fill the period anyway).
 */
export function burstLengthMs(dutyCycle: number, periodMs: number): number | undefined {
  const burstMs = Math.max(MIN_BURST_MS, dutyCycle * periodMs);
  return dutyCycle >= 1 || burstMs >= periodMs ? undefined : burstMs;
}

/** AsyncContextFrame is the default from Node 24; @datadog/pprof needs it for `useCPED`. */
function asyncContextFrameAvailable(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 24 && !process.execArgv.includes('--no-async-context-frame');
}
