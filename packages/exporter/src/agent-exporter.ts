import { PROFILER_VERSION, readEnvConfig, safeLog, type NamedProfile, type ProfileBatch } from '@vigil/core';
import { containerHeaders, containerIdentity } from './container-identity';
import { datadogAttachments, datadogEvent, type DatadogAttachment } from './datadog-event';
import { datadogProcessFacts, type DatadogProcessFacts } from './datadog-process-facts';
import { readAgentEnv } from './exporter-env-config';
import { parseTarget, type HttpRequest } from './http-transport';
import { buildMultipart, type MultipartPart } from './multipart';
import { NetworkExporter, type NetworkExporterOptions } from './network-exporter';
import { encodePprof, encodePprofSync } from './pprof-encoding';
import { unionProfiles, unionProfilesAsync, type UnionInput } from './union-profiles';

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
  /**
   * Agentless intake origin, default VIGIL_PROFILING_INTAKE_URL, else `https://intake.profile.{site}`
   * (override it to go through a proxy or a relay of your own).
   */
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
  /** Where uploads go: the agent's or the intake's origin (`http://127.0.0.1:8126`, `https://intake.profile.datadoghq.com`). */
  get destination(): string {
    return this.transport.target.display;
  }
  private readonly apiKey: string | undefined;
  private readonly path: string;
  private readonly reportHostname: boolean;
  private readonly env: Readonly<NodeJS.ProcessEnv>;
  private facts: DatadogProcessFacts | undefined;
  private uploads = 0;

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
    const intakeUrl = options.intakeUrl ?? agentEnv.intakeUrl ?? `https://intake.profile.${site}`;
    const url = agentless ? intakeUrl : (options.url ?? agentEnv.agentUrl);
    super(parseTarget(url), { ...options, uploadTimeoutMs: options.uploadTimeoutMs ?? config.uploadTimeoutMs });
    this.agentless = agentless;
    this.apiKey = agentless ? apiKey : undefined;
    this.name = options.name ?? (agentless ? 'agentless' : 'agent');
    this.path = agentless ? AGENTLESS_PATH : AGENT_PATH;
    this.env = env;
    this.reportHostname = options.reportHostname ?? agentEnv.reportHostname;
    if (wantsAgentless && !agentless) {
      this.log.report('agentless-without-key', `DD_PROFILING_AGENTLESS is set but DD_API_KEY is not; sending to the agent at ${this.transport.target.display} instead`);
    }
  }

  protected override redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('<redacted>') : text;
  }

  protected async requestsFor(batch: ProfileBatch): Promise<HttpRequest[]> {
    const attachments = datadogAttachments(batch.profiles);
    // In parallel: each await costs a turn of the event loop, which in a busy app is a whole
    // synchronous chunk of the app's; one after the other, exports starved behind a busy loop.
    const files = await Promise.all(attachments.map(async (a) => encodePprof(await unionProfilesAsync(unionInputs(batch, a)))));
    return [this.request(batch, attachments, files)];
  }

  protected requestsForSync(batch: ProfileBatch): HttpRequest[] {
    const attachments = datadogAttachments(batch.profiles);
    return [this.request(batch, attachments, attachments.map((a) => encodePprofSync(unionProfiles(unionInputs(batch, a)))))];
  }

  private request(batch: ProfileBatch, attachments: DatadogAttachment[], files: Buffer[]): HttpRequest {
    const names = attachments.map((a) => a.filename);
    this.facts ??= datadogProcessFacts(this.env, { reportHostname: this.reportHostname, hostname: batch.runtime.hostname, service: batch.tags.service, tags: batch.tags });
    // dd-trace-js counts uploads from 0, one per upload whatever became of the previous one.
    const profileSeq = this.uploads++;
    const parts: MultipartPart[] = [
      { name: 'event', filename: 'event.json', contentType: 'application/json', data: datadogEvent(batch, names, { profileSeq, facts: this.facts }) },
      ...names.map((filename, i) => ({ name: filename, filename, contentType: 'application/octet-stream', data: files[i]! })),
    ];
    const { body, contentType } = buildMultipart(parts);
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'DD-EVP-ORIGIN': 'vigil',
      'DD-EVP-ORIGIN-VERSION': PROFILER_VERSION,
      ...containerHeaders(containerIdentity(), this.env),
    };
    if (this.apiKey) headers['DD-API-KEY'] = this.apiKey;
    return { method: 'POST', path: this.path, headers, body };
  }
}

/**
 * The inputs of one attachment's profile. Everything of a period goes in ONE upload, as dd-trace-js
 * sends it, because Datadog shows one upload as one profile: a profile's own tags (a worker's
 * `thread id`) become labels on its samples instead of splitting the upload, and profiles of one
 * type (the main thread's and a worker's wall) add up.
 */
function unionInputs(batch: ProfileBatch, attachment: DatadogAttachment): UnionInput[] {
  return attachment.profiles.map((p) => ({ profile: p.profile, source: p.type, labels: ownTags(batch, p) }));
}

function ownTags(batch: ProfileBatch, profile: NamedProfile): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [key, value] of Object.entries(profile.tags ?? {})) {
    if (batch.tags[key] !== value) own[key] = value;
  }
  return own;
}
