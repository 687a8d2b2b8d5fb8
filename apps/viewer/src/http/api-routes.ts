import type { LeakSuspectOptions } from '@vigil/heap/leak-analysis';
import { diffProfiles } from '../analysis/diff';
import { leakSuspects } from '../analysis/leaks';
import { flameGraph } from '../analysis/flame-graph';
import { labelValues } from '../analysis/label-values';
import { parseLevelAggregation } from '../analysis/level-aggregation';
import { sandwich } from '../analysis/sandwich';
import { timeSeries } from '../analysis/time-series';
import { uploadTags } from '../analysis/upload-tags';
import { topFunctions } from '../analysis/top-functions';
import { timeline } from '../analysis/timeline';
import { parseLabelFilter, parseProfileFilter, selectProfiles } from '../store/profile-filter';
import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { HttpError } from './http-error';

/** Profiles one request may aggregate: keeps a careless `from=0` from decoding the whole disk. */
const MAX_PROFILES_PER_QUERY = 500;
/**
 * Estimated decoded bytes one request may read (each profile is decoded, walked, and left to the
 * bounded cache): the newest profiles that fit are used. Older index entries carry no estimate;
 * they count 48 times their gzip size, the ratio measured on ordinary wall profiles.
 */
const MAX_DECODED_BYTES_PER_QUERY = 1024 * 1024 * 1024;
const LEGACY_DECODED_BYTES_PER_STORED_BYTE = 48;

function limitParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new HttpError(400, `query parameter "${name}" must be a positive integer, got ${JSON.stringify(raw)}`);
  return Math.min(value, max);
}

/** `baseTag.<name>=` / `newTag.<name>=`: a tag only one side of a comparison must have (host, region, ...). */
function withSideTags(filter: ReturnType<typeof parseProfileFilter>, params: URLSearchParams, side: 'base' | 'new'): ReturnType<typeof parseProfileFilter> {
  const prefix = `${side}Tag.`;
  for (const [name, value] of params) if (name.startsWith(prefix) && name.length > prefix.length) filter.tags[name.slice(prefix.length)] = value;
  return filter;
}

/** The newest of `refs` (oldest first) within the per-query count and memory budgets; at least one. */
export function newestCapped(refs: ProfileRef[]): ProfileRef[] {
  let decodedBytes = 0;
  let first = refs.length;
  while (first > 0 && refs.length - first < MAX_PROFILES_PER_QUERY) {
    const { profile } = refs[first - 1]!;
    decodedBytes += profile.decodedBytes ?? profile.bytes * LEGACY_DECODED_BYTES_PER_STORED_BYTE;
    if (decodedBytes > MAX_DECODED_BYTES_PER_QUERY && first < refs.length) break;
    first--;
  }
  return refs.slice(first);
}

/** The JSON summary of a profile used by the list and metadata endpoints. */
export function describeProfile({ upload, profile }: ProfileRef): Record<string, unknown> {
  return {
    id: profile.id,
    uploadId: upload.id,
    type: profile.type,
    service: upload.service,
    env: upload.env,
    version: upload.version,
    source: upload.source,
    start: new Date(upload.startMs).toISOString(),
    end: new Date(upload.endMs).toISOString(),
    startMs: upload.startMs,
    endMs: upload.endMs,
    received: new Date(upload.receivedMs).toISOString(),
    sampleTypes: profile.sampleTypes.map(([type, unit]) => ({ type, unit })),
    sampleCount: profile.sampleCount,
    bytes: profile.bytes,
    compression: profile.compression,
    tags: upload.tags,
  };
}

/** GET /api/services: every service with its environments, versions, profile types and time span. */
export function listServices(store: ProfileStore): unknown {
  const services = new Map<string, { envs: Set<string>; versions: Set<string>; types: Map<string, { count: number; sampleTypes: Map<string, string> }>; firstMs: number; lastMs: number; profileCount: number }>();
  for (const { upload, profile } of store.allProfiles()) {
    let s = services.get(upload.service);
    if (!s) services.set(upload.service, (s = { envs: new Set(), versions: new Set(), types: new Map(), firstMs: upload.startMs, lastMs: upload.endMs, profileCount: 0 }));
    if (upload.env) s.envs.add(upload.env);
    if (upload.version) s.versions.add(upload.version);
    s.firstMs = Math.min(s.firstMs, upload.startMs);
    s.lastMs = Math.max(s.lastMs, upload.endMs);
    s.profileCount++;
    let t = s.types.get(profile.type);
    if (!t) s.types.set(profile.type, (t = { count: 0, sampleTypes: new Map() }));
    t.count++;
    for (const [type, unit] of profile.sampleTypes) t.sampleTypes.set(type, unit);
  }
  return {
    services: [...services].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, s]) => ({
      name,
      envs: [...s.envs].sort(),
      versions: [...s.versions].sort(),
      profileCount: s.profileCount,
      first: new Date(s.firstMs).toISOString(),
      last: new Date(s.lastMs).toISOString(),
      types: [...s.types].sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, t]) => ({
        type,
        count: t.count,
        sampleTypes: [...t.sampleTypes].map(([st, unit]) => ({ type: st, unit })),
      })),
    })),
  };
}

