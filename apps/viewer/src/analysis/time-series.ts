import type { Profile } from '@vigil/core';
import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { isLevelSampleType, processOf } from './level-aggregation';

/** One point per period: what the service did in [startMs, endMs). */
export interface TimeSeriesPoint {
  startMs: number;
  endMs: number;
  /** rate: value per second of the period (for nanoseconds: busy threads, e.g. CPU cores); level: the snapshots summed over processes. */
  value: number;
}

export interface TimeSeries {
  profileType: string;
  sampleType: string;
  unit: string;
  /** `rate` for values that add up over time (cpu, wall, allocations); `level` for snapshots (inuse_*). */
  kind: 'rate' | 'level';
  points: TimeSeriesPoint[];
}

const totalsCache = new WeakMap<Profile, number[]>();

function sampleTotals(profile: Profile): number[] {
  let totals = totalsCache.get(profile);
  if (!totals) {
    totals = profile.sampleType.map(() => 0);
    for (const sample of profile.sample) {
      for (let i = 0; i < totals.length; i++) totals[i]! += Number(sample.value[i] ?? 0);
    }
    totalsCache.set(profile, totals);
  }
  return totals;
}

/**
 * Each sample type's total per period, for the strip above the flame graph: when did CPU, wall or
 * heap jump? Periods of several processes that start within the same second share one point.
 * Rates are per second, so periods of different lengths line up; levels add up across processes
 * (each sends one snapshot per period) but never across periods.
 */
export async function timeSeries(store: ProfileStore, refs: readonly ProfileRef[]): Promise<TimeSeries[]> {
  const series = new Map<string, TimeSeries & { byStart: Map<number, TimeSeriesPoint & { processes: Set<string> }> }>();
  for (const ref of refs) {
    let profile: Profile;
    try {
      profile = await store.load(ref);
    } catch {
      continue; // deleted by retention meanwhile
    }
    const totals = sampleTotals(profile);
    const durationS = Math.max(0.001, (ref.upload.endMs - ref.upload.startMs) / 1000);
    ref.profile.sampleTypes.forEach(([sampleType, unit], index) => {
      const key = `${ref.profile.type}\u0000${sampleType}\u0000${unit}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { profileType: ref.profile.type, sampleType, unit, kind: isLevelSampleType(sampleType) ? 'level' : 'rate', points: [], byStart: new Map() }));
      const bucket = Math.round(ref.upload.startMs / 1000);
      let point = s.byStart.get(bucket);
      if (!point) s.byStart.set(bucket, (point = { startMs: ref.upload.startMs, endMs: ref.upload.endMs, value: 0, processes: new Set() }));
      const total = totals[index] ?? 0;
      // A process sending two snapshots for one period (a retry) counts once.
      if (s.kind === 'level') {
        const process = processOf(ref);
        if (point.processes.has(process)) return;
        point.processes.add(process);
        point.value += total;
      } else {
        point.value += total / durationS;
      }
      point.endMs = Math.max(point.endMs, ref.upload.endMs);
    });
  }
  return [...series.values()]
    .map(({ byStart, ...s }) => ({ ...s, points: [...byStart.values()].map(({ processes: _p, ...p }) => p).sort((a, b) => a.startMs - b.startMs) }))
    .sort((a, b) => (a.profileType < b.profileType ? -1 : a.profileType > b.profileType ? 1 : 0));
}
