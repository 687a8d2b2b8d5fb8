import { EnvReader } from '@vigil/core';

/** The backends' own environment variables: each exporter reads (and warns about) only its own. */
export interface ExporterEnvConfig {
  /** Agent URL from DD_TRACE_AGENT_URL, or DD_AGENT_HOST + DD_TRACE_AGENT_PORT; http(s):// or unix://. */
  agentUrl: string;
  /** DD_PROFILING_OUTPUT_PPROF or DD_PROFILING_PPROF_PREFIX: file prefix for the file exporter. */
  pprofPrefix?: string;
  /** DD_PROFILING_AGENTLESS (or DD_AGENTLESS_ENABLED, dd-trace-js's name) with DD_API_KEY and DD_SITE. */
  agentless: boolean;
  apiKey?: string;
  site: string;
  /** VIGIL_PROFILING_INTAKE_URL: where agentless uploads go instead of intake.profile.{site} (a proxy or relay). */
  intakeUrl?: string;
  /** DD_TRACE_REPORT_HOSTNAME: send a `host:` tag as dd-trace does. */
  reportHostname: boolean;
  /** VIGIL_PYROSCOPE_* (or PYROSCOPE_*), for the Pyroscope exporter. */
  pyroscope: { url?: string; appName?: string; authToken?: string; basicAuthUser?: string; basicAuthPassword?: string; tenantId?: string };
}

const DEFAULT_AGENT_HOST = '127.0.0.1';
const DEFAULT_AGENT_PORT = 8126;

/** The Datadog agent's settings; a malformed value is one `warn` call and the default is used. */
export function readAgentEnv(env: Readonly<NodeJS.ProcessEnv>, warn: (message: string) => void): Pick<ExporterEnvConfig, 'agentUrl' | 'agentless' | 'apiKey' | 'site' | 'intakeUrl' | 'reportHostname'> {
  const read = new EnvReader(env, warn);
  const site = read.string('DD_SITE') ?? 'datadoghq.com';
  return {
    agentUrl: agentUrl(read, warn),
    agentless: read.bool('DD_PROFILING_AGENTLESS', false) || read.bool('DD_AGENTLESS_ENABLED', false),
    apiKey: read.string('DD_API_KEY'),
    site,
    intakeUrl: read.string('VIGIL_PROFILING_INTAKE_URL'),
    reportHostname: read.bool('DD_TRACE_REPORT_HOSTNAME', false),
  };
}

/** Grafana Pyroscope's settings, under our names or the ones its own Node client reads. */
export function readPyroscopeEnv(env: Readonly<NodeJS.ProcessEnv>): ExporterEnvConfig['pyroscope'] {
  const read = new EnvReader(env, () => undefined);
  const firstOf = (...names: string[]) => names.map((n) => read.string(n)).find((v) => v !== undefined);
  return {
    url: firstOf('VIGIL_PYROSCOPE_URL', 'PYROSCOPE_SERVER_ADDRESS'),
    appName: firstOf('VIGIL_PYROSCOPE_APP_NAME', 'PYROSCOPE_APPLICATION_NAME'),
    authToken: firstOf('VIGIL_PYROSCOPE_AUTH_TOKEN', 'PYROSCOPE_AUTH_TOKEN'),
    basicAuthUser: firstOf('VIGIL_PYROSCOPE_BASIC_AUTH_USER', 'PYROSCOPE_BASIC_AUTH_USER'),
    basicAuthPassword: firstOf('VIGIL_PYROSCOPE_BASIC_AUTH_PASSWORD', 'PYROSCOPE_BASIC_AUTH_PASSWORD'),
    tenantId: firstOf('VIGIL_PYROSCOPE_TENANT_ID', 'PYROSCOPE_TENANT_ID'),
  };
}

/** DD_PROFILING_OUTPUT_PPROF (or DD_PROFILING_PPROF_PREFIX), the file exporter's prefix. */
export function readPprofPrefix(env: Readonly<NodeJS.ProcessEnv>): string | undefined {
  const read = new EnvReader(env, () => undefined);
  return read.string('DD_PROFILING_OUTPUT_PPROF') ?? read.string('DD_PROFILING_PPROF_PREFIX');
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
