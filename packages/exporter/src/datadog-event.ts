import { availableParallelism, release, type as osType, version as osVersion } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NamedProfile, ProfileBatch } from '@vigil/core';
import { profileSeq, tagsFor } from './batch-tags';
import type { DatadogProcessFacts } from './datadog-process-facts';
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
