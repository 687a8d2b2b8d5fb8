import { ProfileBuilder, ProfileReader, sampleTypeIndex, stringAt, type Profile } from '@vigil/core';
import type { GcPeriodRecord } from './gc-events';
import {
  LABEL_END_TIMESTAMP_NS, LABEL_EVENT, LABEL_GC_REASON, LABEL_GC_TYPE, TIMELINE,
} from './sample-types';

/** Share of a period's wall time spent in GC pauses. */
export interface GcTimeShare {
  /** pauseNanos / periodNanos, 0 when the period is empty. */
  share: number;
  pauseNanos: number;
  periodNanos: number;
  /** Pauses in the period (including any the reservoir cap left out of the samples). */
  pauses: number;
  /** Pauses left out of the samples by the cap. */
  droppedPauses: number;
  /** Full (mark-compact) collections in the period; undefined when the profile does not say. */
  majorGcs?: number;
}

/** Prefix of the machine-readable comment that carries the exact GC totals of an events profile. */
export const GC_SUMMARY_COMMENT_PREFIX = 'vigil.gc ';

/** The comment line written into every events profile; {@link gcTimeShare} reads it back. */
export function gcSummaryComment(record: GcPeriodRecord, periodNanos: number): string {
  const share = periodNanos > 0 ? record.totalPauseNanos / periodNanos : 0;
  return `${GC_SUMMARY_COMMENT_PREFIX}time_share=${share.toFixed(6)} pause_ns=${record.totalPauseNanos} ` +
    `period_ns=${periodNanos} pauses=${record.pauseCount} dropped=${record.droppedCount} major_gcs=${record.majorCount}`;
}

/**
 * The GC totals Vigil writes as a comment into its `events` and `space` profiles, or undefined
 * for a profile without one.
 */
export function gcSummaryOf(profile: Profile): GcTimeShare | undefined {
  for (const index of profile.comment) {
    const line = stringAt(profile, index);
    if (!line.startsWith(GC_SUMMARY_COMMENT_PREFIX)) continue;
    const fields = new Map(line.slice(GC_SUMMARY_COMMENT_PREFIX.length).split(' ').map((kv) => kv.split('=') as [string, string]));
    const pauseNanos = Number(fields.get('pause_ns'));
    const periodNanos = Number(fields.get('period_ns'));
    if (!Number.isFinite(pauseNanos) || !Number.isFinite(periodNanos)) continue;
    const majors = fields.has('major_gcs') ? Number(fields.get('major_gcs')) : NaN;
    return {
      share: periodNanos > 0 ? pauseNanos / periodNanos : 0,
      pauseNanos,
      periodNanos,
      pauses: Number(fields.get('pauses')) || 0,
      droppedPauses: Number(fields.get('dropped')) || 0,
      ...(Number.isFinite(majors) ? { majorGcs: majors } : {}),
    };
  }
  return undefined;
}

/**
 * The share of time spent in GC during the period an `events` profile covers. Uses the exact totals
 * Vigil writes in a comment; for other producers (dd-trace), sums the `event=gc` samples.
 */
export function gcTimeShare(eventsProfile: Profile): GcTimeShare {
  const summary = gcSummaryOf(eventsProfile);
  if (summary) return summary;
  const valueIndex = sampleTypeIndex(eventsProfile, TIMELINE);
  const reader = new ProfileReader(eventsProfile);
  let pauseNanos = 0;
  let pauses = 0;
  if (valueIndex >= 0) {
    for (const sample of eventsProfile.sample) {
      if (reader.labels(sample)[LABEL_EVENT] !== 'gc') continue;
      pauseNanos += Number(sample.value[valueIndex]);
      pauses++;
    }
  }
  const periodNanos = Number(eventsProfile.durationNanos);
  return { share: periodNanos > 0 ? pauseNanos / periodNanos : 0, pauseNanos, periodNanos, pauses, droppedPauses: 0 };
}

/**
 * The `events` profile of one period: one `timeline/nanoseconds` sample per GC pause with the
 * labels Datadog's timeline reads, and a comment with the exact totals.
 */
export function buildGcEventsProfile(
  record: GcPeriodRecord,
  window: { startEpochNanos: bigint; durationNanos: bigint; periodNanos: number },
  extraLabels: Readonly<Record<string, string>>,
): Profile {
  const builder = new ProfileBuilder({
    sampleTypes: [[TIMELINE, 'nanoseconds']],
    periodType: [TIMELINE, 'nanoseconds'],
    // Every event is recorded, none is sampled: period 1, as dd-trace-js's events profile.
    period: 1,
    timeNanos: window.startEpochNanos,
    durationNanos: window.durationNanos,
    comments: [gcSummaryComment(record, Number(window.durationNanos))],
  });
  for (const pause of record.pauses) {
    const labels: Record<string, string | number | bigint> = {
      ...pause.spanLabels,
      ...extraLabels,
      [LABEL_EVENT]: 'gc',
      [LABEL_GC_TYPE]: pause.type,
      // Epoch nanoseconds exceed 2^53: a bigint keeps the label an exact integer.
      [LABEL_END_TIMESTAMP_NS]: pause.endEpochNanos,
    };
    if (pause.reason) labels[LABEL_GC_REASON] = pause.reason;
    builder.addSample([{ name: `${pause.type} GC` }], [pause.durationNanos], labels);
  }
  return builder.build();
}
