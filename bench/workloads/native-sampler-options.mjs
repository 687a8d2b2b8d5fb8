// Options of @datadog/pprof's native TimeProfiler when the bench drives it directly. A module of
// its own: harness.mjs writes to stdout at exit, which heap-walk.mjs cannot have.

/**
 * `vigil` adds what Vigil's sampler turns on (contexts and CPU time per sample); without it,
 * V8's sampler alone.
 */
export function nativeTimeSamplerOptions(hz, { vigil = false } = {}) {
  return { intervalMicros: Math.round(1e6 / hz), durationMillis: 864e5, lineNumbers: false, withContexts: vigil, workaroundV8Bug: true, collectCpuTime: vigil, collectAsyncId: false, useCPED: false, isMainThread: true };
}
