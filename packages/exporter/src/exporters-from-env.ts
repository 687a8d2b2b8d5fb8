import { readEnvConfig, safeLog, type Exporter, type Logger } from '@vigil/core';
import { agentExporter } from './agent-exporter';
import { readAgentEnv, readPprofPrefix } from './exporter-env-config';
import { fileExporter } from './file-exporter';
import { otlpExporterFromEnv } from './otlp';
import { pyroscopeExporter } from './pyroscope-exporter';

export const EXPORTER_NAMES = ['agent', 'file', 'pyroscope', 'otlp'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/**
 * Builds the exporters the environment asks for: DD_PROFILING_EXPORTERS (or VIGIL_EXPORTERS), a
 * list of `agent`, `file`, `pyroscope`, `otlp`; by default `agent`, plus `file` when
 * DD_PROFILING_OUTPUT_PPROF is set. Unknown names and unusable settings are one warning each and
 * are skipped; this never throws.
 */
export function exportersFromEnv(env: Readonly<NodeJS.ProcessEnv> = process.env, logger?: Logger): Exporter[] {
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
      if (name === 'agent') exporters.push(agentExporter({ env, logger }));
      else if (name === 'pyroscope') exporters.push(pyroscopeExporter({ env, logger }));
      else if (name === 'otlp') exporters.push(otlpExporterFromEnv(env, logger));
      else if (name === 'file') {
        if (pprofPrefix === undefined) warn('the file exporter was asked for without DD_PROFILING_OUTPUT_PPROF; writing to the current folder');
        exporters.push(fileExporter({ prefix: pprofPrefix, logger }));
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
