// What `@vigil/profiler/register` loads once DD_PROFILING_ENABLED is on: the profiler, configured by
// the environment, with only the collectors it names loaded (see register.ts for the switch).
import { isMainThread } from 'node:worker_threads';
import { createConsoleLogger, Profiler, readEnvConfig, type Logger } from '@vigil/core';
import { selectExporters } from '@vigil/exporter/selection';
import { LAZY_COLLECTOR_FACTORIES } from './default-collectors';
import { envProfilerOptions } from './env-profiler';
import { LAZY_EXPORTER_FACTORIES } from './lazy-exporters';
import { registerLockEsmHooksIfUsed } from './lock-esm-hooks';

const STARTED_KEY = Symbol.for('vigil.register.started.v1');

export interface RegisterOptions {
  /** The preload came through `--import` (register.mjs): the app expects its ES module imports instrumented. */
  preloadedWithImport: boolean;
}

/** Starts the environment-configured profiler once per thread. Throws only for register.ts to report. */
export function startFromEnvironment(options: RegisterOptions): void {
  const holder = globalThis as unknown as Record<symbol, Profiler | undefined>;
  if (holder[STARTED_KEY]) return; // preloaded twice (--require and --import, or NODE_OPTIONS and a flag)
  // Warnings are for the profiler's own reading of the environment, which prints them once.
  const config = readEnvConfig(process.env, () => undefined);
  if (!config.enabled) return;
  const wantsLock = !config.profilers || config.profilers.includes('lock');
  // ESM imports of lock libraries can only be instrumented by a loader hook registered before they
  // load. That hook runs on a thread of its own (10-15 MB of RSS): only `--import` asks for it.
  if (wantsLock && isMainThread && options.preloadedWithImport) registerLockEsmHooksIfUsed();
  const lazyExporters = (env: Readonly<NodeJS.ProcessEnv>, logger: Logger) => selectExporters(env, logger, LAZY_EXPORTER_FACTORIES);
  const profiler = new Profiler(envProfilerOptions({ logger: createConsoleLogger(config.logLevel) }, LAZY_COLLECTOR_FACTORIES, lazyExporters));
  holder[STARTED_KEY] = profiler;
  profiler.start();
}
