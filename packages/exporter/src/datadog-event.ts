import { availableParallelism, release, type as osType, version as osVersion } from 'node:os';
import { basename, extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NamedProfile, ProfileBatch } from '@vigil/core';
import { profileSeq, tagsFor } from './batch-tags';
import { gitMetadata, type GitMetadata } from './git-metadata';
import { entrypointPath, processTags } from './process-tags';
import { safeName, safeTagValue } from './safe-names';

/** One attachment of a Datadog upload: a file name and the profile it carries. */
export interface DatadogAttachment {
  readonly filename: string;
  readonly profiles: readonly NamedProfile[];
}

/**
 * Groups a batch's profiles into Datadog attachments named as dd-trace-js names them, because the
 * Datadog UI looks for those names: `wall` and `cpu` go together into `wall.pprof` (the sampler's
 * wall and cpu sample types in one profile, as dd-trace sends it; `cpu` alone goes there too),
 * the heap (`space`) into `space.pprof`, timeline events into `events.pprof`, and any other type
 * (lock, io-wait, your own) into `<type>.pprof`.
 */
export function datadogAttachments(profiles: readonly NamedProfile[]): DatadogAttachment[] {
  const byFile = new Map<string, NamedProfile[]>();
  const ordered = [...profiles].sort((a, b) => rank(a.type) - rank(b.type));
  for (const profile of ordered) {
    const filename = `${profile.type === 'cpu' ? 'wall' : safeName(profile.type)}.pprof`;
    const list = byFile.get(filename) ?? [];
    list.push(profile);
    byFile.set(filename, list);
  }
  return [...byFile].map(([filename, list]) => ({ filename, profiles: list }));
}

// Wall before cpu, so a sample type both carry (sample/count) is taken from the wall profile.
function rank(type: string): number {
  return type === 'wall' ? 0 : type === 'cpu' ? 1 : 2;
}

/**
 * What the event says about the process beyond the batch, read once per exporter (see
 * `datadogProcessFacts`).
 */
export interface DatadogProcessFacts {
  /** Host name, sent as `info.platform.hostname` and the `host:` tag under DD_TRACE_REPORT_HOSTNAME. */
  readonly hostname?: string;
  /** `git.repository_url` / `git.commit.sha` tags, only when both are known (as dd-trace-js does). */
  readonly git?: GitMetadata;
  /** The `process_tags` field. */
  readonly processTags?: string;
  /** UV_THREADPOOL_SIZE parsed as libuv does (atoi: junk is 0); undefined when unset. */
  readonly libuvThreadpoolSize?: number;
  /** `manual` (DD_PROFILING_ENABLED=true or code), `auto` (DD_PROFILING_ENABLED=auto). */
  readonly activation: 'manual' | 'auto';
  /** `injected_agent` when single-step instrumentation injected the profiler (DD_INJECTION_ENABLED). */
  readonly ssiMechanism: 'none' | 'injected_agent';
  /** AWS Lambda function name, sent as the `functionname` tag as dd-trace-js does. */
  readonly functionName?: string;
}

/** Reads the process facts of `DatadogProcessFacts` from the environment and the file system, once. */
export function datadogProcessFacts(env: Readonly<NodeJS.ProcessEnv>, options: { reportHostname: boolean; hostname: string; service?: string; tags?: Readonly<Record<string, string>> }): DatadogProcessFacts {
  const entrypoint = safeString(entrypointPath);
  const inferredService = entrypoint ? basename(entrypoint, extname(entrypoint)) : 'node';
  const serviceInferred = !env.DD_SERVICE && options.service === inferredService;
  const threadpool = env.UV_THREADPOOL_SIZE;
  let git: GitMetadata = {};
  try {
    git = gitMetadata(env, options.tags ?? {});
  } catch {
    // unreadable files: no git tags
  }
  return {
    hostname: options.reportHostname ? options.hostname : undefined,
    git,
    processTags: safeString(() => processTags({ entrypoint, service: options.service, serviceInferred })) || undefined,
    libuvThreadpoolSize: threadpool === undefined ? undefined : atoi(threadpool),
    activation: (env.DD_PROFILING_ENABLED ?? '').trim().toLowerCase() === 'auto' ? 'auto' : 'manual',
    ssiMechanism: env.DD_INJECTION_ENABLED ? 'injected_agent' : 'none',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME || undefined,
  };
}

export interface DatadogEventOptions {
  /** `profile_seq`: this exporter's upload count, from 0. Default: the period's seq - 1. */
  readonly profileSeq?: number;
  /** Process facts (host name, git, process tags, ...); default: none of them. */
  readonly facts?: DatadogProcessFacts;
}

const NO_FACTS: DatadogProcessFacts = { activation: 'manual', ssiMechanism: 'none' };

