import type { DecodeBudget } from './decode-budget';
import { encodeProfileSync } from '@vigil/core';
import { OtlpDecodeError, otlpToPprof, tagsFromResource, type OtlpDecodedProfile } from '@vigil/exporter';
import { HttpError } from '../http/http-error';
import type { IncomingUpload } from '../store/upload-meta';
import { UNKNOWN_SERVICE } from './datadog-intake';
import { decompressPart } from './decompress';
import { checkProfileType, incomingProfile } from './incoming-profile';
import { estimateMessageDecodedBytes } from './pprof-check';

/**
 * Parses an OTLP profiles request (`POST /v1development/profiles`, protobuf, gzip or not) into
 * one upload per resource (one service's process), each profile checked like the other intakes'.
 */
export function parseOtlpUpload(body: Buffer, budget: DecodeBudget): IncomingUpload[] {
  // Decompressed and its framing walked first: a bomb of millions of tiny messages is refused
  // from its size estimate in milliseconds instead of being decoded into objects.
  const { raw } = decompressPart(body, 'request', budget);
  const estimate = estimateMessageDecodedBytes(raw, budget.maxDecodedBytes);
  if (typeof estimate === 'string') throw new HttpError(400, `not a valid OTLP ExportProfilesServiceRequest: ${estimate}`);
  if (estimate > budget.maxDecodedBytes) {
    throw new HttpError(413, `the OTLP request would take about ${estimate} bytes of memory once decoded; at most ${budget.maxDecodedBytes} are allowed`);
  }
  let decoded: OtlpDecodedProfile[];
  try {
    decoded = otlpToPprof(raw, { maxDecodedBytes: budget.maxOutputBytes });
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw new HttpError(error.tooLarge ? 413 : 400, `not a valid OTLP ExportProfilesServiceRequest: ${error.message}`);
    throw error;
  }
  if (decoded.length === 0) throw new HttpError(400, 'the OTLP request holds no profiles');

  const byResource = new Map<string, OtlpDecodedProfile[]>();
  for (const profile of decoded) {
    const key = JSON.stringify(profile.resource);
    byResource.set(key, [...(byResource.get(key) ?? []), profile]);
  }
  return [...byResource.values()].map((profiles) => {
    const tags = tagsFromResource(profiles[0]!.resource);
    const service = tags.service ?? UNKNOWN_SERVICE;
    const incoming = profiles.map((p, i) => {
      const type = checkProfileType(p.type, `profile ${i}`);
      const { summary, ...checked } = incomingProfile(type, encodeProfileSync(p.profile), `profile ${i}`, budget);
      return { ...checked, startNanos: summary.timeNanos, durationNanos: summary.durationNanos };
    });
    const starts = incoming.map((p) => Number(p.startNanos / 1_000_000n)).filter((ms) => ms > 0);
    const ends = incoming.map((p) => Number((p.startNanos + p.durationNanos) / 1_000_000n)).filter((ms) => ms > 0);
    const now = Date.now();
    const startMs = starts.length ? Math.min(...starts) : now;
    return {
      source: 'otlp' as const,
      service,
      env: tags.env,
      version: tags.version,
      tags: { ...tags, service },
      startMs,
      endMs: Math.max(startMs, ends.length ? Math.max(...ends) : now),
      profiles: incoming.map(({ startNanos: _s, durationNanos: _d, ...p }) => p),
      extra: { scope: profiles[0]!.scope.name },
    };
  });
}
