import { availableParallelism, release, type as osType, version as osVersion } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NamedProfile, ProfileBatch } from '@vigil/core';
import { profileSeq, tagsFor } from './batch-tags';
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
  /** Extra tags for this upload (per-profile tags), merged over the batch's. */
  readonly extraTags?: Readonly<Record<string, string>>;
  /** Include the host name in `info.platform` (DD_TRACE_REPORT_HOSTNAME). */
  readonly reportHostname?: boolean;
}

/**
 * The `event.json` part of a Datadog profile upload (intake format version 4), with the fields
 * dd-trace-js sends: attachments, start/end, family `node`, `tags_profiler`, `endpoint_counts`
 * and `info` about the application, platform, profiler and runtime.
 */
export function datadogEvent(batch: ProfileBatch, attachments: readonly string[], options: DatadogEventOptions = {}): string {
  const { runtime, period } = batch;
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
    ...(options.extraTags ?? {}),
    profile_seq: String(profileSeq(batch)),
    snapshot: period.final ? 'on_shutdown' : 'periodic',
  };
  const batchTags = batch.tags;
  const event = {
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
        hostname: options.reportHostname ? runtime.hostname : undefined,
        kernel_name: safe(osType),
        kernel_release: safe(release),
        kernel_version: safe(osVersion),
      },
      profiler: {
        activation: 'manual',
        ssi: { mechanism: 'none' },
        version: runtime.profilerVersion,
      },
      runtime: {
        available_processors: safeNumber(availableParallelism),
        engine: 'nodejs',
        version: runtime.nodeVersion.replace(/^v/, ''),
      },
    },
  };
  return JSON.stringify(event);
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
