import { Profiler as CoreProfiler, type ProfilerOptions } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { exportersFromEnv } from '@vigil/exporter';
import { heap } from '@vigil/heap';
import { lock } from '@vigil/lock';
import { tracingCorrelation } from '@vigil/tracing-correlation';
import { wall } from '@vigil/wall';
import type { CollectorFactories } from './default-collectors';
import { envProfilerOptions } from './env-profiler';

export { REGISTER_PATH } from './env-profiler';

// The library imports every collector anyway (it re-exports them), so it makes them directly.
const STATIC_COLLECTOR_FACTORIES: CollectorFactories = {
  cpu: () => cpu(), wall: () => wall(), heap: () => heap(), lock: () => lock(), tracing: () => tracingCorrelation(),
};

/**
 * A Profiler with batteries: without `collectors` it runs the ones DD_PROFILING_PROFILERS names
 * (default cpu, wall, heap and lock; span correlation on request); without `exporters` it uses
 * DD_PROFILING_EXPORTERS (default the Datadog agent). Children preload `@vigil/profiler/register`.
 */
export class Profiler extends CoreProfiler {
  constructor(options: ProfilerOptions = {}) {
    super(envProfilerOptions(options, STATIC_COLLECTOR_FACTORIES, exportersFromEnv));
  }
}
