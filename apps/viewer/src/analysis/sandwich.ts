import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { FlameTreeBuilder, type FlameNode } from './flame-tree';
import { aggregationOf, type LevelAggregation } from './level-aggregation';
import { resolveSampleType, walkSamples } from './sample-walk';
import { vigilFrames } from './vigil-frames';

export interface SandwichResult {
  sampleType: string;
  unit: string;
  aggregation: 'sum' | LevelAggregation;
  profileCount: number;
  /** Every sample's total, for shares. */
  total: number;
  function: { name: string; file: string; self: number; cumulative: number };
  /** Root is the function; children are its callers, then their callers (an upside-down flame graph). */
  callers: FlameNode;
  /** Root is the function; children are what it calls. */
  callees: FlameNode;
}

/**
 * The sandwich view of one function: who calls it and what it calls, over the selection. A sample
 * counts once, at the function's outermost occurrence, so recursion does not double it.
 * `file` narrows the match to one file; without it every function of that name counts.
 */
export async function sandwich(
  store: ProfileStore,
  refs: readonly ProfileRef[],
  requestedSampleType: string | null,
  labelFilter: Record<string, string>,
  functionName: string,
  file: string | null,
  aggregation: LevelAggregation = 'mean',
): Promise<SandwichResult> {
  const resolved = resolveSampleType(refs, requestedSampleType) ?? { sampleType: requestedSampleType ?? '', unit: '' };
  const callers = new FlameTreeBuilder();
  const callees = new FlameTreeBuilder();
  let total = 0;
  let self = 0;
  let matchedFile = file ?? '';
  const profileCount = await walkSamples(store, refs, resolved.sampleType, labelFilter, (stack, value) => {
    total += value;
    let outermost = -1;
    for (let depth = stack.length - 1; depth >= 0; depth--) {
      const frame = stack[depth]!;
      if (frame.name === functionName && (file === null || (frame.file ?? '') === file)) {
        outermost = depth;
        break;
      }
    }
    if (outermost < 0) return;
    if (!matchedFile) matchedFile = stack[outermost]!.file ?? '';
    if (outermost === 0) self += value;
    // The builders take stacks leaf first and grow the tree from the array's end.
    const vigil = vigilFrames(stack);
    callees.add(stack.slice(0, outermost + 1), value, 0, vigil?.slice(0, outermost + 1));
    callers.add(stack.slice(outermost).reverse(), value, 0, vigil?.slice(outermost).reverse());
  }, aggregation);
  const calleeTree = mergeRoots(callees.build(), functionName);
  return {
    ...resolved,
    aggregation: aggregationOf(resolved.sampleType, aggregation),
    profileCount,
    total,
    function: { name: functionName, file: matchedFile, self, cumulative: calleeTree.value },
    callers: mergeRoots(callers.build(), functionName),
    callees: calleeTree,
  };
}

/** Without `file`, same-named functions of several files are separate roots: fold them into one. */
function mergeRoots(tree: FlameNode, name: string): FlameNode {
  if (tree.children.length === 1) return tree.children[0]!;
  if (tree.children.length === 0) return { name, value: 0, children: [] };
  return { name, value: tree.value, children: tree.children.flatMap((c) => c.children).sort((a, b) => b.value - a.value) };
}
