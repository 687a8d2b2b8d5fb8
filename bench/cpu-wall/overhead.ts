// Profiler overhead: the same fixed amount of work, run with no profiler, with cpu()+wall() and
// with wall() only, interleaved (A B C A B C ...), each run in its own process, several rounds.
// Prints per configuration the median CPU time and elapsed time of the work (the profiler
// running), the median of the per-round ratios to the unprofiled run with a bootstrap 95 %
// interval, and the one-off costs: start() and the collection + encoding of one period (here the
// whole run; with the default 60 s period it happens once a minute).
// Then the steady state in one process (phases alternating; the number for the 1 % target), where
// `wall-no-io-wait` separates the sampler's cost from the I/O wait instrumentation's.
// Usage (from the repo root): node --import tsx bench/cpu-wall/overhead.ts [--quick] [--rounds N] [--steady-only]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : quick ? 4 : 10;
const scale = quick ? 0.5 : 1.5;
const configs = ['none', 'cpu+wall', 'wall'] as const;
const workloads = ['cpu', 'io'] as const;
const here = __dirname;

interface Run {
  /** CPU time of the work itself, the profiler running (steady state). */
  cpuMs: number;
  elapsedMs: number;
  /** CPU time of profiler.start() (once per process). */
  startCpuMs: number;
  /** CPU time of the final collection and encoding of everything sampled during the run (once per period). */
  collectCpuMs: number;
}

/** The environment of a measured child: tsx resolves `@vigil/*` to sources; no profiler settings leak in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: join(here, 'tsconfig.json') };
  for (const key of Object.keys(env)) if (key.startsWith('DD_') || key.startsWith('VIGIL_')) delete env[key];
  return env;
}

function runOnce(workload: string, config: string): Run {
  const env = childEnv();
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'workload.ts'), workload, config, String(scale)], { env, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${workload}/${config} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Run;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 95 % bootstrap interval of the median of `values`. */
function bootstrap(values: number[], resamples = 2000): [number, number] {
  const medians: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const sample = values.map(() => values[Math.floor(Math.random() * values.length)]!);
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(resamples * 0.025)]!, medians[Math.floor(resamples * 0.975)]!];
}

function runPhases(workload: string, phaseRounds: number): Record<string, number[]> {
  const env = childEnv();
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'workload.ts'), workload, 'phases', String(quick ? scale / 3 : scale), String(phaseRounds)], { env, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${workload}/phases failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, number[]>;
}

const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(2)} %`;

console.log(`node ${process.version}, ${rounds} rounds, scale ${scale}, sampler 99 Hz (defaults), I/O wait on (defaults)`);
for (const workload of process.argv.includes('--steady-only') ? [] : workloads) {
  const results: Record<string, Run[]> = Object.fromEntries(configs.map((c) => [c, []]));
  runOnce(workload, 'none'); // warm the disk cache and tsx's cache; not measured
  for (let round = 0; round < rounds; round++) {
    // Rotate the order every round so no configuration always runs first.
    const order = configs.map((_, i) => configs[(i + round) % configs.length]!);
    for (const config of order) results[config]!.push(runOnce(workload, config));
    process.stderr.write(`\r${workload}: round ${round + 1}/${rounds}`);
  }
  process.stderr.write('\n');
  console.log(`\nworkload ${workload}`);
  console.log('config      median cpu ms  median elapsed ms  cpu ratio (95 % CI)              elapsed ratio (95 % CI)           start cpu ms  collect+encode cpu ms');
  for (const config of configs) {
    const runs = results[config]!;
    const base = results.none!;
    const cpuRatios = runs.map((r, i) => r.cpuMs / base[i]!.cpuMs);
    const elapsedRatios = runs.map((r, i) => r.elapsedMs / base[i]!.elapsedMs);
    const [cpuLow, cpuHigh] = bootstrap(cpuRatios);
    const [elLow, elHigh] = bootstrap(elapsedRatios);
    console.log(
      `${config.padEnd(10)}  ${median(runs.map((r) => r.cpuMs)).toFixed(0).padStart(13)}  ${median(runs.map((r) => r.elapsedMs)).toFixed(0).padStart(17)}  ` +
      `${pct(median(cpuRatios)).padStart(9)} (${pct(cpuLow)} .. ${pct(cpuHigh)})`.padEnd(33) +
      `${pct(median(elapsedRatios)).padStart(9)} (${pct(elLow)} .. ${pct(elHigh)})`.padEnd(34) +
      `${median(runs.map((r) => r.startCpuMs)).toFixed(1).padStart(12)}  ${median(runs.map((r) => r.collectCpuMs)).toFixed(1).padStart(21)}`,
    );
  }
}

// Steady state, in one process: phases with and without the profiler alternate, so each ratio
// compares neighbours in time. This is the number to hold against the 1 % target.
// Longer phases in the full run: right after a start, V8 does one-off work (logging code for the
// profiler) that a long-running process pays once; short phases overstate the steady cost.
const phaseRounds = 12;
console.log(`\nsteady state in one process (${phaseRounds} rounds of alternating phases, start/stop not measured)`);
console.log('workload  config           median cpu ms  cpu ratio (95 % CI)');
for (const workload of workloads) {
  const phased = runPhases(workload, phaseRounds);
  for (const config of [...configs, 'wall-no-io-wait']) {
    const ratios = phased[config]!.map((v, i) => v / phased.none![i]!);
    const [low, high] = bootstrap(ratios);
    console.log(`${workload.padEnd(8)}  ${config.padEnd(15)}  ${median(phased[config]!).toFixed(0).padStart(13)}  ${pct(median(ratios)).padStart(9)} (${pct(low)} .. ${pct(high)})`);
  }
}
