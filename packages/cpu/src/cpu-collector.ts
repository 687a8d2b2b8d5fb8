import type { CollectResult, Collector, CollectorContext, Lease, Period } from '@vigil/core';
import { acquireTimeSampler, threadLabels, timeProfileOf, type TimeSamplerOptions, type TimeSnapshot, type V8TimeSampler } from '@vigil/v8-sampler';

/** Options of the CPU collector. Sampler options are shared with `wall()`: the first started wins. */
export type CpuOptions = TimeSamplerOptions;

/** The NamedProfile type of CPU profiles. */
export const CPU_PROFILE_TYPE = 'cpu';

/**
 * CPU time per stack (`sample/count` + `cpu/nanoseconds`) from this thread's shared V8 sampler:
 * each tick carries the thread CPU time measured since the previous one, so the profile adds up
 * to the CPU the process used. Combine with `wall()` freely: the sampler runs once.
 */
export function cpu(options: CpuOptions = {}): Collector {
  return new CpuCollector(options);
}

class CpuCollector implements Collector {
  readonly name = 'cpu';
  private lease: Lease<V8TimeSampler> | undefined;
  private labels: Record<string, string> = {};

  constructor(private readonly options: CpuOptions) {}

  start(ctx: CollectorContext): void {
    if (this.lease) return;
    this.labels = threadLabels(ctx.runtime);
    this.lease = acquireTimeSampler(ctx, this.options);
  }

  async collect(period: Period): Promise<CollectResult> {
    const sampler = this.lease?.value;
    if (!sampler) return { profiles: [], errors: [] };
    try {
      return this.result(await sampler.take(period));
    } catch (error) {
      return { profiles: [], errors: [asError(error)] };
    }
  }

  collectSync(period: Period): CollectResult {
    const sampler = this.lease?.value;
    if (!sampler) return { profiles: [], errors: [] };
    try {
      return this.result(sampler.takeSync(period));
    } catch (error) {
      return { profiles: [], errors: [asError(error)] };
    }
  }

  async stop(): Promise<void> {
    this.lease?.release();
    this.lease = undefined;
  }

  private result(snapshot: TimeSnapshot): CollectResult {
    if (snapshot.samples.length === 0) return { profiles: [], errors: [] };
    return { profiles: [{ type: CPU_PROFILE_TYPE, profile: timeProfileOf(snapshot, 'cpu', this.labels) }], errors: [] };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
