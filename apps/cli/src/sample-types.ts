import { sampleTypeIndex, sampleTypesOf, type Profile } from '@vigil/core';
import { UsageError } from './usage-error';

/** Short names people type for the sample types our collectors write. */
const ALIASES: Record<string, string> = {
  heap: 'inuse_space',
  space: 'inuse_space',
  alloc: 'alloc_space',
  lock: 'lock-acquire-wait',
  'lock-wait': 'lock-acquire-wait',
  'lock-hold': 'lock-release-hold',
  io: 'io-wait',
};

/** Preferred default when no --type is given: the most telling type present. */
const DEFAULT_ORDER = ['cpu', 'wall', 'io-wait', 'inuse_space', 'alloc_space', 'lock-acquire-wait', 'timeline'];

/** Every sample type name in the profiles, in first-seen order. */
export function availableSampleTypes(profiles: readonly Profile[]): string[] {
  return [...new Set(profiles.flatMap((p) => sampleTypesOf(p).map(([type]) => type)))];
}

/** Resolves --type against what the files contain, or picks a default. Unknown types list the known. */
export function resolveSampleType(profiles: readonly Profile[], requested: string | undefined): { type: string; unit: string } {
  const available = availableSampleTypes(profiles);
  const unitOf = (type: string) => {
    for (const p of profiles) {
      const index = sampleTypeIndex(p, type);
      if (index >= 0) return sampleTypesOf(p)[index]![1];
    }
    return '';
  };
  if (requested === undefined) {
    const type = DEFAULT_ORDER.find((t) => available.includes(t)) ?? available.find((t) => !['sample', 'samples'].includes(t)) ?? available[0];
    if (!type) throw new UsageError('the files contain no sample types');
    return { type, unit: unitOf(type) };
  }
  const wanted = ALIASES[requested] ?? requested;
  const type = available.find((t) => t === wanted);
  if (!type) throw new UsageError(`no sample type ${JSON.stringify(requested)} in these files; they have: ${available.join(', ')}`);
  return { type, unit: unitOf(type) };
}
