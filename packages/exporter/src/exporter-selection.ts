import { readEnvConfig, safeLog, type Exporter, type Logger } from '@vigil/core';
import { readAgentEnv, readPprofPrefix } from './exporter-env-config';

// Which exporters the environment names, apart from the exporters themselves: the preload makes
// only the ones named, loading no other exporter's code (the whole package is 112 KB to compile).

export const EXPORTER_NAMES = ['agent', 'file', 'pyroscope', 'otlp'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/** How each exporter is made from the environment. */
export interface ExporterFactories {
  agent(env: Readonly<NodeJS.ProcessEnv>, logger: Logger | undefined): Exporter;
  file(prefix: string | undefined, logger: Logger | undefined): Exporter;
  pyroscope(env: Readonly<NodeJS.ProcessEnv>, logger: Logger | undefined): Exporter;
  otlp(env: Readonly<NodeJS.ProcessEnv>, logger: Logger | undefined): Exporter;
}

/** `exportersFromEnv` with the exporters made by `factories` (see exporters-from-env.ts). Never throws. */
export function selectExporters(env: Readonly<NodeJS.ProcessEnv>, logger: Logger | undefined, factories: ExporterFactories): Exporter[] {
  const warn = (message: string) => {
    if (logger) safeLog(() => logger.warn(message));
  };
  // Core's own variables are validated (and warned about) by the Profiler; stay quiet about them here.
  const config = readEnvConfig(env, () => undefined);
  const pprofPrefix = readPprofPrefix(env);
  const source = env.DD_PROFILING_EXPORTERS?.trim() ? 'DD_PROFILING_EXPORTERS' : 'VIGIL_EXPORTERS';
  let names: string[];
  if (config.exporters && config.exporters.length > 0) {
    const unknown = config.exporters.filter((n) => !(EXPORTER_NAMES as readonly string[]).includes(n));
    names = config.exporters.filter((n) => (EXPORTER_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0) {
      const fallback = names.length > 0 ? names : defaults(pprofPrefix);
      warn(`${source}=${JSON.stringify(env[source])} has unknown entries (${unknown.join(', ')}); known: ${EXPORTER_NAMES.join(', ')}; using ${fallback.join(',')}`);
      names = fallback;
    }
  } else {
    names = defaults(pprofPrefix);
  }

  // The agent exporter validates its own variables; without it, a malformed one is still worth its
  // one warning (the user may be about to switch to the agent).
  if (!names.includes('agent')) readAgentEnv(env, warn);

  const exporters: Exporter[] = [];
  for (const name of [...new Set(names)]) {
    try {
      if (name === 'file') {
        if (pprofPrefix === undefined) warn('the file exporter was asked for without DD_PROFILING_OUTPUT_PPROF; writing to the current folder');
        exporters.push(factories.file(pprofPrefix, logger));
      } else {
        exporters.push(factories[name as Exclude<ExporterName, 'file'>](env, logger));
      }
    } catch (error) {
      warn(`the ${name} exporter is off: ${(error as Error)?.message ?? String(error)}`);
    }
  }
  return exporters;
}

function defaults(pprofPrefix: string | undefined): ExporterName[] {
  return pprofPrefix !== undefined ? ['agent', 'file'] : ['agent'];
}
