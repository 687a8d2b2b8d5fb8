import { HttpError } from '../http/http-error';
import type { ProfileRef, ProfileStore } from './profile-store';

/** Which profiles a query covers. */
export interface ProfileFilter {
  service?: string;
  env?: string;
  version?: string;
  /** Profile type: `wall`, `cpu`, `space`, `events`, `lock`, ... */
  type?: string;
  /** Milliseconds since the epoch; a profile counts when its period overlaps [fromMs, toMs]. */
  fromMs?: number;
  toMs?: number;
  /** Explicit profile ids (comma-separated in the query); overrides the time range. */
  ids?: string[];
  /** `tag.<name>=<value>` pairs the upload's tags must all have. */
  tags: Record<string, string>;
}

/**
 * A time from a query: ISO-8601, or a number of milliseconds since the epoch, or `now-<n><s|m|h|d>`.
 */
export function parseQueryTime(value: string, field: string): number {
  const trimmed = value.trim();
  const relative = /^now(?:-(\d+)(s|m|h|d))?$/.exec(trimmed);
  if (relative) {
    const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'] ?? 0;
    return Date.now() - Number(relative[1] ?? 0) * unitMs;
  }
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parsed = Date.parse(trimmed);
  if (!Number.isFinite(parsed)) throw new HttpError(400, `query parameter "${field}" must be ISO-8601, milliseconds since the epoch or now-15m, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Reads service/env/version/type/from/to/ids/tag.* (each optionally prefixed, e.g. `baseFrom`). */
export function parseProfileFilter(params: URLSearchParams, prefix = ''): ProfileFilter {
  const key = (name: string) => (prefix ? `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}` : name);
  const get = (name: string) => params.get(key(name)) ?? (prefix && name !== 'from' && name !== 'to' && name !== 'ids' ? params.get(name) : null) ?? undefined;
  const filter: ProfileFilter = { tags: {} };
  const service = get('service');
  if (service) filter.service = service;
  const env = get('env');
  if (env) filter.env = env;
  const version = get('version');
  if (version) filter.version = version;
  const type = get('type');
  if (type) filter.type = type;
  const from = get('from');
  if (from) filter.fromMs = parseQueryTime(from, key('from'));
  const to = get('to');
  if (to) filter.toMs = parseQueryTime(to, key('to'));
  const ids = get('ids');
  if (ids) filter.ids = ids.split(',').map((s) => s.trim()).filter(Boolean).slice(0, 10_000);
  for (const [name, value] of params) {
    if (name.startsWith('tag.') && name.length > 4) filter.tags[name.slice(4)] = value;
  }
  return filter;
}

/** `label.<name>=<value>` pairs a sample's labels must all have (e.g. `label.trace endpoint=GET /users`). */
export function parseLabelFilter(params: URLSearchParams): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name.startsWith('label.') && name.length > 6) labels[name.slice(6)] = value;
  }
  return labels;
}

/** Profiles matching a filter, oldest first. */
export function selectProfiles(store: ProfileStore, filter: ProfileFilter): ProfileRef[] {
  if (filter.ids) {
    return filter.ids.map((id) => {
      const ref = store.find(id);
      if (!ref) throw new HttpError(404, `no profile with id ${JSON.stringify(id)}`);
      return ref;
    });
  }
  return store.allProfiles().filter(({ upload, profile }) =>
    (filter.service === undefined || upload.service === filter.service) &&
    (filter.env === undefined || upload.env === filter.env) &&
    (filter.version === undefined || upload.version === filter.version) &&
    (filter.type === undefined || profile.type === filter.type) &&
    (filter.fromMs === undefined || upload.endMs >= filter.fromMs) &&
    (filter.toMs === undefined || upload.startMs <= filter.toMs) &&
    Object.entries(filter.tags).every(([k, v]) => upload.tags[k] === v));
}
