import { basename } from 'node:path';
import { sampleTypeIndex } from '@vigil/core';
import type { LoadedProfile } from './profile-files';
import { UsageError } from './usage-error';

/**
 * How snapshots of a level (in-use heap) combine across files: the mean snapshot of each process,
 * or its latest. Adding them up would claim ten times the heap for ten snapshots.
 */
export type LevelMode = 'mean' | 'latest';
export const LEVEL_MODES: readonly LevelMode[] = ['mean', 'latest'];

/** `inuse_space`, `inuse_objects`: what was live at one instant, not an amount per period. */
export function isLevelSampleType(sampleType: string): boolean {
  return sampleType.startsWith('inuse_');
}

/** The process a file came from: `{type}_{pid}_{threadId}_{time}.pprof` as `vigil run` and the file exporter name them. */
function processOf(path: string): string {
  const match = /^[^_]+_(\d+)_(\d+)_/.exec(basename(path));
  return match ? `${match[1]}/${match[2]}` : 'one process';
}

/**
 * A weight per profile: 1 for sample types that add up; for levels, 1/n for each of a process's n
 * snapshots (mean) or 1 for its newest snapshot and 0 for the rest (latest). Profiles without the
 * sample type get 0. `snapshots` is how many snapshots counted, for the header line.
 */
export function levelWeights(loaded: readonly LoadedProfile[], sampleType: string, mode: LevelMode): { weights: number[]; snapshots: number; processes: number } {
  const has = loaded.map((l) => sampleTypeIndex(l.profile, sampleType) >= 0);
  if (!isLevelSampleType(sampleType)) return { weights: has.map((h) => (h ? 1 : 0)), snapshots: has.filter(Boolean).length, processes: 0 };
  const byProcess = new Map<string, number[]>();
  loaded.forEach((l, i) => {
    if (!has[i]) return;
    const key = processOf(l.path);
    byProcess.set(key, [...(byProcess.get(key) ?? []), i]);
  });
  const weights = loaded.map(() => 0);
  let snapshots = 0;
  for (const indexes of byProcess.values()) {
    if (mode === 'mean') {
      for (const i of indexes) weights[i] = 1 / indexes.length;
      snapshots += indexes.length;
    } else {
      const time = (i: number) => BigInt(loaded[i]!.profile.timeNanos || 0) + BigInt(loaded[i]!.profile.durationNanos || 0);
      const newest = indexes.reduce((a, b) => (time(b) > time(a) || (time(b) === time(a) && loaded[b]!.path > loaded[a]!.path) ? b : a));
      weights[newest] = 1;
      snapshots += 1;
    }
  }
  return { weights, snapshots, processes: byProcess.size };
}

export function levelModeOption(value: string | undefined): LevelMode {
  if (value === undefined) return 'mean';
  if ((LEVEL_MODES as readonly string[]).includes(value)) return value as LevelMode;
  throw new UsageError(`--heap must be one of ${LEVEL_MODES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The header's words for how values combined. */
export function levelDescription(sampleType: string, mode: LevelMode, snapshots: number, processes: number): string {
  if (!isLevelSampleType(sampleType)) return '';
  const per = processes > 1 ? ` per process, summed over ${processes} processes` : '';
  return mode === 'mean' ? `mean of ${snapshots} snapshot(s)${per}` : `latest snapshot${per}`;
}
