import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { FlameTreeBuilder, type FlameNode } from './flame-tree';
import { portableFrame } from './function-identity';
import type { FunctionTotals } from './function-totals';
import { aggregationOf, type LevelAggregation } from './level-aggregation';
import { resolveSampleType, walkSamples, type KeyedFrame } from './sample-walk';

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
  /**
   * Set when this change is mirrored by an opposite change in a direct caller or callee whose
   * combined total barely moved: V8 inlined one into the other on one side only (a JIT decision),
   * so self time moved between them without either getting slower. Names the other function.
   */
  inliningSuspect?: string;
}

export interface DiffResult {
  sampleType: string;
  unit: string;
  aggregation: 'sum' | LevelAggregation;
  base: { total: number; profileCount: number };
  new: { total: number; profileCount: number };
  /** How functions were matched across the sides (see {@link portableFrame}). */
  matching: string;
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
  /** caller key -> callee keys seen directly below it. */
  callees: Map<string, Set<string>>;
}

async function collectSide(store: ProfileStore, refs: readonly ProfileRef[], sampleType: string, labelFilter: Record<string, string>, aggregation: LevelAggregation): Promise<Side> {
  const side: Side = { total: 0, profileCount: 0, byFunction: new Map(), stacks: [], callees: new Map() };
  const seen = new Set<string>();
  side.profileCount = await walkSamples(store, refs, sampleType, labelFilter, (rawStack, value) => {
    const stack = rawStack.map(portableFrame);
    side.total += value;
    side.stacks.push({ stack, value });
    seen.clear();
    for (let depth = 0; depth < stack.length; depth++) {
      const frame = stack[depth]!;
      let entry = side.byFunction.get(frame.key);
      if (!entry) side.byFunction.set(frame.key, (entry = { name: frame.name, file: frame.file ?? '', self: 0, cumulative: 0, vigil: 0 }));
      if (depth === 0) entry.self += value;
      if (!seen.has(frame.key)) {
        seen.add(frame.key);
        entry.cumulative += value;
      }
      const caller = stack[depth + 1];
      if (caller && caller.key !== frame.key) {
        let callees = side.callees.get(caller.key);
        if (!callees) side.callees.set(caller.key, (callees = new Set()));
        callees.add(frame.key);
      }
    }
  }, aggregation);
  return side;
}

/** The rows most likely to be inlining artefacts among the largest changes (see {@link DiffRow.inliningSuspect}). */
function markInlining(rows: (DiffRow & { key: string })[], base: Side, next: Side): void {
  const considered = rows.slice(0, 50).filter((r) => Math.abs(r.selfShareChange) >= 0.01);
  const byKey = new Map(considered.map((r) => [r.key, r]));
  for (const caller of considered) {
    const callees = new Set([...(base.callees.get(caller.key) ?? []), ...(next.callees.get(caller.key) ?? [])]);
    for (const calleeKey of callees) {
      const callee = byKey.get(calleeKey);
      if (!callee || Math.sign(callee.selfShareChange) === Math.sign(caller.selfShareChange)) continue;
      // Inlining moves self time between the two. Its marks: the callee vanished from one side while
      // its caller stayed, or the caller's total (which includes the callee) barely moved.
      const moved = Math.min(Math.abs(callee.selfShareChange), Math.abs(caller.selfShareChange));
      const calleeOnOneSide = callee.baseCumulative === 0 || callee.newCumulative === 0;
      const callerOnBoth = caller.baseCumulative > 0 && caller.newCumulative > 0;
      if (!(callerOnBoth && calleeOnOneSide) && Math.abs(caller.cumulativeShareChange) > moved / 2) continue;
      caller.inliningSuspect = callee.name;
      callee.inliningSuspect = caller.name;
    }
  }
}

/** Per-function change between two selections of profiles (e.g. yesterday vs. today, v1 vs. v2). */
export async function diffProfiles(
  store: ProfileStore,
  baseRefs: readonly ProfileRef[],
  newRefs: readonly ProfileRef[],
  requestedSampleType: string | null,
  labelFilter: Record<string, string>,
  limit = 200,
  aggregation: LevelAggregation = 'mean',
): Promise<DiffResult> {
  const resolved = resolveSampleType([...newRefs, ...baseRefs], requestedSampleType) ?? { sampleType: requestedSampleType ?? '', unit: '' };
  const base = await collectSide(store, baseRefs, resolved.sampleType, labelFilter, aggregation);
  const next = await collectSide(store, newRefs, resolved.sampleType, labelFilter, aggregation);
  const share = (v: number, total: number) => (total > 0 ? v / total : 0);
  const keys = new Set([...base.byFunction.keys(), ...next.byFunction.keys()]);
  const rows = [...keys].map((key) => {
    const b = base.byFunction.get(key);
    const n = next.byFunction.get(key);
    const baseSelfShare = share(b?.self ?? 0, base.total);
    const newSelfShare = share(n?.self ?? 0, next.total);
    return {
      key,
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
    } as DiffRow & { key: string };
  });
  rows.sort((x, y) => Math.abs(y.selfShareChange) - Math.abs(x.selfShareChange) || Math.abs(y.cumulativeShareChange) - Math.abs(x.cumulativeShareChange));
  markInlining(rows, base, next);

  // Base values scaled to the new total, so a longer base range does not look like a speed-up everywhere.
  const scale = base.total > 0 && next.total > 0 ? next.total / base.total : 1;
  const builder = new FlameTreeBuilder();
  for (const { stack, value } of next.stacks) builder.add(stack, value, value);
  for (const { stack, value } of base.stacks) builder.add(stack, 0, -value * scale);
  return {
    ...resolved,
    aggregation: aggregationOf(resolved.sampleType, aggregation),
    base: { total: base.total, profileCount: base.profileCount },
    new: { total: next.total, profileCount: next.profileCount },
    matching: 'function name + file name (package-relative path inside node_modules), so a moved deploy path still matches',
    functions: rows.slice(0, limit).map(({ key: _key, ...row }) => row),
    tree: builder.build(true),
  };
}
