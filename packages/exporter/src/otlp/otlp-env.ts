import { EnvReader } from '@vigil/core';
import { OTLP_PROFILES_PATH } from './profiles-proto';

/** The OTLP/HTTP default endpoint (a local Collector). */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/** The OTLP exporter specification's default for OTEL_EXPORTER_OTLP_TIMEOUT. */
const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

export type OtlpCompression = 'gzip' | 'none';

/** What the standard OpenTelemetry exporter variables say, validated. */
export interface OtlpEnvConfig {
  /** The full URL profiles are POSTed to, from OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT (as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1development/profiles). */
  endpointUrl?: string;
  /** OTEL_EXPORTER_OTLP_HEADERS with OTEL_EXPORTER_OTLP_PROFILES_HEADERS over it. */
  headers: Record<string, string>;
  /** OTEL_RESOURCE_ATTRIBUTES. */
  resourceAttributes: Record<string, string>;
  /** OTEL_SERVICE_NAME. */
  serviceName?: string;
  /** OTEL_EXPORTER_OTLP_PROFILES_COMPRESSION or OTEL_EXPORTER_OTLP_COMPRESSION. */
  compression?: OtlpCompression;
  /** OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds), bound on one request. */
  requestTimeoutMs?: number;
}

/**
 * Reads the OpenTelemetry exporter variables. A bad value is one warning through `warn` (naming
 * the variable and what is used instead, never echoing header values, which hold credentials) and
 * is otherwise ignored.
 */
export function readOtlpEnv(env: Readonly<NodeJS.ProcessEnv>, warn: (message: string) => void): OtlpEnvConfig {
  const read = new EnvReader(env, warn);
  const signalFirst = (suffix: string) => (read.string(`OTEL_EXPORTER_OTLP_PROFILES_${suffix}`) !== undefined ? `OTEL_EXPORTER_OTLP_PROFILES_${suffix}` : `OTEL_EXPORTER_OTLP_${suffix}`);

  const protocolName = signalFirst('PROTOCOL');
  const protocol = read.string(protocolName);
  if (protocol !== undefined && protocol.toLowerCase() !== 'http/protobuf') {
    warn(`${protocolName}=${JSON.stringify(protocol)} is not supported by Vigil's profiles exporter (only http/protobuf); using http/protobuf`);
  }

  const config: OtlpEnvConfig = {
    headers: { ...headersFrom(read, 'OTEL_EXPORTER_OTLP_HEADERS', warn), ...headersFrom(read, 'OTEL_EXPORTER_OTLP_PROFILES_HEADERS', warn) },
    resourceAttributes: keyValuePairs(read, 'OTEL_RESOURCE_ATTRIBUTES', warn, true),
    serviceName: read.string('OTEL_SERVICE_NAME'),
  };
  const endpointUrl = endpointFrom(read, warn);
  if (endpointUrl) config.endpointUrl = endpointUrl;
  const compressionName = signalFirst('COMPRESSION');
  if (read.string(compressionName) !== undefined) config.compression = read.oneOf<OtlpCompression>(compressionName, ['gzip', 'none'], 'gzip');
  const timeoutName = signalFirst('TIMEOUT');
  if (read.string(timeoutName) !== undefined) {
    // A bad value falls back to the OTLP default of 10 s, which is what the warning says.
    config.requestTimeoutMs = read.number(timeoutName, DEFAULT_OTLP_TIMEOUT_MS, { min: 1, max: 600_000, integer: true, unit: 'milliseconds' });
  }
  return config;
}

/** The profiles URL for a base URL (OTEL_EXPORTER_OTLP_ENDPOINT semantics: the signal path is appended to the base path). */
export function profilesUrlFromBase(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${OTLP_PROFILES_PATH}`;
  return url.toString();
}

function endpointFrom(read: EnvReader, warn: (message: string) => void): string | undefined {
  const perSignal = read.string('OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT');
  if (perSignal !== undefined) {
    // A per-signal endpoint is used as is (the spec's rule), so a custom path works.
    if (isHttpUrl(perSignal)) return perSignal;
    warn(`OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT=${JSON.stringify(perSignal)} is not an http:// or https:// URL; using OTEL_EXPORTER_OTLP_ENDPOINT or ${DEFAULT_OTLP_ENDPOINT}`);
  }
  const base = read.string('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    if (isHttpUrl(base)) return profilesUrlFromBase(base);
    warn(`OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(base)} is not an http:// or https:// URL; using ${DEFAULT_OTLP_ENDPOINT}`);
  }
  return undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `key=value` pairs separated by commas, percent-decoded (the W3C Baggage form the OTel variables use). */
function keyValuePairs(read: EnvReader, name: string, warn: (message: string) => void, showValue: boolean): Record<string, string> {
  const raw = read.string(name);
  if (raw === undefined) return {};
  const out: Record<string, string> = {};
  const rejected: string[] = [];
  raw.split(',').forEach((entry, i) => {
    if (entry.trim() === '') return;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? decode(entry.slice(0, eq).trim()) : undefined;
    const value = eq > 0 ? decode(entry.slice(eq + 1).trim()) : undefined;
    if (!key || value === undefined) rejected.push(showValue ? JSON.stringify(entry.trim()) : `entry ${i + 1}`);
    else out[key] = value;
  });
  if (rejected.length > 0) {
    const shown = showValue ? `=${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw)}` : '';
    warn(`${name}${shown} has entries that are not key=value (${rejected.join(', ')}); using the other entries`);
  }
  return out;
}

function headersFrom(read: EnvReader, name: string, warn: (message: string) => void): Record<string, string> {
  const headers = keyValuePairs(read, name, warn, false);
  for (const problem of invalidHeaders(headers)) warn(`${name} ${problem}; leaving it out`);
  return headers;
}

/**
 * Removes (in place) headers Node would refuse to send, which would otherwise fail every upload
 * attempt; returns what was wrong with each, without the value.
 */
export function invalidHeaders(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) problems.push(`has a header name that HTTP does not allow (${JSON.stringify(key)})`);
    else if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) problems.push(`has a value for header ${key} with characters HTTP does not allow`);
    else continue;
    delete headers[key];
  }
  return problems;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
