import type { Frame } from '@vigil/core';
import { vigilFrames } from './vigil-frames';

/** A node of the tree d3-flame-graph draws: `value` includes the children's. */
export interface FlameNode {
  name: string;
  file?: string;
  value: number;
  children: FlameNode[];
  /** Diff view only: this node's value in the new range minus in the base range (base scaled to the new total). */
  delta?: number;
  /** Vigil's own work (its code, or code it called) running in the app's process. */
  vigil?: boolean;
}

interface BuildNode {
  name: string;
  file: string;
  value: number;
  delta: number;
  vigil: boolean;
  children: Map<string, BuildNode>;
}

/** The most nodes a tree keeps; past it the smallest subtrees fold into their parent (a browser draws ~50k rects well). */
export const MAX_FLAME_NODES = 50_000;

/** Accumulates stacks into a call tree, root first. */
export class FlameTreeBuilder {
  private readonly root: BuildNode = { name: 'all', file: '', value: 0, delta: 0, vigil: false, children: new Map() };
  private nodeCount = 1;

  /**
   * Adds `value` along a stack given leaf first (as pprof stores it); `delta` feeds the diff view.
   * `vigil` flags Vigil's own frames, index for index; a caller that reorders a real stack (the
   * sandwich's callers) passes the flags of the real stack, reordered the same way.
   */
  add(stackLeafFirst: readonly (Frame & { key?: string })[], value: number, delta = 0, vigil: readonly boolean[] | undefined = vigilFrames(stackLeafFirst)): void {
    let node = this.root;
    node.value += value;
    node.delta += delta;
    for (let i = stackLeafFirst.length - 1; i >= 0; i--) {
      const frame = stackLeafFirst[i]!;
      const key = frame.key ?? `${frame.name}\u0000${frame.file ?? ''}`;
      let child = node.children.get(key);
      if (!child) {
        child = { name: frame.name || '(anonymous)', file: frame.file ?? '', value: 0, delta: 0, vigil: vigil?.[i] === true, children: new Map() };
        node.children.set(key, child);
        this.nodeCount++;
      }
      child.value += value;
      child.delta += delta;
      node = child;
    }
  }

  get total(): number {
    return this.root.value;
  }

  /** The tree as d3-flame-graph's `{name, value, children}`, pruned to {@link MAX_FLAME_NODES}. */
  build(withDelta = false): FlameNode {
    // Keep nodes worth at least `minValue`, the smallest that fits the budget.
    let minValue = 0;
    if (this.nodeCount > MAX_FLAME_NODES) {
      const values: number[] = [];
      const collect = (n: BuildNode) => {
        for (const c of n.children.values()) {
          values.push(Math.abs(c.value) + Math.abs(c.delta));
          collect(c);
        }
      };
      collect(this.root);
      values.sort((a, b) => b - a);
      minValue = values[MAX_FLAME_NODES - 1] ?? 0;
    }
    const convert = (n: BuildNode): FlameNode => {
      const out: FlameNode = { name: n.name, value: n.value, children: [] };
      if (n.file) out.file = n.file;
      if (withDelta) out.delta = n.delta;
      if (n.vigil) out.vigil = true;
      for (const c of n.children.values()) {
        if (Math.abs(c.value) + Math.abs(c.delta) >= minValue && (c.value > 0 || c.delta !== 0)) out.children.push(convert(c));
      }
      out.children.sort((a, b) => b.value - a.value);
      return out;
    };
    return convert(this.root);
  }
}
