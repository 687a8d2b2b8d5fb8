import type { Profile } from 'pprof-format';
import { ProfileBuilder } from './builder';
import { ProfileReader, sampleTypesOf, stringAt } from './read';

/**
 * Merges profiles of the same sample types into one, summing samples with the same stack and
 * labels. The time window spans all inputs. Throws when sample types differ.
 */
export function mergeProfiles(profiles: readonly Profile[]): Profile {
  if (profiles.length === 0) throw new RangeError('mergeProfiles needs at least one profile');
  const types = sampleTypesOf(profiles[0]!);
  const typeKey = JSON.stringify(types);
  for (const p of profiles) {
    if (JSON.stringify(sampleTypesOf(p)) !== typeKey) {
      throw new RangeError(`cannot merge profiles with sample types ${typeKey} and ${JSON.stringify(sampleTypesOf(p))}`);
    }
  }
  const starts = profiles.map((p) => BigInt(p.timeNanos)).filter((t) => t > 0n);
  const ends = profiles.map((p) => BigInt(p.timeNanos) + BigInt(p.durationNanos)).filter((t) => t > 0n);
  const start = starts.length ? starts.reduce((a, b) => (a < b ? a : b)) : 0n;
  const end = ends.length ? ends.reduce((a, b) => (a > b ? a : b)) : 0n;
  const first = profiles[0]!;
  const firstReader = new ProfileReader(first);
  const builder = new ProfileBuilder({
    sampleTypes: types,
    periodType: first.periodType ? [stringAt(first, first.periodType.type), stringAt(first, first.periodType.unit)] : undefined,
    period: Number(first.period),
    timeNanos: start,
    durationNanos: end - start,
    defaultSampleType: stringAt(first, first.defaultSampleType) || undefined,
  });
  for (const profile of profiles) {
    const reader = profile === first ? firstReader : new ProfileReader(profile);
    for (const sample of profile.sample) {
      builder.addSample(reader.stack(sample), sample.value.map(Number), reader.labels(sample));
    }
  }
  return builder.build();
}