/** The analysis endpoints under /api that read profile contents. */
export async function analysisRoute(store: ProfileStore, name: string, params: URLSearchParams): Promise<unknown> {
  const labels = parseLabelFilter(params);
  const sampleType = params.get('sampleType');
  const heap = parseLevelAggregation(params.get('heap'));
  switch (name) {
    case 'profiles': {
      const refs = selectProfiles(store, parseProfileFilter(params));
      const limit = limitParam(params, 'limit', 1000, 10_000);
      return { total: refs.length, profiles: refs.slice(Math.max(0, refs.length - limit)).reverse().map(describeProfile) };
    }
    case 'flamegraph':
      return flameGraph(store, newestCapped(selectProfiles(store, parseProfileFilter(params))), sampleType, labels, heap);
    case 'top':
      return topFunctions(store, newestCapped(selectProfiles(store, parseProfileFilter(params))), sampleType, labels, limitParam(params, 'limit', 100, 10_000), heap);
    case 'labels':
      return labelValues(store, newestCapped(selectProfiles(store, parseProfileFilter(params))), sampleType);
    case 'diff': {
      const base = withSideTags(parseProfileFilter(params, 'base'), params, 'base');
      const next = withSideTags(parseProfileFilter(params, 'new'), params, 'new');
      // Each side is chosen by its own range or ids, or by what tells it apart: env, version or a tag.
      const sides = ['from', 'to', 'ids', 'env', 'version'].some((name) => params.has(`base${name[0]!.toUpperCase()}${name.slice(1)}`) || params.has(`new${name[0]!.toUpperCase()}${name.slice(1)}`))
        || [...params.keys()].some((k) => k.startsWith('baseTag.') || k.startsWith('newTag.'));
      if (!sides) {
        throw new HttpError(400, 'diff needs a base and a new selection: baseFrom/baseTo or baseIds, and newFrom/newTo or newIds, or baseVersion/newVersion, baseEnv/newEnv, baseTag.<name>/newTag.<name>');
      }
      if (!base.ids && !next.ids) {
        // A shared from/to narrows both sides when they are told apart by tag, env or version.
        const shared = parseProfileFilter(params);
        for (const f of [base, next]) {
          f.fromMs ??= shared.fromMs;
          f.toMs ??= shared.toMs;
        }
      }
      return diffProfiles(store, newestCapped(selectProfiles(store, base)), newestCapped(selectProfiles(store, next)), sampleType, labels, limitParam(params, 'limit', 200, 10_000), heap);
    }
    case 'sandwich': {
      const fn = params.get('function');
      if (!fn) throw new HttpError(400, 'sandwich needs a function (query parameter "function")');
      return sandwich(store, newestCapped(selectProfiles(store, parseProfileFilter(params))), sampleType, labels, fn, params.get('file'), heap);
    }
    case 'timeseries': {
      const filter = parseProfileFilter(params);
      if (!filter.service && !filter.ids) throw new HttpError(400, 'timeseries needs a service (query parameter "service")');
      return { series: await timeSeries(store, newestCapped(selectProfiles(store, filter))) };
    }
    case 'tags': {
      const filter = parseProfileFilter(params);
      return { tags: uploadTags(selectProfiles(store, filter)) };
    }
    case 'timeline': {
      const filter = parseProfileFilter(params);
      // Events live in `events` profiles unless the caller asked for another type on purpose.
      if (!filter.type && !filter.ids) filter.type = 'events';
      return timeline(store, newestCapped(selectProfiles(store, filter)), labels, filter, limitParam(params, 'limit', 5000, 50_000));
    }
    case 'leaks': {
      const filter = parseProfileFilter(params);
      if (!filter.service && !filter.ids) throw new HttpError(400, 'leaks needs a service (query parameter "service")');
      const options: LeakSuspectOptions = {};
      if (params.get('minPeriods')) options.minPeriods = limitParam(params, 'minPeriods', 5, 10_000);
      if (params.get('minGrowthBytes')) {
        const value = Number(params.get('minGrowthBytes'));
        if (!Number.isFinite(value) || value < 0) throw new HttpError(400, 'query parameter "minGrowthBytes" must be a number of bytes');
        options.minGrowthBytes = value;
      }
      const refs = selectProfiles(store, filter).filter(({ profile }) => filter.ids || filter.type || profile.type === 'space' || profile.sampleTypes.some(([t]) => t === 'inuse_space'));
      return { groups: await leakSuspects(store, newestCapped(refs), options) };
    }
    default:
      throw new HttpError(404, `no API endpoint /api/${name}`);
  }
}
