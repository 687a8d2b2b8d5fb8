import type { DecodeBudget } from './decode-budget';
import { gzipSync } from 'node:zlib';
import { HttpError } from '../http/http-error';
import type { IncomingProfile } from '../store/upload-meta';
import { decompressPart } from './decompress';
import { checkPprof, type ProfileSummary } from './pprof-check';

/** Profile type names end up in URLs, the UI and logs; keep them plain. */
const PROFILE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkProfileType(type: string, partName: string): string {
  if (!PROFILE_TYPE.test(type) || type.includes('..')) {
    throw new HttpError(400, `profile part ${JSON.stringify(partName)} has an unusable type ${JSON.stringify(type)} (letters, digits, _ . - only)`);
  }
  return type;
}

/**
 * Turns one uploaded profile part (gzip, zstd or plain) into a checked profile stored as gzip,
 * the form `go tool pprof` and the download endpoint use.
 */
export function incomingProfile(type: string, bytes: Buffer, partName: string, budget: DecodeBudget): IncomingProfile & { summary: ProfileSummary } {
  const { raw, compression } = decompressPart(bytes, partName, budget);
  const { profile, summary } = checkPprof(raw, partName, budget.maxDecodedBytes);
  if (compression === 'none') checkUncompressedIsWhole(profile, partName);
  return {
    type,
    gzipBytes: compression === 'gzip' ? bytes : gzipSync(raw),
    compression,
    decoded: profile,
    sampleTypes: summary.sampleTypes,
    sampleCount: summary.sampleCount,
    decodedBytes: summary.decodedBytesEstimate,
    summary,
  };
}

/**
 * gzip and zstd end with a length or a last-block mark, so a compressed profile cut short fails to
 * decompress. Raw protobuf has no end mark: cut between two fields it still decodes, minus its
 * trailing fields. pprof writers (Go's, pprof-nodejs, pprof-format) write the fields in order and
 * end with time_nanos, duration_nanos, period_type and period, so a raw profile must carry its
 * time and duration, and a period type only with its period.
 */
function checkUncompressedIsWhole(profile: { timeNanos: unknown; durationNanos: unknown; periodType?: unknown; period: unknown }, partName: string): void {
  const missing = (value: unknown) => value === undefined || value === null || BigInt(value as bigint) === 0n;
  const problem = missing(profile.timeNanos) ? 'no time_nanos'
    : missing(profile.durationNanos) ? 'no duration_nanos'
    : profile.periodType && missing(profile.period) ? 'a period_type without its period'
    : undefined;
  if (problem) {
    throw new HttpError(400, `uncompressed profile part ${JSON.stringify(partName)} has ${problem}: it looks cut short (send it gzip- or zstd-compressed if it really has none)`);
  }
}