/**
 * The `event.json` part of a Datadog profile upload (intake format version 4), with the fields
 * dd-trace-js sends: attachments, start/end, family `node`, `tags_profiler`, `endpoint_counts`,
 * `process_tags` and `info` about the application, platform, profiler and runtime.
 */
export function datadogEvent(batch: ProfileBatch, attachments: readonly string[], options: DatadogEventOptions = {}): string {
  const { runtime, period } = batch;
  const facts = options.facts ?? NO_FACTS;
  const tags: Record<string, string> = {
    language: 'javascript',
    runtime: 'nodejs',
    runtime_arch: runtime.arch,
    runtime_os: runtime.platform,
    runtime_version: `v${runtime.nodeVersion}`,
    process_id: String(runtime.pid),
    profiler_version: runtime.profilerVersion,
    format: 'pprof',
    ...tagsFor(batch),
    ...(facts.hostname ? { host: facts.hostname } : {}),
    ...(facts.functionName ? { functionname: facts.functionName } : {}),
    ...(facts.git?.repositoryUrl && facts.git.commitSha ? { 'git.repository_url': facts.git.repositoryUrl, 'git.commit.sha': facts.git.commitSha } : {}),
    snapshot: period.final ? 'on_shutdown' : 'periodic',
    profile_seq: String(options.profileSeq ?? profileSeq(batch)),
  };
  const batchTags = batch.tags;
  const event: Record<string, unknown> = {
    attachments,
    start: new Date(period.startMs).toISOString(),
    end: new Date(period.endMs).toISOString(),
    family: 'node',
    version: '4',
    tags_profiler: Object.entries(tags)
      .map(([k, v]) => `${safeTagValue(k).replace(/:/g, '_')}:${safeTagValue(v)}`)
      .join(','),
    endpoint_counts: batch.endpointCounts,
    info: {
      application: {
        env: batchTags.env,
        service: batchTags.service,
        start_time: processStartIso(),
        version: batchTags.version,
      },
      platform: {
        hostname: facts.hostname,
        kernel_name: safe(osType),
        kernel_release: safe(release),
        kernel_version: safe(osVersion),
      },
      profiler: {
        activation: facts.activation,
        ssi: { mechanism: facts.ssiMechanism },
        version: runtime.profilerVersion,
        // Vigil has no serverless mode (dd-trace-js's flushes every 65 one-second intervals on Lambda).
        serverless: false,
        settings: profilerSettings(batch),
        hasMissingSourceMaps: batch.profiles.some((p) => hasComment(p.profile, MISSING_SOURCE_MAPS_COMMENT)),
      },
      runtime: {
        available_processors: safeNumber(availableParallelism),
        engine: 'nodejs',
        libuv_threadpool_size: facts.libuvThreadpoolSize,
        version: runtime.nodeVersion.replace(/^v/, ''),
      },
    },
  };
  if (facts.processTags) event.process_tags = facts.processTags;
  return JSON.stringify(event);
}

/**
 * The comment a collector writes into a profile when a frame's script has a `sourceMappingURL`
 * whose map could not be read (the token dd-trace-js's source mapper writes), so the UI can say
 * why frames show generated code.
 */
export const MISSING_SOURCE_MAPS_COMMENT = 'dd:has-missing-map-files';

/**
 * `info.profiler.settings`: dd-trace-js reports its configuration here (`systemInfoReport`). Vigil
 * reports the keys whose meaning carries over, from what the batch shows: the profile types sent,
 * whether timeline data (events, `end_timestamp_ns`) is in it, whether cpu time is, and the
 * compression of the attachments.
 */
function profilerSettings(batch: ProfileBatch): Record<string, unknown> {
  const types = [...new Set(batch.profiles.map((p) => p.type))];
  return {
    profilerTypes: types,
    cpuProfilingEnabled: types.includes('cpu'),
    timelineEnabled: types.includes('events') || batch.profiles.some((p) => p.type === 'wall' && hasLabelKey(p.profile, 'end_timestamp_ns')),
    uploadCompression: { method: 'gzip' },
  };
}

function hasComment(profile: NamedProfile['profile'], text: string): boolean {
  const strings = profile.stringTable.strings;
  return profile.comment.some((i) => strings[Number(i)] === text);
}

function hasLabelKey(profile: NamedProfile['profile'], key: string): boolean {
  const index = profile.stringTable.strings.indexOf(key);
  if (index <= 0) return false;
  // The first samples tell: the sampler labels every tick it has a timestamp for.
  return profile.sample.slice(0, 16).some((s) => s.label.some((l) => Number(l.key) === index));
}

/** libuv reads UV_THREADPOOL_SIZE with atoi: leading digits, else 0. */
function atoi(text: string): number {
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? 0 : n;
}

function safeString(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

function processStartIso(): string {
  return new Date(performance.timeOrigin + performance.nodeTiming.nodeStart).toISOString();
}

function safe(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function safeNumber(read: () => number): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
