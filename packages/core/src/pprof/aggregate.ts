import type { Profile } from 'pprof-format';
import type { Frame } from './builder';
import { ProfileReader, sampleTypeIndex } from './read';

export interface FunctionTotal {
  name: string;
  file: string;
  /** Value where the group is the leaf frame. */
  self: number;
  /** Value where the group is anywhere on the stack (counted once per sample). */
  cumulative: number;
}

export type SampleLabels = Record<string, string | number>;

export interface TotalsOptions {
  /** Keep only samples whose labels pass. */
  filter?: (labels: SampleLabels) => boolean;
  /**
   * What a frame counts towards: default its function (name + file). Return e.g. the file to
   * group by file. Frames mapping to the same key share one row.
   */
  groupOf?: (frame: Frame) => { key: string; name: string; file: string };
}

const byFunction = (frame: Frame) => ({ key: `${frame.name}\u0000${frame.file ?? ''}`, name: frame.name, file: frame.file ?? '' });

/**
 * Self and cumulative totals per function (or per `groupOf` group) for one sample type. The
 * basis of hotspot tables and of accuracy tests.
 */
export function totalsByFunction(profile: Profile, sampleType: string, filterOrOptions?: TotalsOptions['filter'] | TotalsOptions): { total: number; functions: FunctionTotal[] } {
  const options: TotalsOptions = typeof filterOrOptions === 'function' ? { filter: filterOrOptions } : filterOrOptions ?? {};
  const groupOf = options.groupOf ?? byFunction;
  const index = sampleTypeIndex(profile, sampleType);
  if (index < 0) throw new RangeError(`profile has no sample type ${JSON.stringify(sampleType)}`);
  const reader = new ProfileReader(profile);
  const byKey = new Map<string, FunctionTotal>();
  let total = 0;
  for (const sample of profile.sample) {
    const value = Number(sample.value[index] ?? 0);
    if (value === 0) continue;
    if (options.filter && !options.filter(reader.labels(sample))) continue;
    total += value;
    const seen = new Set<string>();
    reader.stack(sample).forEach((frame, depth) => {
      const group = groupOf(frame);
      let entry = byKey.get(group.key);
      if (!entry) {
        entry = { name: group.name, file: group.file, self: 0, cumulative: 0 };
        byKey.set(group.key, entry);
      }
      if (depth === 0) entry.self += value;
      if (!seen.has(group.key)) {
        seen.add(group.key);
        entry.cumulative += value;
      }
    });
  }
  const functions = [...byKey.values()].sort((a, b) => b.self - a.self || b.cumulative - a.cumulative);
  return { total, functions };
}

/** Totals of one sample type per value of a label (e.g. `trace endpoint`); unlabelled samples under `missing`. */
export function totalsByLabel(profile: Profile, sampleType: string, label: string, missing = '(none)'): Map<string, number> {
  const index = sampleTypeIndex(profile, sampleType);
  if (index < 0) throw new RangeError(`profile has no sample type ${JSON.stringify(sampleType)}`);
  const reader = new ProfileReader(profile);
  const totals = new Map<string, number>();
  for (const sample of profile.sample) {
    const value = Number(sample.value[index] ?? 0);
    if (value === 0) continue;
    const key = String(reader.labels(sample)[label] ?? missing);
    totals.set(key, (totals.get(key) ?? 0) + value);
  }
  return totals;
}
