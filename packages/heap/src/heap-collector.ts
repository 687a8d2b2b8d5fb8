import { addLabels, threadLabels, type Collector, type CollectorContext, type CollectResult, type Logger, type NamedProfile, type Period, type Profile } from '@vigil/core';
import { FIRST_NODE_WITH_ALLOCATIONS, runtimeSupportsAllocations } from './allocation-support';
import { GcEventRecorder } from './gc-events';
import { buildGcEventsProfile, gcSummaryComment } from './gc-time-share';
import { DEFAULT_LEAK_MIN_PERIODS, describeLeakSuspect, LeakHistory, type LeakSuspect } from './leak-suspects';
import { LiveHeapSampler } from './live-heap-sampler';
import { resolveHeapOptions, type HeapOptions, type ResolvedHeapOptions } from './options';
import { monitorOutOfMemory } from './out-of-memory';
import { EVENTS_PROFILE_TYPE, SPACE_PROFILE_TYPE } from './sample-types';

/**
 * Periods of growth before the running app is warned (on stderr and in profile comments) about a
 * leak suspect: one more than the analysis of saved profiles needs (DEFAULT_LEAK_MIN_PERIODS, what
 * `vigil leaks` and the viewer use), because a warning in the app's own output must not be a false
 * alarm, and with four periods a steady app that churns young garbage was flagged now and then.
 */
const RUNTIME_LEAK_MIN_PERIODS = DEFAULT_LEAK_MIN_PERIODS + 1;

/** The heap collector: a core `Collector` with the leak suspects it currently sees. */
export interface HeapCollector extends Collector {
  readonly name: 'heap';
  /** Sites whose live bytes grew over the collector's recent periods, fastest first ([] for a steady app). */
  leakSuspects(): LeakSuspect[];
}

/** Comment written into every heap profile taken when the heap neared its limit. */
export const OUT_OF_MEMORY_COMMENT = 'vigil.heap out_of_memory: captured when the heap neared its limit, just before the process died';

/**
 * Live heap (`inuse_*`), allocations where the runtime can (`alloc_*`, Node >= 26), GC pauses as
 * timeline events, leak suspects and an out-of-memory heap profile, for the thread it starts on.
 * Profile types: `space` (the heap) and `events` (the GC timeline).
 */
export function heap(options: HeapOptions = {}): HeapCollector {
  return new HeapCollectorImpl(options);
}

class HeapCollectorImpl implements HeapCollector {
  readonly name = 'heap' as const;
  private ctx: CollectorContext | undefined;
  private config: ResolvedHeapOptions | undefined;
  private sampler: LiveHeapSampler | undefined;
  private gcRecorder: GcEventRecorder | undefined;
  private history: LeakHistory | undefined;
  private labels: Record<string, string> = {};
  private staticComments: string[] = [];
  private currentSuspects: LeakSuspect[] = [];
  private readonly reportedSuspects = new Set<string>();
  private readonly reportedProblems = new Set<string>();
  private stopped = false;
  private outOfMemoryCaptured = false;

  constructor(private readonly options: HeapOptions) {}

  start(ctx: CollectorContext): void {
    this.ctx = ctx;
    this.stopped = false;
    const config = resolveHeapOptions(this.options, ctx.env, (message) => this.log('warn', message));
    this.config = config;
    // Thread labels go on the samples, like the wall and cpu collectors': as profile tags they
    // would set the heap apart from the rest of the period (a Datadog upload has one tag set).
    this.labels = threadLabels(ctx.runtime);

    const supported = runtimeSupportsAllocations();
    const allocations = config.allocations && supported;
    this.staticComments = [`vigil.heap sampling_interval_bytes=${config.samplingIntervalBytes} stack_depth=${config.stackDepth}`];
    if (!supported) {
      const why = `alloc_objects/alloc_space are not recorded: Node ${process.version} cannot report allocations from its heap sampler (needs Node >= ${FIRST_NODE_WITH_ALLOCATIONS})`;
      this.staticComments.push(`vigil.heap ${why}`);
      // Only a user who asked for allocations needs a warning; otherwise the log just notes it.
      this.log(config.allocationsRequested ? 'warn' : 'info', `heap: ${why}`);
    } else if (!allocations) {
      this.staticComments.push('vigil.heap alloc_objects/alloc_space are off (allocations option / VIGIL_HEAP_ALLOCATIONS)');
    } else if (config.outOfMemory) {
      // Measured on Node 26 with @datadog/pprof 5.20: the near-limit callback never runs in allocation mode.
      this.log('warn', 'heap: with allocations on, the out-of-memory heap profile cannot be taken (@datadog/pprof 5.20 on Node 26); turn allocations off to keep it');
    }

    const sampler = new LiveHeapSampler({ samplingIntervalBytes: config.samplingIntervalBytes, stackDepth: config.stackDepth, allocations });
    sampler.start();
    this.sampler = sampler;
    this.history = new LeakHistory(config.leakHistoryPeriods, config.leakSitesPerPeriod);

    if (config.gcEvents) {
      try {
        const recorder = new GcEventRecorder(config.maxGcEventsPerPeriod);
        recorder.start();
        this.gcRecorder = recorder;
      } catch (error) {
        this.problem('gc-observer', `heap: GC events are off, the gc PerformanceObserver failed: ${messageOf(error)}`);
      }
    }
    if (config.outOfMemory) {
      try {
        monitorOutOfMemory(config.outOfMemory, (profile) => this.onNearHeapLimit(profile));
      } catch (error) {
        this.problem('oom-monitor', `heap: out-of-memory capture is off: ${messageOf(error)}`);
      }
    }
  }

