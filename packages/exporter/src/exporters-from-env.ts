import type { Exporter, Logger } from '@vigil/core';
import { agentExporter } from './agent-exporter';
import { selectExporters, type ExporterFactories } from './exporter-selection';
import { fileExporter } from './file-exporter';
import { otlpExporterFromEnv } from './otlp';
import { pyroscopeExporter } from './pyroscope-exporter';

/** Every exporter, loaded with this package. */
const EXPORTER_FACTORIES: ExporterFactories = {
  agent: (env, logger) => agentExporter({ env, logger }),
  file: (prefix, logger) => fileExporter({ prefix, logger }),
  pyroscope: (env, logger) => pyroscopeExporter({ env, logger }),
  otlp: (env, logger) => otlpExporterFromEnv(env, logger),
};

/**
 * Builds the exporters the environment asks for: DD_PROFILING_EXPORTERS (or VIGIL_EXPORTERS), a
 * list of `agent`, `file`, `pyroscope`, `otlp`; by default `agent`, plus `file` when
 * DD_PROFILING_OUTPUT_PPROF is set. Unknown names and unusable settings are one warning each and
 * are skipped; this never throws.
 */
export function exportersFromEnv(env: Readonly<NodeJS.ProcessEnv> = process.env, logger?: Logger): Exporter[] {
  return selectExporters(env, logger, EXPORTER_FACTORIES);
}
