import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { functionTotals } from './function-totals';
import { aggregationOf, type LevelAggregation } from './level-aggregation';
import { resolveSampleType } from './sample-walk';

/** One row of the hotspot table. */
export interface TopRow {
  name: string;
  file: string;
  self: number;
  cumulative: number;
  /** Shares of the total, 0..1. */
  selfShare: number;
  cumulativeShare: number;
}

export interface TopResult {
  sampleType: string;
  unit: string;
  total: number;
  profileCount: number;
  aggregation: 'sum' | LevelAggregation;
  functions: TopRow[];
}

/** Self and cumulative value per function over the selected profiles, largest self first. */
export async function topFunctions(store: ProfileStore, refs: readonly ProfileRef[], requestedSampleType: string | null, labelFilter: Record<string, string>, limit = Infinity, aggregation: LevelAggregation = 'mean'): Promise<TopResult> {
  const resolved = resolveSampleType(refs, requestedSampleType);
  if (!resolved) return { sampleType: requestedSampleType ?? '', unit: '', total: 0, profileCount: 0, aggregation: 'sum', functions: [] };
  const { total, profileCount, byFunction } = await functionTotals(store, refs, resolved.sampleType, labelFilter, undefined, aggregation);
  const functions = [...byFunction.values()]
    .sort((a, b) => b.self - a.self || b.cumulative - a.cumulative)
    .slice(0, limit)
    .map((f) => ({ ...f, selfShare: total ? f.self / total : 0, cumulativeShare: total ? f.cumulative / total : 0 }));
  return { ...resolved, total, profileCount, aggregation: aggregationOf(resolved.sampleType, aggregation), functions };
}
