import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { FlameTreeBuilder, type FlameNode } from './flame-tree';
import { resolveSampleType, walkSamples } from './sample-walk';

export interface FlameGraphResult extends FlameNode {
  sampleType: string;
  unit: string;
  profileCount: number;
}

/** The call tree of the selected profiles, summed over time and filtered by labels. */
export async function flameGraph(store: ProfileStore, refs: readonly ProfileRef[], requestedSampleType: string | null, labelFilter: Record<string, string>): Promise<FlameGraphResult> {
  const resolved = resolveSampleType(refs, requestedSampleType);
  const builder = new FlameTreeBuilder();
  if (!resolved) return { name: 'all', value: 0, children: [], sampleType: requestedSampleType ?? '', unit: '', profileCount: 0 };
  const profileCount = await walkSamples(store, refs, resolved.sampleType, labelFilter, (stack, value) => builder.add(stack, value));
  return { ...builder.build(), ...resolved, profileCount };
}
