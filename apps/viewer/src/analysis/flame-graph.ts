import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { FlameTreeBuilder, type FlameNode } from './flame-tree';
import { aggregationOf, type LevelAggregation } from './level-aggregation';
import { resolveSampleType, walkSamples } from './sample-walk';

export interface FlameGraphResult extends FlameNode {
  sampleType: string;
  unit: string;
  profileCount: number;
  /** How profiles combined: `sum`, or for levels (`inuse_*`) `mean` or `latest` snapshot per process. */
  aggregation: 'sum' | LevelAggregation;
}

/** The call tree of the selected profiles, summed over time and filtered by labels. */
export async function flameGraph(store: ProfileStore, refs: readonly ProfileRef[], requestedSampleType: string | null, labelFilter: Record<string, string>, aggregation: LevelAggregation = 'mean'): Promise<FlameGraphResult> {
  const resolved = resolveSampleType(refs, requestedSampleType);
  const builder = new FlameTreeBuilder();
  if (!resolved) return { name: 'all', value: 0, children: [], sampleType: requestedSampleType ?? '', unit: '', profileCount: 0, aggregation: 'sum' };
  const profileCount = await walkSamples(store, refs, resolved.sampleType, labelFilter, (stack, value) => builder.add(stack, value), aggregation);
  return { ...builder.build(), ...resolved, profileCount, aggregation: aggregationOf(resolved.sampleType, aggregation) };
}
