import { constants as perfConstants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { currentSpanLabels } from '@vigil/core';

// performance.timeOrigin in epoch nanoseconds, computed once: the sum stays exact in bigint.
const ORIGIN_EPOCH_NANOS = BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n;

/** One GC pause as Node reported it. */
export interface GcPause {
  durationNanos: number;
  /** End of the pause, nanoseconds since the Unix epoch (a bigint: past 2^53, a number would round). */
  endEpochNanos: bigint;
  /** 'minor', 'major', 'incremental', 'weakcb' (from perf_hooks' NODE_PERFORMANCE_GC_* constants). */
  type: string;
  /** Comma-joined GC flags ('forced', 'all_available_garbage', ...), or undefined when none. */
  reason: string | undefined;
  spanLabels: Readonly<Record<string, string>> | undefined;
}

/** The GC pauses of one period: a fair sample of at most the cap, and exact totals over all of them. */
export interface GcPeriodRecord {
  pauses: GcPause[];
  /** Every pause of the period, kept or not. */
  pauseCount: number;
  /** Sum of every pause's duration, kept or not. */
  totalPauseNanos: number;
  /** Pauses seen but left out of `pauses` by the cap. */
  droppedCount: number;
  /** Full (mark-compact) collections among all pauses: after one, only truly retained memory is left. */
  majorCount: number;
}

const GC_TYPE_NAMES = new Map<number, string>();
const GC_FLAG_NAMES: Array<[flag: number, name: string]> = [];
for (const [key, value] of Object.entries(perfConstants)) {
  if (typeof value !== 'number') continue;
  if (key.startsWith('NODE_PERFORMANCE_GC_FLAGS_')) GC_FLAG_NAMES.push([value, key.slice('NODE_PERFORMANCE_GC_FLAGS_'.length).toLowerCase()]);
  else if (key.startsWith('NODE_PERFORMANCE_GC_')) GC_TYPE_NAMES.set(value, key.slice('NODE_PERFORMANCE_GC_'.length).toLowerCase());
}

/** Names the GC kind number of a perf_hooks `gc` entry. */
export function gcTypeName(kind: number): string {
  return GC_TYPE_NAMES.get(kind) ?? `kind_${kind}`;
}

/** Names the set bits of a perf_hooks `gc` entry's flags, or undefined for none. */
export function gcReason(flags: number): string | undefined {
  if (!flags) return undefined;
  const names = GC_FLAG_NAMES.filter(([flag]) => flag !== 0 && (flags & flag) === flag).map(([, name]) => name);
  return names.length > 0 ? names.join(',') : `flags_${flags}`;
}

const MS_TO_NS = 1_000_000;

/**
 * Watches GC pauses through `PerformanceObserver` and keeps those of the current period, capped:
 * past the cap, reservoir sampling keeps an unbiased sample while the totals stay exact.
 */
export class GcEventRecorder {
  private observer: PerformanceObserver | undefined;
  private pauses: GcPause[] = [];
  private pauseCount = 0;
  private totalPauseNanos = 0;
  private majorCount = 0;

  constructor(private readonly maxPausesPerPeriod: number) {}

  start(): void {
    if (this.observer) return;
    this.observer = new PerformanceObserver((list) => this.add(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Hands over the period's pauses and starts a new period. Synchronous (the exit path needs it). */
  drain(): GcPeriodRecord {
    // Entries not yet delivered to the callback (it runs later, on the event loop) belong here too.
    if (this.observer) this.add(this.observer.takeRecords());
    const record: GcPeriodRecord = {
      pauses: this.pauses,
      pauseCount: this.pauseCount,
      totalPauseNanos: this.totalPauseNanos,
      droppedCount: this.pauseCount - this.pauses.length,
      majorCount: this.majorCount,
    };
    this.majorCount = 0;
    this.pauses = [];
    this.pauseCount = 0;
    this.totalPauseNanos = 0;
    return record;
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private add(entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      if (entry.entryType !== 'gc') continue;
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail ?? {};
      const durationNanos = Math.round(entry.duration * MS_TO_NS);
      this.pauseCount++;
      this.totalPauseNanos += durationNanos;
      if (detail.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) this.majorCount++;
      const pause: GcPause = {
        durationNanos,
        endEpochNanos: ORIGIN_EPOCH_NANOS + BigInt(Math.round((entry.startTime + entry.duration) * MS_TO_NS)),
        type: gcTypeName(detail.kind ?? 0),
        reason: gcReason(detail.flags ?? 0),
        // Node delivers GC entries after the pause, so this is the span active at delivery (often none).
        spanLabels: currentSpanLabels(),
      };
      if (this.pauses.length < this.maxPausesPerPeriod) {
        this.pauses.push(pause);
      } else if (this.maxPausesPerPeriod > 0) {
        const slot = Math.floor(Math.random() * this.pauseCount);
        if (slot < this.maxPausesPerPeriod) this.pauses[slot] = pause;
      }
    }
  }
}
