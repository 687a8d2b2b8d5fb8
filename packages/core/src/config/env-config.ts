import { LOG_LEVELS, type LogLevel } from '../logger';
import { EnvReader } from './env-reader';

/**
 * Every environment variable Vigil understands that is not specific to one collector, read and
 * validated in one place. Collector packages read their own knobs with the same EnvReader.
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
  /** Agent URL from DD_TRACE_AGENT_URL, or DD_AGENT_HOST + DD_TRACE_AGENT_PORT; http(s):// or unix://. */
  agentUrl: string;
  /** DD_PROFILING_OUTPUT_PPROF or DD_PROFILING_PPROF_PREFIX: file prefix for the file exporter. */
  pprofPrefix?: string;
  /** DD_PROFILING_AGENTLESS with DD_API_KEY and DD_SITE. */
  agentless: boolean;
  apiKey?: string;
  site: string;
  /** DD_PROFILING_SOURCE_MAP, default true. */
  sourceMaps: boolean;
  /** VIGIL_PYROSCOPE_URL and friends, for the Pyroscope exporter. */
  pyroscope: { url?: string; appName?: string; authToken?: string; basicAuthUser?: string; basicAuthPassword?: string; tenantId?: string };
}

export const DEFAULT_UPLOAD_PERIOD_MS = 60_000;
export const DEFAULT_UPLOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_EXIT_FLUSH_TIMEOUT_MS = 3_000;
const DEFAULT_AGENT_HOST = '127.0.0.1';
const DEFAULT_AGENT_PORT = 8126;

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
    agentUrl: agentUrl(read, warn),
    pprofPrefix: firstOf('DD_PROFILING_OUTPUT_PPROF', 'DD_PROFILING_PPROF_PREFIX'),
    agentless: read.bool('DD_PROFILING_AGENTLESS', false),
    apiKey: read.string('DD_API_KEY'),
    site: read.string('DD_SITE') ?? 'datadoghq.com',
    sourceMaps: read.bool('DD_PROFILING_SOURCE_MAP', true),
    pyroscope: {
      url: firstOf('VIGIL_PYROSCOPE_URL', 'PYROSCOPE_SERVER_ADDRESS'),
      appName: firstOf('VIGIL_PYROSCOPE_APP_NAME', 'PYROSCOPE_APPLICATION_NAME'),
      authToken: firstOf('VIGIL_PYROSCOPE_AUTH_TOKEN', 'PYROSCOPE_AUTH_TOKEN'),
      basicAuthUser: firstOf('VIGIL_PYROSCOPE_BASIC_AUTH_USER', 'PYROSCOPE_BASIC_AUTH_USER'),
      basicAuthPassword: firstOf('VIGIL_PYROSCOPE_BASIC_AUTH_PASSWORD', 'PYROSCOPE_BASIC_AUTH_PASSWORD'),
      tenantId: firstOf('VIGIL_PYROSCOPE_TENANT_ID', 'PYROSCOPE_TENANT_ID'),
    },
  };
}

function agentUrl(read: EnvReader, warn: (message: string) => void): string {
  const host = read.string('DD_AGENT_HOST') ?? DEFAULT_AGENT_HOST;
  const port = read.number('DD_TRACE_AGENT_PORT', DEFAULT_AGENT_PORT, { min: 1, max: 65535, integer: true });
  const fromParts = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const raw = read.string('DD_TRACE_AGENT_URL');
  if (raw === undefined) return fromParts;
  try {
    const url = new URL(raw);
    if (['http:', 'https:', 'unix:'].includes(url.protocol)) return raw;
  } catch {
    // fall through to the warning
  }
  warn(`DD_TRACE_AGENT_URL=${JSON.stringify(raw)} is not an http://, https:// or unix:// URL; using ${fromParts}`);
  return fromParts;
}
