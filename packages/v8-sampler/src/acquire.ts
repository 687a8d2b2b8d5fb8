import { DEFAULT_UPLOAD_PERIOD_MS, type CollectorContext, type Lease } from '@vigil/core';
import { resolveTimeSamplerOptions, type ResolvedTimeSamplerOptions, type TimeSamplerOptions } from './sampler-options';
import { runningTimeSampler, V8TimeSampler } from './time-sampler';

/** The key of the per-thread sampler in core's shared-resource registry. */
export const TIME_SAMPLER_RESOURCE_KEY = 'vigil.v8-time-sampler';

/**
 * Gets this thread's shared V8 time sampler, starting it on first use. Pair with one
 * `lease.release()`; the last release stops it. The first acquirer's options win: a later one
 * asking for different options gets the running sampler and a warning. `periodMs` (the
 * profiler's period, 60 s when absent) sizes the sampling bursts of a duty cycle.
 */
export function acquireTimeSampler(
  ctx: Pick<CollectorContext, 'shared' | 'env' | 'logger'> & { periodMs?: number },
  options: TimeSamplerOptions = {},
): Lease<V8TimeSampler> {
  const resolved = resolveTimeSamplerOptions(options, ctx.env, ctx.logger);
  const lease = ctx.shared.acquire(TIME_SAMPLER_RESOURCE_KEY, () => new V8TimeSampler(resolved, ctx.logger, ctx.periodMs ?? DEFAULT_UPLOAD_PERIOD_MS));
  const differences = differingOptions(lease.value.options, resolved);
  if (differences.length > 0) {
    ctx.logger.warn(`the V8 sampler is already running with other options (${differences.join(', ')}); sharing it as it is`);
  }
  // One context per profiler start: the sampler learns how many profilers hold it.
  const letGo = lease.value.holdFor(ctx);
  return {
    value: lease.value,
    release() {
      letGo();
      lease.release();
    },
  };
}

/**
 * The running sampler of this thread, if a collector started one: the hook for span correlation
 * (`setContext` / `runWithContext`). Does not start or retain it.
 */
export function currentTimeSampler(): V8TimeSampler | undefined {
  return runningTimeSampler();
}

function differingOptions(running: ResolvedTimeSamplerOptions, wanted: ResolvedTimeSamplerOptions): string[] {
  return (Object.keys(wanted) as Array<keyof ResolvedTimeSamplerOptions>)
    .filter((key) => running[key] !== wanted[key])
    .map((key) => `${key}: running ${String(running[key])}, asked ${String(wanted[key])}`);
}
