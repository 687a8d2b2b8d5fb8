import type { DecodeBudget } from './decode-budget';
import { HttpError } from '../http/http-error';
import type { IncomingUpload } from '../store/upload-meta';
import { UNKNOWN_SERVICE } from './datadog-intake';
import { incomingProfile } from './incoming-profile';
import { parseMultipart } from './multipart';

/** Query parameters of Pyroscope's `POST /ingest` that the viewer reads. */
export interface PyroscopeQuery {
  name: string | null;
  from: string | null;
  until: string | null;
  format: string | null;
  spyName: string | null;
  sampleRate: string | null;
}

/**
 * Parses a Grafana Pyroscope `POST /ingest` upload of pprof: multipart with a part `profile`
 * (and optional `sample_type_config`), or with `?format=pprof` the raw body. The app name and
 * labels come from `name=app{k=v,...}`, the period from `from`/`until`.
 */
export async function parsePyroscopeUpload(
  query: PyroscopeQuery,
  contentType: string | undefined,
  body: Buffer,
  budget: DecodeBudget,
): Promise<IncomingUpload> {
  const labels = parseLabelSet(query.name ?? '');
  const format = query.format ?? '';
  let profileBytes: Buffer;
  let sampleTypeConfig: Record<string, unknown> | undefined;
  if (format === 'pprof') {
    profileBytes = body;
  } else if (format === '' && contentType && /^multipart\/form-data/i.test(contentType)) {
    const parts = await parseMultipart(body, contentType, body.length);
    const profilePart = parts.find((p) => p.name === 'profile');
    if (!profilePart || profilePart.data.length === 0) throw new HttpError(400, 'missing multipart part "profile" (pprof)');
    if (parts.some((p) => p.name === 'prev_profile' && p.data.length > 0)) {
      throw new HttpError(400, 'part "prev_profile" (cumulative profiles of old pyroscope-go clients) is not supported; send delta profiles');
    }
    const config = parts.find((p) => p.name === 'sample_type_config');
    if (config && config.data.length > 0) {
      try {
        const parsed: unknown = JSON.parse(config.data.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
        sampleTypeConfig = parsed as Record<string, unknown>;
      } catch (error) {
        throw new HttpError(400, `part "sample_type_config" is not a JSON object: ${(error as Error).message}`);
      }
    }
    profileBytes = profilePart.data;
  } else {
    throw new HttpError(400, `unsupported Pyroscope ingest format ${JSON.stringify(format || contentType || '')}: the viewer takes pprof (multipart part "profile", or ?format=pprof with a raw body)`);
  }

  const partName = format === 'pprof' ? 'body' : 'profile';
  const checked = incomingProfile('pending', profileBytes, partName, budget);
  const type = profileTypeFromSampleTypes(checked.sampleTypes.map(([t]) => t), sampleTypeConfig);
  const { summary, ...profile } = checked;

  const nowMs = Date.now();
  const fromMs = query.from ? parseAtTime(query.from, 'from') : undefined;
  const untilMs = query.until ? parseAtTime(query.until, 'until') : undefined;
  const profileStartMs = summary.timeNanos > 0n ? Number(summary.timeNanos / 1_000_000n) : undefined;
  const startMs = fromMs ?? profileStartMs ?? nowMs;
  const endMs = Math.max(startMs, untilMs ?? (profileStartMs !== undefined ? profileStartMs + Number(summary.durationNanos / 1_000_000n) : nowMs));

  const { __name__: appName, ...rest } = labels;
  const service = rest.service_name ?? appName ?? UNKNOWN_SERVICE;
  const env = rest.env ?? rest.environment;
  const version = rest.version;
  return {
    source: 'pyroscope',
    service,
    env,
    version,
    tags: { ...rest, service, ...(env ? { env } : {}), ...(version ? { version } : {}) },
    startMs,
    endMs,
    profiles: [{ ...profile, type }],
    extra: {
      spyName: query.spyName ?? 'unknown',
      ...(query.sampleRate ? { sampleRate: query.sampleRate } : {}),
      ...(appName && appName !== service ? { appName } : {}),
      ...(sampleTypeConfig ? { sampleTypeConfig } : {}),
    },
  };
}

const LABEL_NAME = /^[A-Za-z0-9_.]+$/;
const SERVICE_NAME = /^[A-Za-z0-9_.\-/]+$/;

/**
 * Parses Pyroscope's `app.name{key=value,key2=value2}` the way its server does: the app name is
 * required, label names are letters, digits, `_` and `.`, values are everything up to `,` or `}`.
 */
export function parseLabelSet(name: string): Record<string, string> {
  const open = name.indexOf('{');
  const appName = (open < 0 ? name : name.slice(0, open)).trim();
  if (appName === '') throw new HttpError(400, 'query parameter "name" must start with an application name, as in name=my-app{env=prod}');
  if (!SERVICE_NAME.test(appName)) throw new HttpError(400, `application name ${JSON.stringify(appName)} has characters other than letters, digits, _ . - /`);
  const labels: Record<string, string> = { __name__: appName };
  if (open < 0) return labels;
  const close = name.indexOf('}', open);
  const body = name.slice(open + 1, close < 0 ? undefined : close);
  for (const pair of body.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!LABEL_NAME.test(key) || key === '__name__' || key === '__proto__') {
      throw new HttpError(400, `label name ${JSON.stringify(key)} in "name" is not allowed (letters, digits, _ and . only)`);
    }
    labels[key] = eq < 0 ? '' : pair.slice(eq + 1).trim();
  }
  return labels;
}

/**
 * A Unix time the way Pyroscope's `attime` reads digits: 10 digits or fewer are seconds, 13 are
 * milliseconds, 16 microseconds, 19 nanoseconds. Returns milliseconds.
 */
export function parseAtTime(value: string, field: string): number {
  const digits = value.trim();
  if (!/^\d{1,19}$/.test(digits)) throw new HttpError(400, `query parameter "${field}" must be a Unix time in seconds, got ${JSON.stringify(value)}`);
  switch (digits.length) {
    case 13: return Number(digits);
    case 16: return Number(BigInt(digits) / 1000n);
    case 19: return Number(BigInt(digits) / 1_000_000n);
    default: return Number(digits) * 1000;
  }
}

/**
 * The profile type shown in the viewer, from the sample types the way Pyroscope derives its
 * metric name: `wall`, `cpu`, memory (`space`), locks (`lock`), or the first sample type.
 */
export function profileTypeFromSampleTypes(types: readonly string[], config?: Record<string, unknown>): string {
  const display = (t: string) => {
    const entry = config?.[t];
    const name = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['display-name'] : undefined;
    return typeof name === 'string' && name !== '' ? name : t;
  };
  const names = types.map(display);
  if (types.includes('wall')) return 'wall';
  if (names.some((t) => t.includes('cpu'))) return 'cpu';
  if (names.some((t) => t.startsWith('alloc_') || t.startsWith('inuse_') || t === 'space' || t === 'objects')) return 'space';
  if (names.some((t) => t.startsWith('lock-') || t.startsWith('mutex_') || t.startsWith('block_') || t === 'contentions' || t === 'delay')) return 'lock';
  if (types.includes('timeline')) return 'events';
  return (types[0] ?? 'profile').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'profile';
}
