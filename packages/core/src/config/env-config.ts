import { LOG_LEVELS, type LogLevel } from '../logger';
import { EnvReader } from './env-reader';

/**
 * The environment variables core itself understands, read and validated in one place. Collectors
 * and exporters read their own (the agent URL, Pyroscope's and agentless settings, source maps)
 * with the same EnvReader, so each backend's knobs live with the backend.
 */
export interface VigilEnvConfig {
  /** DD_PROFILING_ENABLED: whether `@vigil/profiler/register` starts a profiler. */
  enabled: boolean;
  service?: string;
  environment?: string;
  version?: string;
  /** DD_TAGS: user tags. */
  tags: Record<string, string>;
  /** DD_PROFILING_PROFILERS / VIGIL_PROFILERS: collector names; validated by whoever builds collectors. */
  profilers?: string[];
  /** DD_PROFILING_EXPORTERS / VIGIL_EXPORTERS: exporter names; validated by whoever builds exporters. */
  exporters?: string[];
  /** DD_PROFILING_UPLOAD_PERIOD (seconds), default 60. */
  uploadPeriodMs: number;
  /** DD_PROFILING_UPLOAD_TIMEOUT (milliseconds), default 60000. */
  uploadTimeoutMs: number;
  /** VIGIL_EXIT_FLUSH_TIMEOUT (milliseconds), default 3000: how long exit may wait for the last profile. */
  exitFlushTimeoutMs: number;
  /** VIGIL_PROFILE_CHILDREN: default for start({ profileChildren }). */
  profileChildren: boolean;
  /** VIGIL_STOP_ON_EXIT: default for start({ stopOnExit }). */
  stopOnExit: boolean;
  /** VIGIL_LOG_LEVEL, default warn. */
  logLevel: LogLevel;
}

export const DEFAULT_UPLOAD_PERIOD_MS = 60_000;
export const DEFAULT_UPLOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_EXIT_FLUSH_TIMEOUT_MS = 3_000;

/** Reads the environment; each malformed value produces one `warn` call and the default is used. */
export function readEnvConfig(env: Readonly<NodeJS.ProcessEnv>, warn: (message: string) => void): VigilEnvConfig {
  const read = new EnvReader(env, warn);
  const firstOf = (...names: string[]) => names.map((n) => read.string(n)).find((v) => v !== undefined);
  const listOf = (primary: string, secondary: string) =>
    read.string(primary) !== undefined ? read.list(primary, []) : read.string(secondary) !== undefined ? read.list(secondary, []) : undefined;

  return {
    enabled: read.bool('DD_PROFILING_ENABLED', false),
    service: firstOf('DD_SERVICE', 'OTEL_SERVICE_NAME'),
    environment: read.string('DD_ENV'),
    version: read.string('DD_VERSION'),
    tags: read.tags('DD_TAGS'),
    profilers: listOf('DD_PROFILING_PROFILERS', 'VIGIL_PROFILERS'),
    exporters: listOf('DD_PROFILING_EXPORTERS', 'VIGIL_EXPORTERS'),
    uploadPeriodMs: read.number('DD_PROFILING_UPLOAD_PERIOD', DEFAULT_UPLOAD_PERIOD_MS / 1000, { min: 0.1, max: 3600, unit: 'seconds' }) * 1000,
    uploadTimeoutMs: read.number('DD_PROFILING_UPLOAD_TIMEOUT', DEFAULT_UPLOAD_TIMEOUT_MS, { min: 1, max: 600_000, unit: 'milliseconds' }),
    exitFlushTimeoutMs: read.number('VIGIL_EXIT_FLUSH_TIMEOUT', DEFAULT_EXIT_FLUSH_TIMEOUT_MS, { min: 0, max: 60_000, unit: 'milliseconds' }),
    profileChildren: read.bool('VIGIL_PROFILE_CHILDREN', true),
    stopOnExit: read.bool('VIGIL_STOP_ON_EXIT', true),
    logLevel: read.oneOf('VIGIL_LOG_LEVEL', LOG_LEVELS, 'warn'),
  };
}
