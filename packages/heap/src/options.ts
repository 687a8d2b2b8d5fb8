import { EnvReader } from '@vigil/core';

/** What the out-of-memory capture does when V8 signals the heap is near its limit. */
export interface OutOfMemoryOptions {
  /**
   * Bytes the heap limit is raised by so the final profile can be taken and written, or 'auto'
   * (one young generation, what Node grants its own near-limit heap snapshot). Default 'auto'.
   */
  heapLimitExtensionBytes?: number | 'auto';
  /**
   * 'interrupt' (default) runs the capture even while the app is stuck in synchronous code;
   * 'async' waits for the event loop, which a synchronous leak never returns to.
   */
  callbackMode?: 'interrupt' | 'async';
}

/** Options of the heap collector. Every option also has an environment variable (see README). */
export interface HeapOptions {
  /** Average bytes allocated between two samples. Default 512 KiB (DD_PROFILING_HEAP_SAMPLING_INTERVAL). */
  samplingIntervalBytes?: number;
  /** Deepest stack recorded per sample. Default 64 (VIGIL_HEAP_STACK_DEPTH). */
  stackDepth?: number;
  /**
   * Record `alloc_objects` / `alloc_space` per period where the runtime can (Node >= 26). Default
   * false: each collection then forces one full GC, and @datadog/pprof 5.20 cannot take the
   * out-of-memory profile in this mode. Experimental (see the README's known issues). On older
   * Node it is reported as unavailable.
   * (VIGIL_HEAP_ALLOCATIONS)
   */
  allocations?: boolean;
  /** Record GC pauses as timeline events (`events` profile). Default true (VIGIL_HEAP_GC_EVENTS). */
  gcEvents?: boolean;
  /** GC events kept per period; more are sampled down fairly and counted. Default 5000 (VIGIL_HEAP_MAX_GC_EVENTS). */
  maxGcEventsPerPeriod?: number;
  /** Periods of per-site live bytes kept to find leak suspects. Default 10 (VIGIL_HEAP_LEAK_HISTORY). */
  leakHistoryPeriods?: number;
  /** Largest sites (by live bytes) remembered per period for leak detection. Default 200. */
  leakSitesPerPeriod?: number;
  /** Smallest growth over the history that makes a site a suspect. Default 1 MiB (VIGIL_HEAP_LEAK_MIN_GROWTH). */
  leakMinGrowthBytes?: number;
  /**
   * Write a final heap profile through every synchronous exporter when the heap nears its limit.
   * Default true (DD_PROFILING_EXPERIMENTAL_OOM_MONITORING_ENABLED or VIGIL_HEAP_OOM).
   */
  outOfMemory?: boolean | OutOfMemoryOptions;
}

/** Options with every default applied. */
export interface ResolvedHeapOptions {
  samplingIntervalBytes: number;
  stackDepth: number;
  allocations: boolean;
  /** True when the user (option or env) asked for allocations, so their absence deserves a warning. */
  allocationsRequested: boolean;
  gcEvents: boolean;
  maxGcEventsPerPeriod: number;
  leakHistoryPeriods: number;
  leakSitesPerPeriod: number;
  leakMinGrowthBytes: number;
  outOfMemory: Required<OutOfMemoryOptions> | undefined;
}

export const DEFAULT_SAMPLING_INTERVAL_BYTES = 512 * 1024;
export const DEFAULT_STACK_DEPTH = 64;
export const DEFAULT_MAX_GC_EVENTS_PER_PERIOD = 5000;
export const DEFAULT_LEAK_HISTORY_PERIODS = 10;
export const DEFAULT_LEAK_SITES_PER_PERIOD = 200;
export const DEFAULT_LEAK_MIN_GROWTH_BYTES = 1024 * 1024;

/**
 * Merges explicit options over environment variables over defaults. Bad values (from either) are
 * reported through `warn` in the standard one-line form and replaced by the default.
 */
export function resolveHeapOptions(options: HeapOptions, env: Readonly<NodeJS.ProcessEnv>, warn: (message: string) => void): ResolvedHeapOptions {
  const reader = new EnvReader(env, warn);
  const checked = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    warn(`heap option ${name}=${String(value)} is not an integer in [${min}, ${max}]; using ${fallback}`);
    return fallback;
  };
  const intervalFromEnv = reader.number('DD_PROFILING_HEAP_SAMPLING_INTERVAL', DEFAULT_SAMPLING_INTERVAL_BYTES, { min: 1, max: 2 ** 31 - 1, integer: true, unit: 'bytes' });
  const depthFromEnv = reader.number('VIGIL_HEAP_STACK_DEPTH', DEFAULT_STACK_DEPTH, { min: 1, max: 1024, integer: true });
  const allocationsEnv = reader.string('VIGIL_HEAP_ALLOCATIONS') === undefined ? undefined : reader.bool('VIGIL_HEAP_ALLOCATIONS', false);
  const allocations = options.allocations ?? allocationsEnv;
  const maxEventsFromEnv = reader.number('VIGIL_HEAP_MAX_GC_EVENTS', DEFAULT_MAX_GC_EVENTS_PER_PERIOD, { min: 0, max: 1_000_000, integer: true });
  const historyFromEnv = reader.number('VIGIL_HEAP_LEAK_HISTORY', DEFAULT_LEAK_HISTORY_PERIODS, { min: 3, max: 1000, integer: true });
  const growthFromEnv = reader.number('VIGIL_HEAP_LEAK_MIN_GROWTH', DEFAULT_LEAK_MIN_GROWTH_BYTES, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'bytes' });
  const oomEnvName = reader.string('VIGIL_HEAP_OOM') !== undefined ? 'VIGIL_HEAP_OOM' : 'DD_PROFILING_EXPERIMENTAL_OOM_MONITORING_ENABLED';
  const oomEnabled = options.outOfMemory === undefined ? reader.bool(oomEnvName, true) : options.outOfMemory !== false;
  const oomOptions = typeof options.outOfMemory === 'object' ? options.outOfMemory : {};
  return {
    samplingIntervalBytes: checked('samplingIntervalBytes', options.samplingIntervalBytes, intervalFromEnv, 1, 2 ** 31 - 1),
    stackDepth: checked('stackDepth', options.stackDepth, depthFromEnv, 1, 1024),
    allocations: allocations ?? false,
    allocationsRequested: allocations === true,
    gcEvents: options.gcEvents ?? reader.bool('VIGIL_HEAP_GC_EVENTS', true),
    maxGcEventsPerPeriod: checked('maxGcEventsPerPeriod', options.maxGcEventsPerPeriod, maxEventsFromEnv, 0, 1_000_000),
    leakHistoryPeriods: checked('leakHistoryPeriods', options.leakHistoryPeriods, historyFromEnv, 3, 1000),
    leakSitesPerPeriod: checked('leakSitesPerPeriod', options.leakSitesPerPeriod, DEFAULT_LEAK_SITES_PER_PERIOD, 1, 100_000),
    leakMinGrowthBytes: checked('leakMinGrowthBytes', options.leakMinGrowthBytes, growthFromEnv, 0, Number.MAX_SAFE_INTEGER),
    outOfMemory: oomEnabled
      ? { heapLimitExtensionBytes: oomOptions.heapLimitExtensionBytes ?? 'auto', callbackMode: oomOptions.callbackMode ?? 'interrupt' }
      : undefined,
  };
}
