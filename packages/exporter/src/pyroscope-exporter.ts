import { readEnvConfig, sampleTypesOf, stringAt, type NamedProfile, type Profile, type ProfileBatch } from '@vigil/core';
import { readPyroscopeEnv } from './exporter-env-config';
import { parseTarget, type HttpRequest } from './http-transport';
import { buildMultipart, type MultipartPart } from './multipart';
import { NetworkExporter, type NetworkExporterOptions } from './network-exporter';
import { encodePprof, encodePprofSync } from './pprof-encoding';

export interface PyroscopeExporterOptions extends NetworkExporterOptions {
  /** Server URL, e.g. http://localhost:4040 (VIGIL_PYROSCOPE_URL or PYROSCOPE_SERVER_ADDRESS). */
  serverAddress?: string;
  /** Application name (VIGIL_PYROSCOPE_APP_NAME or PYROSCOPE_APPLICATION_NAME); default the batch's `service` tag. */
  appName?: string;
  /** Labels added to every profile, over the batch's tags. */
  tags?: Readonly<Record<string, string>>;
  /** HTTP Basic credentials (Grafana Cloud: user id and token). */
  basicAuth?: { username: string; password: string };
  /** Bearer token; wins over basicAuth. */
  authToken?: string;
  /** Tenant for multi-tenant servers, sent as X-Scope-OrgID. */
  tenantId?: string;
  /** Profile types to send; default every type except `events` (Pyroscope has no timeline view). */
  profileTypes?: readonly string[];
  /** Batch tags left out of the label set because they change on every start; default runtime-id and process_id. */
  dropTags?: readonly string[];
  /** Environment the defaults are read from; default process.env. */
  env?: Readonly<NodeJS.ProcessEnv>;
  /** Exporter name in logs and stats; default 'pyroscope'. */
  name?: string;
}

/** Sent as `spyName`, as the official Node client does; the server uses it to pick frame formatting. */
const SPY_NAME = 'nodespy';
const DEFAULT_SERVER_ADDRESS = 'http://localhost:4040';
const DEFAULT_DROPPED_TAGS = ['runtime-id', 'process_id'];

/**
 * Pyroscope derives the profile's metric from sample type names (`cpu` -> process_cpu, `wall`,
 * `alloc_`/`inuse_` -> memory, `mutex_` -> mutex). Our lock sample types match none of these, so
 * a `sample_type_config` maps them to mutex display names and units.
 */
const LOCK_SAMPLE_TYPE_CONFIG: Record<string, { units: string; 'display-name': string; aggregation: string }> = {
  'lock-acquire': { units: 'lock_samples', 'display-name': 'mutex_count', aggregation: 'sum' },
  'lock-acquire-wait': { units: 'lock_nanoseconds', 'display-name': 'mutex_duration', aggregation: 'sum' },
  'lock-release': { units: 'lock_samples', 'display-name': 'mutex_count', aggregation: 'sum' },
  'lock-release-hold': { units: 'lock_nanoseconds', 'display-name': 'mutex_duration', aggregation: 'sum' },
};

/**
 * Ships profiles to Grafana Pyroscope's `/ingest` endpoint: one request per profile, query
 * `name=app{labels}`, `from`/`until` in Unix seconds, `spyName`, and a multipart body with the gzip
 * pprof in the `profile` part (plus `sample_type_config` for lock profiles).
 */
export function pyroscopeExporter(options: PyroscopeExporterOptions = {}): PyroscopeExporter {
  return new PyroscopeExporter(options);
}

export class PyroscopeExporter extends NetworkExporter {
  readonly name: string;
  private readonly appName: string | undefined;
  private readonly tags: Readonly<Record<string, string>>;
  private readonly authorization: string | undefined;
  private readonly tenantId: string | undefined;
  private readonly profileTypes: readonly string[] | undefined;
  private readonly dropTags: ReadonlySet<string>;
  private readonly secrets: string[];

  constructor(options: PyroscopeExporterOptions = {}) {
    const config = readEnvConfig(options.env ?? process.env, () => undefined);
    const p = readPyroscopeEnv(options.env ?? process.env);
    super(parseTarget(options.serverAddress ?? p.url ?? DEFAULT_SERVER_ADDRESS), { ...options, uploadTimeoutMs: options.uploadTimeoutMs ?? config.uploadTimeoutMs });
    this.name = options.name ?? 'pyroscope';
    this.appName = options.appName ?? p.appName;
    this.tags = options.tags ?? {};
    const token = options.authToken ?? p.authToken;
    const basic = options.basicAuth ?? (p.basicAuthUser && p.basicAuthPassword ? { username: p.basicAuthUser, password: p.basicAuthPassword } : undefined);
    const basicCredentials = basic ? Buffer.from(`${basic.username}:${basic.password}`).toString('base64') : undefined;
    this.authorization = token ? `Bearer ${token}` : basicCredentials ? `Basic ${basicCredentials}` : undefined;
    // Longest first, so a secret that contains another is scrubbed whole.
    this.secrets = [token, basic?.password, basicCredentials].filter((s): s is string => !!s && s.length >= 4).sort((a, b) => b.length - a.length);
    this.tenantId = options.tenantId ?? p.tenantId;
    this.profileTypes = options.profileTypes;
    this.dropTags = new Set(options.dropTags ?? DEFAULT_DROPPED_TAGS);
  }

