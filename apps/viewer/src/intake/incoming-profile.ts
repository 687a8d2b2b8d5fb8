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
