import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import { readEnvConfig, type Logger, type NamedProfile, type ProfileBatch } from '@vigil/core';
import { parseTarget, type HttpRequest, type HttpTarget } from '../http-transport';
import { NetworkExporter, type NetworkExporterOptions } from '../network-exporter';
import type { OtlpAttributeValue } from './any-value';
import { DEFAULT_OTLP_ENDPOINT, invalidHeaders, profilesUrlFromBase, readOtlpEnv, type OtlpCompression, type OtlpEnvConfig } from './otlp-env';
import { encodeOtlpRequest, encodeOtlpRequestSync, type OtlpRequestInput } from './otlp-request';
import { resourceAttributesFor } from './resource-attributes';

const gzipAsync = promisify(gzip);

export interface OtlpExporterOptions extends NetworkExporterOptions {
  /**
   * Base URL of an OTLP/HTTP receiver (a Collector, Pyroscope); profiles are POSTed to
   * `{url}/v1development/profiles`. Default from OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT (used as is),
   * else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318.
   */
  url?: string;
  /** Full URL to POST to, used as is (wins over `url`), like OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT. */
  endpointUrl?: string;
  /** Extra request headers (auth, tenant), over OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_PROFILES_HEADERS. Never logged. */
  headers?: Readonly<Record<string, string>>;
  /** Resource attributes over those derived from the batch and from OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME. */
  resource?: Readonly<Record<string, OtlpAttributeValue>>;
  /**
   * Resource attributes left out, e.g. `['service.instance.id', 'process.pid']` for a backend that
   * turns every attribute into a series label (Pyroscope) and should not get a new series per process.
   */
  dropResourceAttributes?: readonly string[];
  /** Request body compression; default OTEL_EXPORTER_OTLP_(PROFILES_)COMPRESSION, else gzip. */
  compression?: OtlpCompression;
  /** Profile types to send (`wall`, `cpu`, `space`, `lock`, `events`, ...); default all. */
  profileTypes?: readonly string[];
  /** Largest request body before compression; default 64 MiB, the OTLP spec's recommended limit. */
  maxRequestBytes?: number;
  /** Environment the defaults are read from; default process.env. */
  env?: Readonly<NodeJS.ProcessEnv>;
  /** Exporter name in logs and stats; default 'otlp'. */
  name?: string;
}

const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/** Headers the exporter sets itself; a user header of the same name would corrupt the request. */
const RESERVED_HEADERS = new Set(['content-type', 'content-encoding', 'content-length', 'host', 'transfer-encoding', 'connection']);

/**
 * Ships profiles as OpenTelemetry profiles (OTLP/HTTP, protobuf, alpha signal
 * `v1development`) to an OpenTelemetry Collector, Grafana Pyroscope or any OTLP receiver: one
 * `ExportProfilesServiceRequest` per batch, one ScopeProfiles per pprof profile, one OTLP Profile
 * per sample type, a shared dictionary, resource attributes from the batch and the standard
 * OTEL_* variables. Same timeouts, retries and exit hand-off as the other network exporters.
 */
export function otlpExporter(options: OtlpExporterOptions = {}): OtlpExporter {
  return new OtlpExporter(options);
}

/** The exporter `otlp` in DD_PROFILING_EXPORTERS / VIGIL_EXPORTERS: everything from the environment. */
export function otlpExporterFromEnv(env: Readonly<NodeJS.ProcessEnv> = process.env, logger?: Logger): OtlpExporter {
  return new OtlpExporter({ env, logger });
}

export class OtlpExporter extends NetworkExporter {
  readonly name: string;
  /** The URL profiles are POSTed to (without credentials). */
  readonly endpoint: string;
  private readonly path: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly compression: OtlpCompression;
  private readonly otlpEnv: OtlpEnvConfig;
  private readonly resourceOverrides: Readonly<Record<string, OtlpAttributeValue>>;
  private readonly dropResourceAttributes: ReadonlySet<string>;
  private readonly profileTypes: readonly string[] | undefined;
  private readonly maxRequestBytes: number;
  private readonly secrets: string[];

