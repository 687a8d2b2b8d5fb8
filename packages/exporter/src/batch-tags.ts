import type { NamedProfile, ProfileBatch } from '@vigil/core';

/** The batch's tags plus the profile's own (the profile's win), as one record. */
export function tagsFor(batch: ProfileBatch, profile?: NamedProfile): Record<string, string> {
  return { ...batch.tags, ...(profile?.tags ?? {}) };
}

/** ISO-8601 basic format with milliseconds (`20261125T180102.345Z`): sortable and free of `:` for file names. */
export function compactIsoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

/**
 * Datadog's `profile_seq` starts at 0 (dd-trace counts uploads from 0); core's period seq starts at 1.
 */
export function profileSeq(batch: ProfileBatch): number {
  return Math.max(0, batch.period.seq - 1);
}
