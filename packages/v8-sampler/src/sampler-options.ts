import { EnvReader, type Logger } from '@vigil/core';

/** The default sampling rate: 99 Hz, not 100, so ticks do not phase-lock with 10 ms timers. */
export const DEFAULT_SAMPLING_HZ = 99;
/**
 * Default share of each period the sampler runs: 10 s of a 60 s period, as Google Cloud Profiler
 * samples. V8's profiler slows the whole isolate while it is on, whatever the rate (+2.5 % of CPU
 * on an HTTP service at 1 Hz, measured in a quiet hour: README, cost section), so continuous
 * sampling cannot cost under 1 %; a sixth of the time leaves a sixth of that.
 */
export const DEFAULT_DUTY_CYCLE = 1 / 6;
/** Shortest sampling burst: below it a burst's start cost (V8 logs every compiled function) dominates. */
export const MIN_BURST_MS = 1000;
/**
 * Default longest pause a burst's start may cost the app. V8 walks the whole heap to start
 * profiling, and every burst starts anew: 5-10 ms at start-up, 42-82 ms with a 40 MB heap,
 * 110-150 ms at 160 MB and 360-530 ms at 590 MB (Node 20 and 24, measured on this project's slow
 * machines). Past the limit the sampler stops bursting and samples all the time, which costs more
 * CPU (V8's profiling mode) but walks the heap no more. 100 ms once a minute is under 0.2 % of the
 * time: the app's p99 latency cannot see it.
 */
export const DEFAULT_MAX_BURST_START_MS = 100;
/** Default bound on memory held by parsed source maps. */
export const DEFAULT_SOURCE_MAP_CACHE_BYTES = 32 * 1024 * 1024;

export interface TimeSamplerOptions {
  /** Ticks per second; default VIGIL_SAMPLING_HZ or 99. */
  samplingHz?: number;
  /** Map frames of transpiled or bundled code to their sources; default DD_PROFILING_SOURCE_MAP or true. */
  sourceMaps?: boolean;
  /** Bound on memory used by loaded source maps; default VIGIL_SOURCE_MAP_CACHE_MB (32 MiB). */
  sourceMapCacheBytes?: number;
  /**
   * Carry the sampler context through async continuations with AsyncContextFrame (Node 24+,
   * `runWithContext`) instead of one thread-wide context (`setContext`). Default
   * VIGIL_SAMPLER_ASYNC_CONTEXT_FRAME or true (span labels then follow awaits natively); ignored
   * where the runtime lacks AsyncContextFrame (Node < 24), which uses the async-hooks path.
   */
  asyncContextFrame?: boolean;
  /**
   * Label every tick with `end_timestamp_ns` (when it was taken, Unix epoch nanoseconds), so the
   * Datadog timeline can place samples in time; default DD_PROFILING_TIMELINE_ENABLED or true, as
   * dd-trace-js. Costs one sample per tick instead of one per distinct stack.
   */
  timeline?: boolean;
  /**
   * Share of each period during which the sampler runs, in (0, 1]: one burst per period, at a
   * random offset (the first at once, so a short-lived process is profiled from its start).
   * 1 samples all the time. Default VIGIL_SAMPLING_DUTY_CYCLE or 1/6.
   */
  dutyCycle?: number;
  /**
   * Longest pause of the app a burst's start may cost, in milliseconds. When the next start would
   * take longer (estimated from the previous start and the heap's growth since), the sampler keeps
   * sampling from then on instead of bursting. Default VIGIL_SAMPLING_MAX_BURST_START_MS or 100.
   */
  maxBurstStartMs?: number;
}

export interface ResolvedTimeSamplerOptions {
  readonly samplingIntervalMicros: number;
  readonly sourceMaps: boolean;
  readonly sourceMapCacheBytes: number;
  readonly asyncContextFrame: boolean;
  readonly timeline: boolean;
  readonly dutyCycle: number;
  readonly maxBurstStartMs: number;
}

/** Options merged over the environment; bad values warn once through `logger` and fall back. */
export function resolveTimeSamplerOptions(
  options: TimeSamplerOptions,
  env: Readonly<NodeJS.ProcessEnv>,
  logger: Logger,
): ResolvedTimeSamplerOptions {
  const reader = new EnvReader(env, (message) => logger.warn(message));
  const samplingHz = validNumber(options.samplingHz, 'samplingHz', 1, 1000, logger)
    ?? reader.number('VIGIL_SAMPLING_HZ', DEFAULT_SAMPLING_HZ, { min: 1, max: 1000, unit: 'Hz' });
  const sourceMaps = options.sourceMaps ?? reader.bool('DD_PROFILING_SOURCE_MAP', true);
  const cacheBytes = validNumber(options.sourceMapCacheBytes, 'sourceMapCacheBytes', 0, Number.MAX_SAFE_INTEGER, logger)
    ?? reader.number('VIGIL_SOURCE_MAP_CACHE_MB', DEFAULT_SOURCE_MAP_CACHE_BYTES / (1024 * 1024), { min: 0, max: 4096, unit: 'MiB' }) * 1024 * 1024;
  const asyncContextFrame = options.asyncContextFrame ?? reader.bool('VIGIL_SAMPLER_ASYNC_CONTEXT_FRAME', true);
  const timeline = options.timeline ?? reader.bool('DD_PROFILING_TIMELINE_ENABLED', true);
  const dutyCycle = validNumber(options.dutyCycle, 'dutyCycle', Number.MIN_VALUE, 1, logger)
    ?? reader.number('VIGIL_SAMPLING_DUTY_CYCLE', DEFAULT_DUTY_CYCLE, { min: 0.001, max: 1 });
  const maxBurstStartMs = validNumber(options.maxBurstStartMs, 'maxBurstStartMs', 0, 60_000, logger)
    ?? reader.number('VIGIL_SAMPLING_MAX_BURST_START_MS', DEFAULT_MAX_BURST_START_MS, { min: 0, max: 60_000, unit: 'ms' });
  return {
    timeline,
    dutyCycle,
    maxBurstStartMs,
    samplingIntervalMicros: Math.round(1_000_000 / samplingHz),
    sourceMaps,
    sourceMapCacheBytes: cacheBytes,
    asyncContextFrame,
  };
}

function validNumber(value: number | undefined, name: string, min: number, max: number, logger: Logger): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isFinite(value) && value >= min && value <= max) return value;
  logger.warn(`option ${name}=${String(value)} is not a number in [${min}, ${max}]; using the default`);
  return undefined;
}
