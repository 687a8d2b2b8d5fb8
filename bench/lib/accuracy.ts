import { sampleTypesOf, type Profile } from '@vigil/core';
import { decodeAnyProfile } from './decode';
import { CONFIGS, type BenchConfig } from './configs';
import type { PyroscopeSink } from './pyroscope-sink';
import { runOnce } from './runner';
import { median } from './stats';

/** One accuracy measurement: what the workload measured, what a profiler reported. */
export interface AccuracyRow {
  workload: string;
  dimension: string;
  config: string;
  truth: number;
  measured: number;
  /** measured - truth, in the unit the tolerance is stated in (points of share, or relative). */
  error: number;
  tolerance: number;
  unit: 'share' | 'relative';
  note?: string;
  /** Runs summarised in this row (the median of their errors is shown). */
  repeats?: number;
}

type Decoded = { name: string; profile: Profile };

function typesOf(profile: Profile): string[] {
  return sampleTypesOf(profile).map((t) => t[0]);
}

/**
 * Sum over every profile that has `sampleType` of the value of the named functions (cumulative:
 * anywhere on the stack, once per sample; or self: leaf only), and the total. Sample types are
 * matched on `type/unit` when a unit is given: Vigil's io-wait has `io-wait/count` and
 * `io-wait/nanoseconds`, which a lookup by type alone would confuse.
 */
function cumulativeOf(profiles: Decoded[], sampleType: string, names: string[], self = false): { byName: Record<string, number>; total: number } {
  const [type, unit] = sampleType.split('/');
  const byName: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let total = 0;
  for (const { profile } of profiles) {
    const specs = sampleTypesOf(profile);
    const index = specs.findIndex(([t, u]) => t === type && (unit === undefined || u === unit));
    if (index < 0) continue;
    const strings = profile.stringTable.strings;
    const functionName = new Map<string, string>();
    for (const f of profile.function) {
      const name = strings[Number(f.name)] ?? '';
      // Pyroscope writes `file:function:line` as the function name.
      functionName.set(String(f.id), name.includes(':') ? (name.split(':').at(-2) ?? name) : name);
    }
    const namesOfLocation = new Map<string, string[]>();
    for (const location of profile.location) {
      namesOfLocation.set(String(location.id), location.line.map((l) => functionName.get(String(l.functionId)) ?? ''));
    }
    for (const sample of profile.sample) {
      const value = Number(sample.value[index] ?? 0);
      if (!value) continue;
      total += value;
      const seen = new Set<string>();
      sample.locationId.forEach((id, depth) => {
        for (const name of namesOfLocation.get(String(id)) ?? []) {
          if (!(name in byName) || seen.has(name)) continue;
          if (self && depth !== 0) continue;
          seen.add(name);
          byName[name] += value;
        }
      });
    }
  }
  return { byName, total };
}

function firstType(profiles: Decoded[], candidates: string[]): string | undefined {
  for (const type of candidates) if (profiles.some((p) => typesOf(p.profile).includes(type))) return type;
  return undefined;
}