  protected override redact(text: string): string {
    return this.secrets.reduce((t, secret) => t.split(secret).join('<redacted>'), text);
  }

  protected async requestsFor(batch: ProfileBatch): Promise<HttpRequest[]> {
    const requests: HttpRequest[] = [];
    for (const profile of this.selected(batch)) requests.push(this.request(batch, profile, await encodePprof(profile.profile)));
    return requests;
  }

  protected requestsForSync(batch: ProfileBatch): HttpRequest[] {
    return this.selected(batch).map((profile) => this.request(batch, profile, encodePprofSync(profile.profile)));
  }

  private selected(batch: ProfileBatch): NamedProfile[] {
    return batch.profiles.filter((p) => (this.profileTypes ? this.profileTypes.includes(p.type) : p.type !== 'events'));
  }

  private request(batch: ProfileBatch, profile: NamedProfile, pprof: Buffer): HttpRequest {
    const query = new URLSearchParams({
      name: this.labelSet(batch, profile),
      from: String(Math.floor(batch.period.startMs / 1000)),
      until: String(Math.ceil(batch.period.endMs / 1000)),
      spyName: SPY_NAME,
    });
    const sampleRate = samplesPerSecond(profile.profile);
    if (sampleRate !== undefined) query.set('sampleRate', String(sampleRate));

    const parts: MultipartPart[] = [{ name: 'profile', filename: 'profile.pprof', contentType: 'application/octet-stream', data: pprof }];
    const typeConfig = sampleTypeConfigFor(profile.profile);
    if (typeConfig) parts.push({ name: 'sample_type_config', filename: 'sample_type_config.json', contentType: 'application/json', data: JSON.stringify(typeConfig) });
    const { body, contentType } = buildMultipart(parts);
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (this.authorization) headers.Authorization = this.authorization;
    if (this.tenantId) headers['X-Scope-OrgID'] = this.tenantId;
    return { method: 'POST', path: `/ingest?${query.toString()}`, headers, body };
  }

  /** `app{k=v,...}` as the server's label-set parser reads it, with names and values made acceptable to it. */
  private labelSet(batch: ProfileBatch, profile: NamedProfile): string {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...batch.tags, ...(profile.tags ?? {}), ...this.tags })) {
      if (k === 'service' || this.dropTags.has(k)) continue;
      const name = labelName(k);
      if (name) labels[name] = labelValue(v);
    }
    const app = appName(this.appName ?? batch.tags.service ?? 'node');
    return `${app}{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;
  }
}

/** Label names: letters, digits, `_` and `.` only (the server rejects others); `__name__` and friends are reserved. */
function labelName(key: string): string | undefined {
  const cleaned = key.replace(/[^A-Za-z0-9_.]/g, '_');
  return cleaned === '' || cleaned.startsWith('__') ? undefined : cleaned;
}

/** Label values end at `,` or `}` in the label-set syntax, so those (and braces, `=`) become `_`. */
function labelValue(value: string): string {
  return value.replace(/[,{}=]/g, '_').trim();
}

/** Application names: letters, digits, `_`, `.`, `-` and `/`. */
function appName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.\-/]/g, '_');
  return cleaned === '' ? 'node' : cleaned;
}

/** Samples per second for sampled time profiles (period in nanoseconds), as the Node client reports it. */
function samplesPerSecond(profile: Profile): number | undefined {
  if (!profile.periodType) return undefined;
  const unit = stringAt(profile, profile.periodType.unit);
  const period = Number(profile.period);
  if (unit !== 'nanoseconds' || !(period > 0)) return undefined;
  return Math.max(1, Math.round(1e9 / period));
}

function sampleTypeConfigFor(profile: Profile): Record<string, unknown> | undefined {
  const lockTypes = sampleTypesOf(profile).map(([type]) => type).filter((t) => t in LOCK_SAMPLE_TYPE_CONFIG);
  if (lockTypes.length === 0) return undefined;
  return Object.fromEntries(lockTypes.map((t) => [t, LOCK_SAMPLE_TYPE_CONFIG[t]]));
}

export { DEFAULT_SERVER_ADDRESS as DEFAULT_PYROSCOPE_SERVER_ADDRESS };
