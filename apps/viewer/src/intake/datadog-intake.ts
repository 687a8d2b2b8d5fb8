import type { DecodeBudget } from './decode-budget';
import { HttpError } from '../http/http-error';
import type { IncomingProfile, IncomingUpload } from '../store/upload-meta';
import { checkProfileType, incomingProfile } from './incoming-profile';
import type { FormPart } from './multipart';

/** Service name used when an upload names none (as OpenTelemetry does). */
export const UNKNOWN_SERVICE = 'unknown_service';

const MAX_EVENT_JSON_BYTES = 256 * 1024;

/** Extensions under which profilers attach pprof: dd-trace-js/py `wall.pprof`, older clients `cpu.pb.gz`. */
const PPROF_SUFFIXES = ['.pprof', '.pb.gz', '.pprof.gz'];

/**
 * Parses a Datadog agent profile upload (`POST /profiling/v1/input`, event format version 4):
 * a part `event` holding event.json, and one part per attachment named `{type}.pprof`.
 */
export function parseDatadogUpload(parts: readonly FormPart[], budget: DecodeBudget): IncomingUpload {
  const eventPart = parts.find((p) => p.name === 'event');
  if (!eventPart) {
    throw new HttpError(400, 'missing multipart part "event" (event.json); this endpoint takes the Datadog profiling intake format v4');
  }
  // The event is kept in the index and in memory: metadata, not a place for megabytes.
  if (eventPart.data.length > MAX_EVENT_JSON_BYTES) throw new HttpError(400, `part "event" is ${eventPart.data.length} bytes; event.json may have at most ${MAX_EVENT_JSON_BYTES}`);
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(eventPart.data.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new HttpError(400, `part "event" is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new HttpError(400, 'part "event" must be a JSON object');

  const tags = typeof event.tags_profiler === 'string' ? parseTagsProfiler(event.tags_profiler) : {};
  const info = asRecord(event.info);
  const application = asRecord(info?.application);
  const service = tags.service ?? stringOr(application?.service) ?? UNKNOWN_SERVICE;
  const env = tags.env ?? stringOr(application?.env);
  const version = tags.version ?? stringOr(application?.version);

  const attachments = event.attachments;
  if (attachments !== undefined && !(Array.isArray(attachments) && attachments.every((a) => typeof a === 'string'))) {
    throw new HttpError(400, 'event.json "attachments" must be an array of file names');
  }
  const pprofParts = parts.filter((p) => p !== eventPart && isPprofName(p.name, p.filename));
  for (const name of (attachments as string[] | undefined) ?? []) {
    if (!PPROF_SUFFIXES.some((s) => name.endsWith(s))) continue; // e.g. Python's code-provenance.json
    if (!pprofParts.some((p) => p.name === name || p.filename === name)) {
      throw new HttpError(400, `event.json lists attachment ${JSON.stringify(name)} but no part carries it`);
    }
  }
  if (pprofParts.length === 0) throw new HttpError(400, 'upload carries no profile part (expected parts such as "wall.pprof")');

  const profiles: IncomingProfile[] = pprofParts.map((part) => {
    const fileName = PPROF_SUFFIXES.some((s) => part.name.endsWith(s)) ? part.name : (part.filename ?? part.name);
    const type = checkProfileType(stripSuffix(fileName), part.name);
    const { summary: _summary, ...profile } = incomingProfile(type, part.data, part.name, budget);
    return profile;
  });

  const nowMs = Date.now();
  const startMs = parseTime(event.start, 'start') ?? nowMs;
  const endMs = parseTime(event.end, 'end') ?? Math.max(startMs, nowMs);
  if (endMs < startMs) throw new HttpError(400, `event.json "end" (${String(event.end)}) is before "start" (${String(event.start)})`);

  const { attachments: _a, tags_profiler: _t, endpoint_counts: endpointCounts, start: _s, end: _e, ...extra } = event;
  return {
    source: 'datadog',
    service,
    env,
    version,
    tags: { ...tags, service, ...(env ? { env } : {}), ...(version ? { version } : {}) },
    startMs,
    endMs,
    profiles,
    endpointCounts: parseEndpointCounts(endpointCounts),
    extra,
  };
}

/** `tags_profiler` is a comma-separated list of `key:value`; the value is everything after the first colon. */
export function parseTagsProfiler(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of raw.split(',')) {
    const colon = entry.indexOf(':');
    if (colon <= 0) continue;
    const key = entry.slice(0, colon).trim();
    const value = entry.slice(colon + 1).trim();
    if (key && value && key !== '__proto__') tags[key] = value;
  }
  return tags;
}

function isPprofName(name: string, filename: string | undefined): boolean {
  return PPROF_SUFFIXES.some((s) => name.endsWith(s) || (filename?.endsWith(s) ?? false));
}

function stripSuffix(name: string): string {
  const suffix = [...PPROF_SUFFIXES].sort((a, b) => b.length - a.length).find((s) => name.endsWith(s));
  return suffix ? name.slice(0, -suffix.length) : name;
}

function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, `event.json "${field}" must be an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

function parseEndpointCounts(value: unknown): Record<string, number> | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const counts: Record<string, number> = {};
  for (const [endpoint, count] of Object.entries(record)) {
    if (typeof count === 'number' && Number.isFinite(count)) counts[endpoint] = count;
  }
  return counts;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