/** Accuracy workloads, the profilers compared on each, and how a profile is read against the truth. */
export const ACCURACY: Record<string, { configs: string[]; periodSeconds: number; analyse: (config: BenchConfig, profiles: Decoded[], truth: any) => AccuracyRow[] }> = {
  'acc-cpu': {
    configs: ['vigil-default', 'dd-trace', 'pyroscope'],
    periodSeconds: 60,
    analyse: (config, profiles, truth) => {
      // CPU time where the profiler has it; @pyroscope/nodejs (defaults) has wall time only, compared with wall truth.
      const type = firstType(profiles, ['cpu', 'wall']);
      if (!type) return [];
      const t = cumulativeOf(profiles, `${type}/nanoseconds`, ['hotSeventy', 'hotThirty']);
      const a = t.byName.hotSeventy;
      const b = t.byName.hotThirty;
      const key = type === 'cpu' ? 'cpuMs' : 'wallMs';
      const trueShare = truth.hotSeventy[key] / (truth.hotSeventy[key] + truth.hotThirty[key]);
      const share = a / (a + b);
      return [{ workload: 'CPU split (70/30)', dimension: `${type} share of hotSeventy`, config: config.id, truth: trueShare, measured: share, error: share - trueShare, tolerance: 0.05, unit: 'share' }];
    },
  },
  'acc-wait': {
    configs: ['vigil-all', 'dd-trace', 'pyroscope'],
    periodSeconds: 60,
    analyse: (config, profiles, truth) => {
      const rows: AccuracyRow[] = [];
      const trueShare = truth.waitMs / (truth.waitMs + truth.computeMs);
      if (profiles.some((p) => typesOf(p.profile).includes('wall'))) {
        const t = cumulativeOf(profiles, 'wall/nanoseconds', ['(idle)', 'computeStep']);
        const idle = t.byName['(idle)'];
        const compute = t.byName.computeStep;
        if (idle > 0) {
          const share = idle / (idle + compute);
          rows.push({ workload: 'Wait share', dimension: 'idle share of wall (idle vs computeStep)', config: config.id, truth: trueShare, measured: share, error: share - trueShare, tolerance: 0.1, unit: 'share' });
        } else {
          rows.push({ workload: 'Wait share', dimension: 'idle share of wall (idle vs computeStep)', config: config.id, truth: trueShare, measured: Number.NaN, error: Number.NaN, tolerance: 0.1, unit: 'share', note: 'no (idle) samples: waits are dropped' });
        }
      }
      if (profiles.some((p) => typesOf(p.profile).includes('io-wait'))) {
        const t = cumulativeOf(profiles, 'io-wait/nanoseconds', ['waitStep']);
        const measuredMs = t.byName.waitStep / 1e6;
        rows.push({ workload: 'Wait share', dimension: 'awaited time attributed to waitStep (ms)', config: config.id, truth: truth.waitMs, measured: measuredMs, error: measuredMs / truth.waitMs - 1, tolerance: 0.15, unit: 'relative' });
      }
      return rows;
    },
  },
  'acc-heap': {
    configs: ['vigil-default', 'dd-trace', 'pyroscope'],
    // Live heap is a snapshot per period: a short period makes every profiler (Pyroscope too) send one while the memory is held.
    periodSeconds: 1,
    analyse: (config, profiles, truth) => {
      // The latest snapshot that holds the memory: the one with the largest in-use total.
      let best: Decoded | undefined;
      let bestTotal = -1;
      for (const p of profiles) {
        const type = typesOf(p.profile).find((t) => t === 'inuse_space');
        if (!type) continue;
        const total = cumulativeOf([p], 'inuse_space', []).total;
        if (total > bestTotal) {
          best = p;
          bestTotal = total;
        }
      }
      const trueShare = truth.seventyFiveBytes / (truth.seventyFiveBytes + truth.twentyFiveBytes);
      if (!best) {
        return [{ workload: 'Retained memory (75/25)', dimension: 'inuse_space share of retainSeventyFive', config: config.id, truth: trueShare, measured: Number.NaN, error: Number.NaN, tolerance: 0.1, unit: 'share', note: 'no heap profile received' }];
      }
      const t = cumulativeOf([best], 'inuse_space', ['retainSeventyFive', 'retainTwentyFive']);
      const a = t.byName.retainSeventyFive;
      const b = t.byName.retainTwentyFive;
      const share = a / (a + b);
      const retained = (a + b) / (truth.seventyFiveBytes + truth.twentyFiveBytes);
      return [
        { workload: 'Retained memory (75/25)', dimension: 'inuse_space share of retainSeventyFive', config: config.id, truth: trueShare, measured: share, error: share - trueShare, tolerance: 0.1, unit: 'share' },
        { workload: 'Retained memory (75/25)', dimension: 'retained bytes seen at the two sites (MB)', config: config.id, truth: (truth.seventyFiveBytes + truth.twentyFiveBytes) / 1048576, measured: (a + b) / 1048576, error: retained - 1, tolerance: 0.2, unit: 'relative' },
      ];
    },
  },
  'acc-lock': {
    configs: ['vigil-all', 'vigil-all-lock100'],
    periodSeconds: 60,
    analyse: (config, profiles, truth) => {
      const wait = cumulativeOf(profiles, 'lock-acquire-wait/nanoseconds', ['contend']);
      const hold = cumulativeOf(profiles, 'lock-release-hold/nanoseconds', ['contend']);
      const waitMs = wait.total / 1e6;
      const holdMs = hold.total / 1e6;
      return [
        { workload: 'Lock contention', dimension: 'lock wait total (ms)', config: config.id, truth: truth.waitMs, measured: waitMs, error: waitMs / truth.waitMs - 1, tolerance: 0.15, unit: 'relative' },
        { workload: 'Lock contention', dimension: 'lock hold total (ms)', config: config.id, truth: truth.holdMs, measured: holdMs, error: holdMs / truth.holdMs - 1, tolerance: 0.15, unit: 'relative' },
      ];
    },
  },
};

/** Runs each accuracy workload `repeats` times per profiler; returns the rows of every run. */
export async function runAccuracy(options: { repeats: number; durationMs: number; sink: PyroscopeSink; log: (line: string) => void }): Promise<AccuracyRow[]> {
  const rows: AccuracyRow[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const [workload, spec] of Object.entries(ACCURACY)) {
      for (const id of spec.configs) {
        const config = CONFIGS[id];
        try {
          const result = await runOnce(config, workload, {
            periodSeconds: spec.periodSeconds,
            params: { durationMs: options.durationMs, heapMB: 60 },
            sink: options.sink,
            http: { connections: 1, requests: 1, warmupRequests: 1 },
            keepFiles: true,
          });
          if (!result.check.ok) {
            options.log(`  accuracy ${workload} ${id}: INVALID (${result.check.detail})`);
            continue;
          }
          const profiles: Decoded[] = result.check.files.map((f) => ({ name: f.name, profile: decodeAnyProfile(f.bytes) }));
          rows.push(...spec.analyse(config, profiles, result.extra.truth));
        } catch (error) {
          options.log(`  accuracy ${workload} ${id}: failed: ${(error as Error).message}`);
        }
      }
    }
  }
  return rows;
}

/** Median error per (workload, dimension, config) over the repeats. */
export function summariseAccuracy(rows: AccuracyRow[]): AccuracyRow[] {
  const groups = new Map<string, AccuracyRow[]>();
  for (const row of rows) {
    const key = `${row.workload}\u0000${row.dimension}\u0000${row.config}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => ({
    ...group[0],
    truth: median(group.map((r) => r.truth).filter(Number.isFinite)),
    measured: median(group.map((r) => r.measured).filter(Number.isFinite)),
    error: median(group.map((r) => r.error).filter(Number.isFinite)),
    repeats: group.length,
  }));
}
