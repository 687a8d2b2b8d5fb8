import { getHeapStatistics } from 'node:v8';

/**
 * Upper bound of the heap walk's cost per MB of heap: 0.7-0.95 ms on Node 20 and 0.73 ms on
 * Node 24, with heaps of 150-590 MB of small objects on this project's (slow) machines.
 */
const WALK_MS_PER_HEAP_MB = 1;

/**
 * What starting V8's profiler costs the app. Every start walks the whole heap (V8 logs each
 * compiled function and code object anew), a pause that grows with the heap. The estimate is the
 * last start's pause plus the walk of the heap grown since.
 */
export class BurstStartCost {
  private lastStartMs: number | undefined;
  private heapMBAtLastStart = 0;

  /** Runs `start` (V8's profiler start), timing it against the heap it had to walk. */
  measure(start: () => void): void {
    const heapMB = usedHeapMB();
    const t0 = performance.now();
    start();
    this.lastStartMs = performance.now() - t0;
    this.heapMBAtLastStart = heapMB;
  }

  /** The pause the next start would cost with the heap as it is now, or undefined before any start. */
  estimateNextMs(): number | undefined {
    if (this.lastStartMs === undefined) return undefined;
    return this.lastStartMs + WALK_MS_PER_HEAP_MB * Math.max(0, usedHeapMB() - this.heapMBAtLastStart);
  }
}

function usedHeapMB(): number {
  return getHeapStatistics().used_heap_size / (1024 * 1024);
}
