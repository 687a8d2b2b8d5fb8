import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { FlameTreeBuilder, type FlameNode } from './flame-tree';
import { functionTotals, type FunctionTotals } from './function-totals';
import { resolveSampleType, type KeyedFrame } from './sample-walk';

/** How one function changed between the base and the new selection. */
export interface DiffRow {
  name: string;
  file: string;
  baseSelf: number;
  newSelf: number;
  baseCumulative: number;
  newCumulative: number;
  /** Shares of each side's total (0..1): ranges of different lengths compare fairly. */
  baseSelfShare: number;
  newSelfShare: number;
  /** newSelfShare - baseSelfShare: > 0 grew (slower, red), < 0 shrank (faster, blue). */
  selfShareChange: number;
  cumulativeShareChange: number;
}

export interface DiffResult {
  sampleType: string;
  unit: string;
  base: { total: number; profileCount: number };
  new: { total: number; profileCount: number };
  /** Functions by size of change, largest first. */
  functions: DiffRow[];
  /** The new side's call tree; each node's `delta` is its new value minus the base value scaled to the new total. */
  tree: FlameNode;
}

interface Side {
  total: number;
  profileCount: number;
  byFunction: Map<string, FunctionTotals>;
  stacks: { stack: KeyedFrame[]; value: number }[];
}

async function collectSide(store: ProfileStore, refs: readonly ProfileRef[], sampleType: string, labelFilter: Record<string, string>): Promise<Side> {
  const stacks: Side['stacks'] = [];
  const totals = await functionTotals(store, refs, sampleType, labelFilter, (stack, value) => stacks.push({ stack, value }));
  return { ...totals, stacks };
}

/** Per-function change between two selections of profiles (e.g. yesterday vs. today, v1 vs. v2). */
export async function diffProfiles(
  store: ProfileStore,
  baseRefs: readonly ProfileRef[],
  newRefs: readonly ProfileRef[],
  requestedSampleType: string | null,
  labelFilter: Record<string, string>,
  limit = 200,
): Promise<DiffResult> {
  const resolved = resolveSampleType([...newRefs, ...baseRefs], requestedSampleType) ?? { sampleType: requestedSampleType ?? '', unit: '' };
  const base = await collectSide(store, baseRefs, resolved.sampleType, labelFilter);
  const next = await collectSide(store, newRefs, resolved.sampleType, labelFilter);
  const share = (v: number, total: number) => (total > 0 ? v / total : 0);
  const keys = new Set([...base.byFunction.keys(), ...next.byFunction.keys()]);
  const functions: DiffRow[] = [...keys].map((key) => {
    const b = base.byFunction.get(key);
    const n = next.byFunction.get(key);
    const baseSelfShare = share(b?.self ?? 0, base.total);
    const newSelfShare = share(n?.self ?? 0, next.total);
    return {
      name: (n ?? b)!.name,
      file: (n ?? b)!.file,
      baseSelf: b?.self ?? 0,
      newSelf: n?.self ?? 0,
      baseCumulative: b?.cumulative ?? 0,
      newCumulative: n?.cumulative ?? 0,
      baseSelfShare,
      newSelfShare,
      selfShareChange: newSelfShare - baseSelfShare,
      cumulativeShareChange: share(n?.cumulative ?? 0, next.total) - share(b?.cumulative ?? 0, base.total),
    };
  });
  functions.sort((x, y) => Math.abs(y.selfShareChange) - Math.abs(x.selfShareChange) || Math.abs(y.cumulativeShareChange) - Math.abs(x.cumulativeShareChange));

  // Base values scaled to the new total, so a longer base range does not look like a speed-up everywhere.
  const scale = base.total > 0 && next.total > 0 ? next.total / base.total : 1;
  const builder = new FlameTreeBuilder();
  for (const { stack, value } of next.stacks) builder.add(stack, value, value);
  for (const { stack, value } of base.stacks) builder.add(stack, 0, -value * scale);
  return {
    ...resolved,
    base: { total: base.total, profileCount: base.profileCount },
    new: { total: next.total, profileCount: next.profileCount },
    functions: functions.slice(0, limit),
    tree: builder.build(true),
  };
}
