import type { Profile } from '@vigil/core';
import { nameAnonymousFunctions, ProfileReader, sampleTypeIndex } from '@vigil/core';
import { pprofHeap } from './pprof-heap';
import { ALLOC_OBJECTS, ALLOC_SPACE } from './sample-types';

export interface LiveHeapSamplerOptions {
  samplingIntervalBytes: number;
  stackDepth: number;
  /** Ask V8 to keep collected samples too, so `alloc_*` can be reported (Node >= 26 only). */
  allocations: boolean;
  /**
   * In allocation mode V8 keeps every sample ever taken (live or collected) until the sampler is
   * restarted. Past this many estimated samples the sampler restarts ("rebase") to bound memory.
   */
  maxRetainedAllocationSamples?: number;
}

/** One snapshot of the live heap. */
export interface HeapSnapshot {
  profile: Profile;
  /**
   * True when the sampler was restarted before this snapshot (allocation mode only): the live heap
   * then covers objects allocated since the restart, and growth history must start over.
   */
  rebased: boolean;
}

// ~100 bytes per retained V8 sample: 100k samples keep about 10 MB, and at the default 512 KiB
// interval take ~50 GB of allocation to accumulate (over an hour for an app allocating 10 MB/s).
const DEFAULT_MAX_RETAINED_ALLOCATION_SAMPLES = 100_000;

/**
 * The V8 sampling heap profiler of this thread, through `@datadog/pprof`.
 *
 * In allocation mode, `@datadog/pprof`'s own `profile()` restarts V8's sampler after each read
 * (to free the samples of collected objects), which would also forget every live object sampled
 * before and turn `inuse_*` into "live objects allocated this period". We read the cumulative
 * profile instead and turn `alloc_*` into per-period deltas ourselves, restarting only when the
 * retained sample count passes a bound.
 */
export class LiveHeapSampler {
  private running = false;
  private previousAllocations = new Map<string, [objects: number, bytes: number]>();
  private rebasePending = false;
  private readonly maxRetainedSamples: number;

  constructor(private readonly options: LiveHeapSamplerOptions) {
    this.maxRetainedSamples = options.maxRetainedAllocationSamples ?? DEFAULT_MAX_RETAINED_ALLOCATION_SAMPLES;
  }

  /** Starts V8's sampler; throws when something else on this thread already runs it. */
  start(): void {
    const { samplingIntervalBytes, stackDepth, allocations } = this.options;
    if (allocations) pprofHeap().start(samplingIntervalBytes, stackDepth, true);
    else pprofHeap().start(samplingIntervalBytes, stackDepth);
    this.running = true;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The live heap now (and, in allocation mode, allocations since the previous snapshot). */
  snapshot(): HeapSnapshot {
    // V8 names unnamed functions `(anonymous:L#15:C#155)` here; core's rule names them as every other collector does.
    if (!this.options.allocations) return { profile: nameAnonymousFunctions(pprofHeap().profile()), rebased: false };
    const profile = pprofHeap().convertProfile(pprofHeap().v8Profile());
    const retainedSamples = this.toPeriodAllocations(profile);
    const rebased = this.rebasePending;
    this.rebasePending = false;
    if (retainedSamples > this.maxRetainedSamples) this.restart();
    return { profile: nameAnonymousFunctions(profile), rebased };
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    pprofHeap().stop();
  }

  /**
   * Replaces cumulative `alloc_*` values by the growth since the last snapshot, per stack.
   * Returns the estimated number of samples V8 now retains.
   */
  private toPeriodAllocations(profile: Profile): number {
    const objectsIndex = sampleTypeIndex(profile, ALLOC_OBJECTS);
    const bytesIndex = sampleTypeIndex(profile, ALLOC_SPACE);
    if (objectsIndex < 0 || bytesIndex < 0) return 0;
    const reader = new ProfileReader(profile);
    const current = new Map<string, [number, number]>();
    let cumulativeBytes = 0;
    for (const sample of profile.sample) {
      const stack = reader.stack(sample);
      // `(external)` is process.memoryUsage().external added at read time, not a V8 sample: leave it.
      if (stack[0]?.name === '(external)') continue;
      const key = stack.map((f) => `${f.name}\u0000${f.file ?? ''}\u0000${f.line ?? 0}`).join('\u0001');
      const objects = Number(sample.value[objectsIndex]);
      const bytes = Number(sample.value[bytesIndex]);
      cumulativeBytes += bytes;
      const seen = current.get(key) ?? [0, 0];
      current.set(key, [seen[0] + objects, seen[1] + bytes]);
      const before = this.previousAllocations.get(key);
      if (before) {
        // Several samples can share a stack (labels differ); take the earlier total off once.
        const takeObjects = Math.min(before[0], objects);
        const takeBytes = Math.min(before[1], bytes);
        sample.value[objectsIndex] = objects - takeObjects;
        sample.value[bytesIndex] = bytes - takeBytes;
        before[0] -= takeObjects;
        before[1] -= takeBytes;
      }
    }
    this.previousAllocations = current;
    return cumulativeBytes / this.options.samplingIntervalBytes;
  }

  private restart(): void {
    const { samplingIntervalBytes, stackDepth } = this.options;
    pprofHeap().stop();
    pprofHeap().start(samplingIntervalBytes, stackDepth, true);
    this.previousAllocations = new Map();
    this.rebasePending = true;
  }
}
