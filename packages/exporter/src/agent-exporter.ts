import { PROFILER_VERSION, readEnvConfig, safeLog, type NamedProfile, type ProfileBatch } from '@vigil/core';
import { datadogAttachments, datadogEvent, type DatadogAttachment } from './datadog-event';
import { readAgentEnv } from './exporter-env-config';
import { parseTarget, type HttpRequest } from './http-transport';
import { buildMultipart, type MultipartPart } from './multipart';
import { NetworkExporter, type NetworkExporterOptions } from './network-exporter';
import { encodePprof, encodePprofSync } from './pprof-encoding';
import { unionProfiles, unionProfilesAsync } from './union-profiles';

export interface AgentExporterOptions extends NetworkExporterOptions {
  /**
   * Datadog agent URL: `http://host:port`, `https://...` or `unix:///path/to/apm.socket`.
   * Default from DD_TRACE_AGENT_URL, else DD_AGENT_HOST + DD_TRACE_AGENT_PORT, else http://127.0.0.1:8126.
   */
  url?: string;
  /** Send straight to Datadog's intake with an API key, no agent (DD_PROFILING_AGENTLESS). */
  agentless?: boolean;
  /** API key for agentless mode (DD_API_KEY). Never logged. */
  apiKey?: string;
  /** Datadog site for agentless mode (DD_SITE), default datadoghq.com. */
  site?: string;
  /** Agentless intake origin, default `https://intake.profile.{site}` (override for proxies and tests). */
  intakeUrl?: string;
  /** Put the host name in the event's `info.platform` (DD_TRACE_REPORT_HOSTNAME). */
  reportHostname?: boolean;
  /** Environment the defaults are read from; default process.env. */
  env?: Readonly<NodeJS.ProcessEnv>;
  /** Exporter name in logs and stats; default 'agent' (or 'agentless'). */
  name?: string;
}

const AGENT_PATH = '/profiling/v1/input';
const AGENTLESS_PATH = '/api/v2/profile';

/**
 * Ships profiles to a Datadog agent (or, agentless, to Datadog's intake) in the format dd-trace-js
 * uses, so the Datadog UI reads them: a multipart `event` part (`event.json`) and one gzip pprof
 * part per attachment (`wall.pprof`, `space.pprof`, `events.pprof`, `lock.pprof`, ...).
 */
export function agentExporter(options: AgentExporterOptions = {}): AgentExporter {
  return new AgentExporter(options);
}

export class AgentExporter extends NetworkExporter {
  readonly name: string;
  /** True when sending to the intake with an API key. */
  readonly agentless: boolean;
  private readonly apiKey: string | undefined;
  private readonly path: string;
  private readonly reportHostname: boolean;

  constructor(options: AgentExporterOptions = {}) {
    const env = options.env ?? process.env;
    const config = readEnvConfig(env, () => undefined);
    // The agent's own variables are this exporter's to validate: one warning each, to its logger.
    const agentEnv = readAgentEnv(env, (message) => {
      const logger = options.logger;
      if (logger) safeLog(() => logger.warn(message));
    });
    const apiKey = options.apiKey ?? agentEnv.apiKey;
    const wantsAgentless = options.agentless ?? agentEnv.agentless;
    const agentless = wantsAgentless && apiKey !== undefined && apiKey !== '';
    const site = options.site ?? agentEnv.site;
    const url = agentless ? (options.intakeUrl ?? `https://intake.profile.${site}`) : (options.url ?? agentEnv.agentUrl);
    super(parseTarget(url), { ...options, uploadTimeoutMs: options.uploadTimeoutMs ?? config.uploadTimeoutMs });
    this.agentless = agentless;
    this.apiKey = agentless ? apiKey : undefined;
    this.name = options.name ?? (agentless ? 'agentless' : 'agent');
    this.path = agentless ? AGENTLESS_PATH : AGENT_PATH;
    this.reportHostname = options.reportHostname ?? readBool(options.env ?? process.env, 'DD_TRACE_REPORT_HOSTNAME');
    if (wantsAgentless && !agentless) {
      this.log.report('agentless-without-key', `DD_PROFILING_AGENTLESS is set but DD_API_KEY is not; sending to the agent at ${this.transport.target.display} instead`);
    }
  }

  protected override redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('<redacted>') : text;
  }

  protected async requestsFor(batch: ProfileBatch): Promise<HttpRequest[]> {
    const requests: HttpRequest[] = [];
    for (const group of groupByProfileTags(batch.profiles)) {
      const attachments = datadogAttachments(group.profiles);
      // In parallel: each await costs a turn of the event loop, which in a busy app is a whole
      // synchronous chunk of the app's; one after the other, exports starved behind a busy loop.
      const files = await Promise.all(attachments.map(async (a) => encodePprof(await combinedAsync(a))));
      requests.push(this.request(batch, attachments, files, group.tags));
    }
    return requests;
  }

  protected requestsForSync(batch: ProfileBatch): HttpRequest[] {
    return groupByProfileTags(batch.profiles).map((group) => {
      const attachments = datadogAttachments(group.profiles);
      return this.request(batch, attachments, attachments.map((a) => encodePprofSync(combined(a))), group.tags);
    });
  }

  private request(batch: ProfileBatch, attachments: DatadogAttachment[], files: Buffer[], extraTags: Record<string, string>): HttpRequest {
    const names = attachments.map((a) => a.filename);
    const parts: MultipartPart[] = [
      { name: 'event', filename: 'event.json', contentType: 'application/json', data: datadogEvent(batch, names, { extraTags, reportHostname: this.reportHostname }) },
      ...names.map((filename, i) => ({ name: filename, filename, contentType: 'application/octet-stream', data: files[i]! })),
    ];
    const { body, contentType } = buildMultipart(parts);
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'DD-EVP-ORIGIN': 'vigil',
      'DD-EVP-ORIGIN-VERSION': PROFILER_VERSION,
    };
    if (this.apiKey) headers['DD-API-KEY'] = this.apiKey;
    return { method: 'POST', path: this.path, headers, body };
  }
}

function combined(attachment: DatadogAttachment) {
  const profiles = attachment.profiles.map((p) => p.profile);
  return profiles.length === 1 ? profiles[0]! : unionProfiles(profiles);
}

async function combinedAsync(attachment: DatadogAttachment) {
  const profiles = attachment.profiles.map((p) => p.profile);
  return profiles.length === 1 ? profiles[0]! : unionProfilesAsync(profiles);
}

/**
 * Profiles with their own tags (a worker's `thread id`, say) cannot share an upload with profiles
 * tagged differently, since tags belong to the whole upload: one upload per distinct tag set.
 */
function groupByProfileTags(profiles: readonly NamedProfile[]): Array<{ tags: Record<string, string>; profiles: NamedProfile[] }> {
  const groups = new Map<string, { tags: Record<string, string>; profiles: NamedProfile[] }>();
  for (const profile of profiles) {
    const tags = { ...(profile.tags ?? {}) };
    const key = JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const group = groups.get(key) ?? { tags, profiles: [] };
    group.profiles.push(profile);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function readBool(env: Readonly<NodeJS.ProcessEnv>, name: string): boolean {
  return ['true', '1', 'yes', 'on'].includes((env[name] ?? '').trim().toLowerCase());
}
