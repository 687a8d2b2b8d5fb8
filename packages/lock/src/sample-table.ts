import { ProfileBuilder, type Frame, type Profile } from '@vigil/core';
import type { LockEventSink, LockSampleAggregate } from './recorder';

/** The four lock sample types, in Datadog's names. */
export const LOCK_SAMPLE_TYPES = [
  ['lock-acquire', 'count'],
  ['lock-acquire-wait', 'nanoseconds'],
  ['lock-release', 'count'],
  ['lock-release-hold', 'nanoseconds'],
] as const;

const OVERFLOW_FRAMES: Frame[] = [{ name: '(lock samples over the per-period cap)' }];
const NO_LABELS = (): Record<string, string> => ({});

interface Entry {
  readonly frames: Frame[];
  /** Resolved at collection, off the application's path (naming a lock may read its source file). */
  readonly labels: () => Record<string, string>;
  acquireCount: number;
  acquireWaitNs: number;
  releaseCount: number;
  releaseHoldNs: number;
}
const OVERFLOW_KEY = '\u0000overflow';

/**
 * One period's lock samples, aggregated by stack and labels. Bounded: past `maxSamples` distinct
 * samples, new ones are summed into a single overflow sample (so totals stay right) and counted.
 */
export class SampleTable implements LockEventSink {
  private samples = new Map<string, Entry>();
  private droppedEvents = 0;

  constructor(private readonly maxSamples: number) {}

  record(key: string, frames: Frame[], labels: () => Record<string, string>, values: readonly [number, number, number, number]): void {
    let entry = this.samples.get(key);
    if (!entry) {
      if (this.samples.size >= this.maxSamples) {
        this.droppedEvents++;
        entry = this.samples.get(OVERFLOW_KEY);
        if (!entry) {
          entry = { frames: OVERFLOW_FRAMES, labels: NO_LABELS, acquireCount: 0, acquireWaitNs: 0, releaseCount: 0, releaseHoldNs: 0 };
          this.samples.set(OVERFLOW_KEY, entry);
        }
      } else {
        entry = { frames, labels, acquireCount: 0, acquireWaitNs: 0, releaseCount: 0, releaseHoldNs: 0 };
        this.samples.set(key, entry);
      }
    }
    entry.acquireCount += values[0];
    entry.acquireWaitNs += values[1];
    entry.releaseCount += values[2];
    entry.releaseHoldNs += values[3];
  }

  /** Takes the period's samples and starts a new period. */
  drain(): { samples: LockSampleAggregate[]; droppedEvents: number } {
    const samples: LockSampleAggregate[] = [];
    for (const e of this.samples.values()) {
      let labels: Record<string, string>;
      try {
        labels = e.labels();
      } catch {
        labels = {};
      }
      samples.push({ frames: e.frames, labels, acquireCount: e.acquireCount, acquireWaitNs: e.acquireWaitNs, releaseCount: e.releaseCount, releaseHoldNs: e.releaseHoldNs });
    }
    const out = { samples, droppedEvents: this.droppedEvents };
    this.samples = new Map();
    this.droppedEvents = 0;
    return out;
  }
}

export interface LockProfileMeta {
  timeNanos: bigint;
  durationNanos: bigint;
  capturePct: number;
  droppedEvents: number;
}

/** Builds the pprof profile of a period's lock samples (values are already scaled to estimates). */
export function buildLockProfile(samples: readonly LockSampleAggregate[], meta: LockProfileMeta): Profile {
  const comments = [`capture_pct=${meta.capturePct}`, 'values are scaled by 100/capture_pct: estimates of the true totals'];
  if (meta.droppedEvents > 0) comments.push(`events_over_sample_cap=${meta.droppedEvents}`);
  const builder = new ProfileBuilder({
    sampleTypes: LOCK_SAMPLE_TYPES,
    periodType: ['lock-acquire-wait', 'nanoseconds'],
    period: 1,
    timeNanos: meta.timeNanos,
    durationNanos: meta.durationNanos,
    defaultSampleType: 'lock-acquire-wait',
    comments,
  });
  for (const s of samples) {
    const values = [Math.round(s.acquireCount), Math.round(s.acquireWaitNs), Math.round(s.releaseCount), Math.round(s.releaseHoldNs)];
    if (values.every((v) => v === 0)) continue;
    builder.addSample(s.frames, values, s.labels);
  }
  return builder.build();
}