  collect(period: Period): Promise<CollectResult> {
    return Promise.resolve(this.collectSync(period));
  }

  collectSync(period: Period): CollectResult {
    const profiles: NamedProfile[] = [];
    const errors: Error[] = [];
    const durationNanos = BigInt(Math.max(0, period.endMs - period.startMs)) * 1_000_000n;
    const startEpochNanos = BigInt(period.startMs) * 1_000_000n;
    const gc = this.gcRecorder?.drain();
    const gcComment = gc ? gcSummaryComment(gc, Number(durationNanos)) : undefined;

    if (this.sampler?.isRunning) {
      try {
        const { profile, rebased } = this.sampler.snapshot();
        profile.timeNanos = startEpochNanos;
        profile.durationNanos = durationNanos;
        addLabels(profile, this.labels);
        const comments = [...this.staticComments];
        if (rebased) comments.push('vigil.heap the sampler restarted before this profile to bound its memory: inuse_* covers objects allocated since then');
        if (gcComment) comments.push(gcComment);
        comments.push(...this.updateLeakSuspects(period.endMs, profile, rebased, gc?.majorCount).map(describeLeakSuspect));
        addComments(profile, comments);
        profiles.push({ type: SPACE_PROFILE_TYPE, profile });
      } catch (error) {
        errors.push(new Error(`heap profile failed: ${messageOf(error)}`));
      }
    }
    if (gc && this.ctx) {
      try {
        const profile = buildGcEventsProfile(gc, { startEpochNanos, durationNanos, periodNanos: this.ctx.periodMs * 1_000_000 }, this.labels);
        profiles.push({ type: EVENTS_PROFILE_TYPE, profile });
      } catch (error) {
        errors.push(new Error(`GC events profile failed: ${messageOf(error)}`));
      }
    }
    return { profiles, errors };
  }

  leakSuspects(): LeakSuspect[] {
    return this.currentSuspects.map((s) => ({ ...s, heaviestStack: [...s.heaviestStack] }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    try {
      this.gcRecorder?.stop();
      this.sampler?.stop();
    } catch (error) {
      this.problem('stop', `heap: stopping the sampler failed: ${messageOf(error)}`);
    }
    this.gcRecorder = undefined;
    this.sampler = undefined;
  }

  private updateLeakSuspects(timeMs: number, profile: Profile, rebased: boolean, majorGcs: number | undefined): LeakSuspect[] {
    const history = this.history;
    if (!history || !this.config) return [];
    if (rebased) history.clear();
    history.add(timeMs, profile, majorGcs);
    this.currentSuspects = history.suspects({
      minGrowthBytes: this.config.leakMinGrowthBytes,
      minPeriods: Math.min(RUNTIME_LEAK_MIN_PERIODS, this.config.leakHistoryPeriods),
    });
    for (const suspect of this.currentSuspects) {
      const key = `${suspect.name}\u0000${suspect.file}\u0000${suspect.line}`;
      if (this.reportedSuspects.has(key)) continue;
      // Bounded: a site is announced once; the profile comments carry the running ranking.
      if (this.reportedSuspects.size < 100) this.reportedSuspects.add(key);
      this.log('warn', `heap: ${describeLeakSuspect(suspect)}`);
    }
    return this.currentSuspects;
  }

  /** Runs inside V8's near-heap-limit interrupt: keep it short, synchronous and exception-free. */
  private onNearHeapLimit(profile: Profile): void {
    if (this.stopped || this.outOfMemoryCaptured || !this.ctx) return;
    this.outOfMemoryCaptured = true;
    try {
      addLabels(profile, this.labels);
      addComments(profile, [...this.staticComments, OUT_OF_MEMORY_COMMENT]);
      this.ctx.exportSync([{ type: SPACE_PROFILE_TYPE, profile }], 'the heap is near its limit (out of memory)');
    } catch (error) {
      this.problem('oom-export', `heap: writing the out-of-memory profile failed: ${messageOf(error)}`);
    }
  }

  private problem(kind: string, message: string): void {
    if (this.reportedProblems.has(kind)) return;
    this.reportedProblems.add(kind);
    this.log('warn', message);
  }

  private log(level: keyof Logger, message: string): void {
    try {
      this.ctx?.logger[level](message);
    } catch {
      // a broken logger must not break profiling or the app
    }
  }
}

function addComments(profile: Profile, comments: readonly string[]): void {
  for (const comment of comments) profile.comment.push(profile.stringTable.dedup(comment));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
