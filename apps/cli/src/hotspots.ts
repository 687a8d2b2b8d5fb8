import { sampleTypeIndex, totalsByFunction, totalsByLabel, type Frame, type Profile } from '@vigil/core';

/** function, file, endpoint (the `trace endpoint` label), or the name of any other label (`tenant`, `thread name`). */
export type GroupBy = 'function' | 'file' | 'endpoint' | (string & {});
export const GROUP_BY: readonly GroupBy[] = ['function', 'file', 'endpoint'];

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
export function hotspots(profiles: readonly Profile[], sampleType: string, by: GroupBy): Hotspots {
  const rows = new Map<string, HotspotRow>();
  let total = 0;
  let durationNanos = 0;
  for (const profile of profiles) {
    if (sampleTypeIndex(profile, sampleType) < 0) continue;
    durationNanos += Number(profile.durationNanos);
    if (by !== 'function' && by !== 'file') {
      const label = by === 'endpoint' ? ENDPOINT_LABEL : by;
      for (const [endpoint, value] of totalsByLabel(profile, sampleType, label, `(no ${by})`)) {
        total += value;
        const row = rows.get(endpoint) ?? { name: endpoint, file: '', self: 0, cumulative: 0 };
        row.self += value;
        row.cumulative += value;
        rows.set(endpoint, row);
      }
      continue;
    }
    const totals = totalsByFunction(profile, sampleType, { groupOf: groupOf(by) });
    total += totals.total;
    for (const fn of totals.functions) {
      const key = `${fn.name}\u0000${fn.file}`;
      const row = rows.get(key) ?? { name: fn.name, file: fn.file, self: 0, cumulative: 0 };
      row.self += fn.self;
      row.cumulative += fn.cumulative;
      rows.set(key, row);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => b.self - a.self || b.cumulative - a.cumulative || a.name.localeCompare(b.name));
  return { total, rows: sorted, durationNanos };
}
