import { sampleTypeIndex, totalsByFunction, totalsByLabel, type Frame, type Profile } from '@vigil/core';

/** function, file, endpoint (the `trace endpoint` label), or the name of any other label (`tenant`, `thread name`). */
export type GroupBy = 'function' | 'file' | 'endpoint' | (string & {});

export interface HotspotRow {
  name: string;
  file: string;
  self: number;
  cumulative: number;
}

export interface Hotspots {
  total: number;
  rows: HotspotRow[];
  /** Sum of the profiles' durations, for rates. */
  durationNanos: number;
}

const ENDPOINT_LABEL = 'trace endpoint';

function groupOf(by: GroupBy) {
  if (by === 'file') return (f: Frame) => ({ key: f.file ?? '', name: f.file || '(unknown file)', file: f.file ?? '' });
  return undefined; // core's default: by function
}

/**
 * Self and cumulative totals of `sampleType` over several profiles, grouped by function, file or
 * endpoint label. Profiles without that sample type are skipped (a folder can mix types).
 */
export function hotspots(profiles: readonly Profile[], sampleType: string, by: GroupBy, weights?: readonly number[]): Hotspots {
  const rows = new Map<string, HotspotRow>();
  let total = 0;
  let durationNanos = 0;
  for (const [index, profile] of profiles.entries()) {
    if (sampleTypeIndex(profile, sampleType) < 0) continue;
    // Weights turn level snapshots (in-use heap) into a mean or the latest instead of a sum.
    const weight = weights ? weights[index] ?? 0 : 1;
    if (weight === 0) continue;
    durationNanos += Number(profile.durationNanos);
    if (by !== 'function' && by !== 'file') {
      const label = by === 'endpoint' ? ENDPOINT_LABEL : by;
      for (const [endpoint, value] of totalsByLabel(profile, sampleType, label, `(no ${by})`)) {
        total += value * weight;
        const row = rows.get(endpoint) ?? { name: endpoint, file: '', self: 0, cumulative: 0 };
        row.self += value * weight;
        row.cumulative += value * weight;
        rows.set(endpoint, row);
      }
      continue;
    }
    const totals = totalsByFunction(profile, sampleType, { groupOf: groupOf(by) });
    total += totals.total * weight;
    for (const fn of totals.functions) {
      const key = `${fn.name}\u0000${fn.file}`;
      const row = rows.get(key) ?? { name: fn.name, file: fn.file, self: 0, cumulative: 0 };
      row.self += fn.self * weight;
      row.cumulative += fn.cumulative * weight;
      rows.set(key, row);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => b.self - a.self || b.cumulative - a.cumulative || a.name.localeCompare(b.name));
  return { total, rows: sorted, durationNanos };
}
