import { HttpError } from '../http/http-error';
import type { ProfileRef } from '../store/profile-store';
import { sampleTypeIndexIn } from './sample-type-index';

/**
 * How snapshots of a level (live heap, `inuse_*`) combine over a range. A level is what the heap
 * held at one instant: adding ten snapshots claims ten times the memory the process ever had.
 * - `mean`: the average snapshot of each process over the range (the default);
 * - `latest`: each process's newest snapshot in the range.
 * Processes still add up: two processes hold both their heaps.
 */
export type LevelAggregation = 'mean' | 'latest';
export const LEVEL_AGGREGATIONS: readonly LevelAggregation[] = ['mean', 'latest'];

/** Sample types that are levels (a snapshot), not counts or durations that add up over time. */
export function isLevelSampleType(sampleType: string): boolean {
  return sampleType.startsWith('inuse_');
}

/** The process a profile came from: its `runtime-id` or `process_id` tag, else its service. */
export function processOf(ref: ProfileRef): string {
  return ref.upload.tags['runtime-id'] ?? ref.upload.tags.process_id ?? `service:${ref.upload.service}`;
}

/** Reads `?heap=mean|latest` (default mean). */
export function parseLevelAggregation(value: string | null): LevelAggregation {
  if (value === null || value === '') return 'mean';
  if ((LEVEL_AGGREGATIONS as readonly string[]).includes(value)) return value as LevelAggregation;
  throw new HttpError(400, `query parameter "heap" must be one of ${LEVEL_AGGREGATIONS.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * The factor each profile's values are multiplied by: 1 for sample types that add up over time;
 * for levels, 1/n for each of a process's n snapshots (mean) or 1 for its newest and 0 for the
 * others (latest). Profiles without the sample type do not count as snapshots.
 */
export function profileWeights(refs: readonly ProfileRef[], sampleType: string, aggregation: LevelAggregation): Map<ProfileRef, number> {
  const weights = new Map<ProfileRef, number>();
  const relevant = refs.filter(({ profile }) => sampleTypeIndexIn(profile.sampleTypes, sampleType) >= 0);
  if (!isLevelSampleType(sampleType)) {
    for (const ref of relevant) weights.set(ref, 1);
    return weights;
  }
  const byProcess = new Map<string, ProfileRef[]>();
  for (const ref of relevant) {
    const key = processOf(ref);
    byProcess.set(key, [...(byProcess.get(key) ?? []), ref]);
  }
  for (const group of byProcess.values()) {
    if (aggregation === 'mean') {
      for (const ref of group) weights.set(ref, 1 / group.length);
    } else {
      const newest = group.reduce((a, b) => (b.upload.endMs > a.upload.endMs ? b : a));
      for (const ref of group) weights.set(ref, ref === newest ? 1 : 0);
    }
  }
  return weights;
}

/** What the UI and API say about how values were combined (`sum` for sample types that add up). */
export function aggregationOf(sampleType: string, aggregation: LevelAggregation): 'sum' | LevelAggregation {
  return isLevelSampleType(sampleType) ? aggregation : 'sum';
}
