import type { Profile } from 'pprof-format';
import { ProfileReader, sampleTypeIndex } from './read';

export interface FunctionTotal {
  name: string;
  file: string;
  /** Value where the function is the leaf frame. */
  self: number;
  /** Value where the function is anywhere on the stack (counted once per sample). */
  cumulative: number;
}

/**
 * Self and cumulative totals per function for one sample type, optionally only for samples
 * whose labels pass `filter`. The basis of hotspot tables and of accuracy tests.
 */
export function totalsByFunction(
  profile: Profile,
  sampleType: string,
  filter?: (labels: Record<string, string | number>) => boolean,
): { total: number; functions: FunctionTotal[] } {
  const index = sampleTypeIndex(profile, sampleType);
  if (index < 0) throw new RangeError(`profile has no sample type ${JSON.stringify(sampleType)}`);
  const reader = new ProfileReader(profile);
  const byKey = new Map<string, FunctionTotal>();
  let total = 0;
  for (const sample of profile.sample) {
    const value = Number(sample.value[index] ?? 0);
    if (value === 0) continue;
    if (filter && !filter(reader.labels(sample))) continue;
    total += value;
    const stack = reader.stack(sample);
    const seen = new Set<string>();
    stack.forEach((frame, depth) => {
      const key = `${frame.name}\u0000${frame.file ?? ''}`;
      let entry = byKey.get(key);
      if (!entry) {
        entry = { name: frame.name, file: frame.file ?? '', self: 0, cumulative: 0 };
        byKey.set(key, entry);
      }
      if (depth === 0) entry.self += value;
      if (!seen.has(key)) {
        seen.add(key);
        entry.cumulative += value;
      }
    });
  }
  const functions = [...byKey.values()].sort((a, b) => b.self - a.self || b.cumulative - a.cumulative);
  return { total, functions };
}