  constructor(options: OtlpExporterOptions = {}) {
    const env = options.env ?? process.env;
    const warnings: string[] = [];
    const otlpEnv = readOtlpEnv(env, (m) => warnings.push(m));
    const config = readEnvConfig(env, () => undefined);
    const endpoint = options.endpointUrl ?? (options.url !== undefined ? profilesUrlFromBase(checkedUrl(options.url)) : otlpEnv.endpointUrl ?? profilesUrlFromBase(DEFAULT_OTLP_ENDPOINT));
    const { target, path } = splitEndpoint(endpoint);
    super(target, {
      ...options,
      uploadTimeoutMs: options.uploadTimeoutMs ?? config.uploadTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? otlpEnv.requestTimeoutMs,
    });
    this.name = options.name ?? 'otlp';
    this.endpoint = `${target.display}${path.split('?')[0]}`;
    this.path = path;
    this.otlpEnv = otlpEnv;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...otlpEnv.headers, ...(options.headers ?? {}) })) {
      if (RESERVED_HEADERS.has(key.toLowerCase())) warnings.push(`the OTLP header ${key} is set by the exporter itself; ignoring the configured one`);
      else headers[key] = String(value);
    }
    for (const problem of invalidHeaders(headers)) warnings.push(`the OTLP headers option ${problem}; leaving it out`);
    this.headers = headers;
    // Longest first, so a secret that contains another is scrubbed whole.
    this.secrets = Object.values(headers).filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
    this.compression = options.compression ?? otlpEnv.compression ?? 'gzip';
    this.resourceOverrides = options.resource ?? {};
    this.dropResourceAttributes = new Set(options.dropResourceAttributes ?? []);
    this.profileTypes = options.profileTypes;
    this.maxRequestBytes = options.maxRequestBytes !== undefined && options.maxRequestBytes > 0 ? options.maxRequestBytes : DEFAULT_MAX_REQUEST_BYTES;
    for (const warning of warnings) this.log.report(`env:${warning}`, warning);
  }

  protected override redact(text: string): string {
    return this.secrets.reduce((t, secret) => t.split(secret).join('<redacted>'), text);
  }

  protected async requestsFor(batch: ProfileBatch): Promise<HttpRequest[]> {
    const requests: HttpRequest[] = [];
    for (const input of this.inputs(batch)) {
      const whole = await encodeOtlpRequest(input);
      for (const body of whole.length <= this.maxRequestBytes ? [whole] : await this.split(input)) {
        requests.push(this.request(this.compression === 'gzip' ? await gzipAsync(body) : Buffer.from(body)));
      }
    }
    return requests;
  }

  protected requestsForSync(batch: ProfileBatch): HttpRequest[] {
    const requests: HttpRequest[] = [];
    for (const input of this.inputs(batch)) {
      const whole = encodeOtlpRequestSync(input);
      const bodies = whole.length <= this.maxRequestBytes ? [whole] : this.keepSmallEnough(input, input.profiles.map((p) => encodeOtlpRequestSync({ ...input, profiles: [p] })));
      for (const body of bodies) requests.push(this.request(this.compression === 'gzip' ? gzipSync(body) : Buffer.from(body)));
    }
    return requests;
  }

  /** The batch as request inputs: the selected profiles, with the resource built once. */
  private inputs(batch: ProfileBatch): OtlpRequestInput[] {
    const profiles = batch.profiles.filter((p) => !this.profileTypes || this.profileTypes.includes(p.type));
    if (profiles.length === 0) return [];
    const resource = resourceAttributesFor(batch, this.otlpEnv, this.resourceOverrides);
    for (const key of this.dropResourceAttributes) delete resource[key];
    return [{ profiles, resource }];
  }

  /** Too big for one request (the spec says a client MUST NOT send it): one request per profile, dropping any still too big. */
  private async split(input: OtlpRequestInput): Promise<Uint8Array[]> {
    const bodies: Uint8Array[] = [];
    for (const profile of input.profiles) bodies.push(await encodeOtlpRequest({ ...input, profiles: [profile] }));
    return this.keepSmallEnough(input, bodies);
  }

  private keepSmallEnough(input: OtlpRequestInput, bodies: Uint8Array[]): Uint8Array[] {
    return bodies.filter((body, i) => {
      if (body.length <= this.maxRequestBytes) return true;
      const profile: NamedProfile | undefined = input.profiles[i];
      this.stats.failed++;
      this.log.report('request-too-large', `${this.name}: dropped the ${profile?.type ?? '?'} profile: ${body.length} bytes encoded, over the ${this.maxRequestBytes}-byte request limit`);
      return false;
    });
  }

  private request(body: Buffer): HttpRequest {
    const headers: Record<string, string> = { ...this.headers, 'Content-Type': 'application/x-protobuf' };
    if (this.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    return { method: 'POST', path: this.path, headers, body };
  }
}

function checkedUrl(url: string): string {
  try {
    new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(url)} is not a URL`);
  }
  return url;
}

/** An endpoint URL as the transport's target (origin only) and the request path (kept whole, query included). */
function splitEndpoint(endpoint: string): { target: HttpTarget; path: string } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`${JSON.stringify(endpoint)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${JSON.stringify(endpoint)} is not an http:// or https:// URL`);
  const target = parseTarget(`${url.protocol}//${url.host}`);
  return { target, path: `${url.pathname || '/'}${url.search}` };
}
