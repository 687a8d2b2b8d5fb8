import { join } from 'node:path';
import { createConsoleLogger, EnvReader, readEnvConfig, type Exporter, type Logger, type ProfilerOptions } from '@vigil/core';
import { collectorsFor, DEFAULT_COLLECTORS, type CollectorFactories } from './default-collectors';

/**
 * Absolute path of `@vigil/profiler/register` (CommonJS), what child processes preload; undefined when this
 * code was bundled into an app (there is no register.js beside the bundle), and core then looks
 * for an installed `@vigil/profiler/register` instead.
 */
export const REGISTER_PATH: string | undefined = typeof __dirname === 'string' ? join(__dirname, 'register.js') : undefined;

/** Makes the exporters DD_PROFILING_EXPORTERS names (`exportersFromEnv`, or the preload's lazy twin). */
export type EnvExporters = (env: Readonly<NodeJS.ProcessEnv>, logger: Logger) => Exporter[];

/**
 * Fills in what `options` leaves out from the environment: the logger, the collectors
 * DD_PROFILING_PROFILERS names (made by `factories`), the exporters DD_PROFILING_EXPORTERS names
 * (made by `exporters`) and the preload of children.
 */
export function envProfilerOptions(options: ProfilerOptions, factories: CollectorFactories, exporters: EnvExporters): ProfilerOptions {
  const environment = options.environment ?? process.env;
  const config = readEnvConfig(environment, () => undefined);
  const logger: Logger = typeof options.logger === 'object' ? options.logger : createConsoleLogger(options.logger ?? config.logLevel);
  return {
    ...options,
    logger,
    collectors: options.collectors ?? collectorsFor(profilerNames(environment, config.profilers), logger, factories),
    exporters: options.exporters ?? exporters(environment, logger),
    childPreload: options.childPreload ?? REGISTER_PATH,
  };
}

/** DD_PROFILING_PROFILERS, else the defaults, plus span correlation when code hotspots are asked for. */
function profilerNames(environment: NodeJS.ProcessEnv, named: string[] | undefined): string[] {
  const names = [...(named ?? DEFAULT_COLLECTORS)];
  // Already validated (and warned about) by the core Profiler's own reading of the environment.
  const hotspots = new EnvReader(environment, () => undefined).bool('DD_PROFILING_CODEHOTSPOTS_ENABLED', false);
  if (hotspots && !names.includes('tracing')) names.push('tracing');
  return names;
}
