import { EnvReader, type Logger } from '@vigil/core';

/** The default sampling rate: 99 Hz, not 100, so ticks do not phase-lock with 10 ms timers. */
export const DEFAULT_SAMPLING_HZ = 99;
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
}

export interface ResolvedTimeSamplerOptions {
  readonly samplingIntervalMicros: number;
  readonly sourceMaps: boolean;
  readonly sourceMapCacheBytes: number;
  readonly asyncContextFrame: boolean;
  readonly timeline: boolean;
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
  return {
    timeline,
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
