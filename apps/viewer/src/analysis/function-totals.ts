import type { ProfileRef, ProfileStore } from '../store/profile-store';
import type { LevelAggregation } from './level-aggregation';
import { walkSamples } from './sample-walk';
import { vigilFrames } from './vigil-frames';

/** Self and cumulative value of one function (by name and file). */
export interface FunctionTotals {
  name: string;
  file: string;
  /** Where the function is the leaf frame. */
  self: number;
  /** Where it is anywhere on the stack, counted once per sample (recursion does not double it). */
  cumulative: number;
  /** The part of `cumulative` spent in Vigil's own work (see vigil-frames.ts). */
  vigil: number;
}

/**
 * Per-function totals over many profiles, with core's totalsByFunction semantics, but on the
 * store's cached decoded profiles and keyed frames (several times faster over hundreds of profiles).
 */
export async function functionTotals(
  store: ProfileStore,
  refs: readonly ProfileRef[],
  sampleType: string,
  labelFilter: Readonly<Record<string, string>>,
  onSample?: Parameters<typeof walkSamples>[4],
  aggregation: LevelAggregation = 'mean',
): Promise<{ total: number; profileCount: number; byFunction: Map<string, FunctionTotals> }> {
  const byFunction = new Map<string, FunctionTotals>();
  let total = 0;
  const seen = new Set<string>();
  const profileCount = await walkSamples(store, refs, sampleType, labelFilter, (stack, value, labels, ref) => {
    total += value;
    seen.clear();
    const vigil = vigilFrames(stack);
    for (let depth = 0; depth < stack.length; depth++) {
      const frame = stack[depth]!;
      let entry = byFunction.get(frame.key);
      if (!entry) byFunction.set(frame.key, (entry = { name: frame.name || '(anonymous)', file: frame.file ?? '', self: 0, cumulative: 0, vigil: 0 }));
      if (depth === 0) entry.self += value;
      if (!seen.has(frame.key)) {
        seen.add(frame.key);
        entry.cumulative += value;
        if (vigil?.[depth]) entry.vigil += value;
      }
    }
    onSample?.(stack, value, labels, ref);
  }, aggregation);
  return { total, profileCount, byFunction };
}
