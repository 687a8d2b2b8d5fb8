// `pnpm bench`: Vigil's overhead and accuracy side by side with the profilers people use today.
// Every configuration runs as its own process, interleaved round by round; ratios are paired per
// round against the unprofiled run of the same round, with bootstrap 95 % intervals and an A/A
// control as the noise floor. See README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { runAccuracy, summariseAccuracy, type AccuracyRow } from './lib/accuracy';
import { BREAKDOWN_PARTS, DUTY_PERIOD_MS, runBreakdown, runWindows, WINDOW_MECHANISMS, type WindowCell } from './lib/breakdown';
import { CONFIGS, NODE_MAJOR, peerVersions } from './lib/configs';
import { PyroscopeSink } from './lib/pyroscope-sink';
import { runOnce, type RunResult } from './lib/runner';
import { median, pairedDifference, pairedRatio, relativeSpread, bootstrapMedianInterval, type PairedRatio } from './lib/stats';
import { formatDelta, formatRatio, formatValue, markdownTable } from './lib/tables';

const ALL_WORKLOADS = ['cpu', 'alloc', 'io', 'http', 'lock'];
const ALL_CONFIGS = ['none', 'none-aa', 'vigil-default', 'vigil-all', 'dd-trace', 'pyroscope'];
/** Selectable with --configs, not run by default: one Vigil collector at a time. */
const EXTRA_CONFIGS = ['vigil-disabled', 'vigil-cpu', 'vigil-wall', 'vigil-heap', 'vigil-lock'];
/** The work the on/off windows measure the register defaults on. */
const WINDOW_WORK = ['mixed', 'http'];

interface Options {
  quick: boolean;
  rounds: number;
  scale: number;
  workloads: string[];
  configs: string[];
  periodSeconds: number;
  http: { connections: number; requests: number; warmupRequests: number };
  accuracy: boolean;
  accuracyRepeats: number;
  accuracyDurationMs: number;
  overhead: boolean;
  windows: boolean;
  windowMs: number;
  windowPairs: number;
  breakdown: boolean;
  parts: string[];
  mechanisms: string[];
  startupRounds: number;
  /** Another checkout (built) whose register runs beside this one's in the start-up rounds. */
  startupBaseline: string | undefined;
  httpRounds: number;
  out: string;
  name: string;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const number = (flag: string, fallback: number) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  const list = (flag: string, known: string[], fallback = known) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = items.filter((s) => !known.includes(s));
    if (unknown.length) throw new Error(`${flag}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return items;
  };
  const help = argv.includes('--help') || argv.includes('-h');
  if (help) {
    console.log(`usage: pnpm bench [--quick] [--rounds N] [--workloads ${ALL_WORKLOADS.join(',')}] [--configs ${ALL_CONFIGS.join(',')}]
       [--scale X] [--period SECONDS] [--requests N] [--no-overhead] [--no-accuracy] [--no-windows] [--window-pairs N] [--out DIR]
       pnpm bench --breakdown [--quick] [--window-ms MS] [--window-pairs N] [--parts windows,startup,http,direct,stalls] [--mechanisms none,defaults,...] [--startup-rounds N] [--startup-baseline CHECKOUT] [--http-rounds N] [--requests N]
         the cost of each mechanism on its own: writes results/cost-breakdown.{md,json} (quick: cost-breakdown-quick)`);
    process.exit(0);
  }
  let configs = list('--configs', [...ALL_CONFIGS, ...EXTRA_CONFIGS], ALL_CONFIGS);
  // The baseline every ratio is paired with, and the A/A control, are always there.
  configs = [...new Set(['none', 'none-aa', ...configs])];
  return {
    quick,
    rounds: Math.round(number('--rounds', quick ? 2 : 7)),
    scale: number('--scale', quick ? 0.2 : 1),
    workloads: list('--workloads', ALL_WORKLOADS),
    configs,
    periodSeconds: number('--period', quick ? 1 : 2),
    http: { connections: 32, requests: Math.round(number('--requests', quick ? 3000 : 20000)), warmupRequests: quick ? 500 : 2000 },
    accuracy: !argv.includes('--no-accuracy'),
    accuracyRepeats: Math.round(number('--accuracy-repeats', quick ? 1 : 2)),
    accuracyDurationMs: number('--accuracy-ms', quick ? 2500 : 4000),
    overhead: !argv.includes('--no-overhead'),
    windows: !argv.includes('--no-windows'),
    windowMs: number('--window-ms', argv.includes('--breakdown') ? (quick ? 500 : 1000) : quick ? 1000 : 2000),
    windowPairs: Math.round(number('--window-pairs', argv.includes('--breakdown') ? (quick ? 3 : 8) : quick ? 6 : 20)),
    breakdown: argv.includes('--breakdown'),
    parts: list('--parts', [...BREAKDOWN_PARTS]),
    mechanisms: list('--mechanisms', [...WINDOW_MECHANISMS]),
    startupRounds: Math.round(number('--startup-rounds', quick ? 5 : 15)),
    startupBaseline: value('--startup-baseline'),
    httpRounds: Math.round(number('--http-rounds', quick ? 1 : 3)),
    out: value('--out') ?? join(__dirname, 'results'),
    name: value('--name') ?? (argv.includes('--breakdown') ? (quick ? 'cost-breakdown-quick' : 'cost-breakdown') : quick ? 'quick' : 'latest'),
  };
}

type Metric = 'cpuMs' | 'totalCpuMs' | 'elapsedMs' | 'throughput' | 'p99Ms' | 'p50Ms' | 'peakRssMB';

interface ConfigSummary {
  config: string;
  label: string;
  validRuns: number;
  invalidRuns: number;
  failedRuns: number;
  medians: Partial<Record<Metric, number>>;
  spreads: Partial<Record<Metric, number>>;
  ratios: Partial<Record<Metric, PairedRatio>>;
  rssDeltaMB?: PairedRatio;
  problems: string[];
}

function summarise(workload: string, byConfig: Map<string, (RunResult | undefined)[]>, problems: Map<string, string[]>, invalid: Map<string, number>, failed: Map<string, number>): ConfigSummary[] {
  const base = byConfig.get('none') ?? [];
  const metrics: Metric[] = workload === 'http' ? ['cpuMs', 'totalCpuMs', 'elapsedMs', 'throughput', 'p50Ms', 'p99Ms', 'peakRssMB'] : ['cpuMs', 'totalCpuMs', 'elapsedMs', 'throughput', 'peakRssMB'];
  const out: ConfigSummary[] = [];
  for (const [config, runs] of byConfig) {
    const valid = runs.filter((r): r is RunResult => r !== undefined);
    const s: ConfigSummary = {
      config,
      label: CONFIGS[config].label,
      validRuns: valid.length,
      invalidRuns: invalid.get(config) ?? 0,
      failedRuns: failed.get(config) ?? 0,
      medians: {},
      spreads: {},
      ratios: {},
      problems: problems.get(config) ?? [],
    };
    for (const m of metrics) {
      const values = valid.map((r) => r[m]).filter((v): v is number => typeof v === 'number');
      s.medians[m] = median(values);
      s.spreads[m] = relativeSpread(values);
      if (config !== 'none') s.ratios[m] = pairedRatio(runs.map((r) => r?.[m]), base.map((r) => r?.[m]));
    }
    if (config !== 'none') s.rssDeltaMB = pairedDifference(runs.map((r) => r?.peakRssMB), base.map((r) => r?.peakRssMB));
    out.push(s);
  }
  return out;
}

function workloadTable(workload: string, rows: ConfigSummary[]): string {
  const http = workload === 'http';
  const headers = ['configuration', 'runs', 'CPU ms', 'CPU ratio [95% CI]', 'process CPU ratio', 'elapsed ratio', http ? 'req/s' : 'ops/s', 'throughput ratio', ...(http ? ['p50 ms', 'p99 ms', 'p99 ratio'] : []), 'peak RSS MB', 'RSS delta'];
  const body = rows.map((r) => {
    const ok = r.validRuns > 0;
    const runs = `${r.validRuns}${r.invalidRuns ? ` (${r.invalidRuns} INVALID)` : ''}${r.failedRuns ? ` (${r.failedRuns} failed)` : ''}`;
    const ratio = (m: Metric) => (r.config === 'none' ? '(baseline)' : ok && r.ratios[m] ? formatRatio(r.ratios[m]!) : 'n/a');
    return [
      r.label,
      runs,
      ok ? formatValue(r.medians.cpuMs!, r.spreads.cpuMs!) : 'INVALID',
      ratio('cpuMs'),
      ratio('totalCpuMs'),
      ratio('elapsedMs'),
      ok ? formatValue(r.medians.throughput!, r.spreads.throughput!) : 'n/a',
      ratio('throughput'),
      ...(http ? [ok ? formatValue(r.medians.p50Ms!, r.spreads.p50Ms!, 1) : 'n/a', ok ? formatValue(r.medians.p99Ms!, r.spreads.p99Ms!, 1) : 'n/a', ratio('p99Ms')] : []),
      ok ? formatValue(r.medians.peakRssMB!, r.spreads.peakRssMB!) : 'n/a',
      r.config === 'none' ? '(baseline)' : ok && r.rssDeltaMB ? formatDelta(r.rssDeltaMB, 'MB') : 'n/a',
    ];
  });
  return markdownTable(headers, body);
}

/** Checks of the issue's targets for Vigil's defaults against this run's numbers. */
function verdicts(summaries: Record<string, ConfigSummary[]>): string[] {
  const lines: string[] = [];
  const get = (w: string, c: string) => summaries[w]?.find((s) => s.config === c && s.validRuns > 0);
  const pct = (x: number) => `${((x - 1) * 100).toFixed(1)} %`;
  // With fewer than 3 paired rounds an interval means nothing: say so instead of passing.
  const judge = (ok: boolean, n: number, fail = 'NOT SHOWN') => (n < 3 ? 'TOO FEW ROUNDS' : ok ? 'PASS' : fail);
  for (const [workload, rows] of Object.entries(summaries)) {
    const vigil = get(workload, 'vigil-default');
    const pyroscope = get(workload, 'pyroscope');
    const aa = get(workload, 'none-aa');
    if (!vigil?.ratios.cpuMs) continue;
    const cpu = vigil.ratios.cpuMs;
    lines.push(`- ${workload}: Vigil defaults CPU ${pct(cpu.median)} [${pct(cpu.low)}, ${pct(cpu.high)}]: ${judge(cpu.high < 1.01, cpu.n)} (under 1 % needs the upper end under +1 %; A/A noise floor ${aa?.ratios.cpuMs ? formatRatio(aa.ratios.cpuMs) : 'n/a'})`);
    if (workload === 'http' && vigil.rssDeltaMB) lines.push(`  - peak RSS ${formatDelta(vigil.rssDeltaMB, 'MB')}: ${judge(vigil.rssDeltaMB.median <= 15, vigil.rssDeltaMB.n, 'FAIL')} (target at most +15 MB on the HTTP service, median)`);
    if (pyroscope?.ratios.cpuMs) {
      const p = pyroscope.ratios.cpuMs;
      lines.push(`  - vs @pyroscope/nodejs CPU ${pct(p.median)} in the same run: ${judge(cpu.median <= p.median, cpu.n, 'COSTLIER')} (target: no costlier, medians)`);
    }
    if (workload === 'http' && vigil.ratios.p99Ms) {
      const p = vigil.ratios.p99Ms;
      lines.push(`  - p99 ${pct(p.median)} [${pct(p.low)}, ${pct(p.high)}]: ${judge(p.high < 1.05, p.n)} (within 5 % at the interval's upper end)`);
    }
    void rows;
  }
  return lines;
}

function accuracyTable(rows: AccuracyRow[]): string {
  const fmt = (r: AccuracyRow, v: number) => (!Number.isFinite(v) ? 'n/a' : r.unit === 'share' ? `${(v * 100).toFixed(1)} %` : v.toFixed(0));
  const err = (r: AccuracyRow) => (!Number.isFinite(r.error) ? 'n/a' : r.unit === 'share' ? `${r.error >= 0 ? '+' : ''}${(r.error * 100).toFixed(1)} pts` : `${r.error >= 0 ? '+' : ''}${(r.error * 100).toFixed(1)} %`);
  const tol = (r: AccuracyRow) => (r.unit === 'share' ? `±${(r.tolerance * 100).toFixed(0)} pts` : `±${(r.tolerance * 100).toFixed(0)} %`);
  return markdownTable(
    ['ground truth', 'what is compared', 'profiler', 'truth', 'measured', 'error', 'tolerance', 'within'],
    rows.map((r) => [r.workload, r.dimension, CONFIGS[r.config].label, fmt(r, r.truth), fmt(r, r.measured), err(r), tol(r), !Number.isFinite(r.error) ? (r.note ?? 'n/a') : Math.abs(r.error) <= r.tolerance ? 'yes' : 'NO']),
  );
}

/** The measured processes load the BUILT packages, as users do: fail early and clearly when they are not built. */
function checkBuilt(): void {
  for (const entry of ['@vigil/profiler/register', '@vigil/profiler']) {
    try {
      require.resolve(entry, { paths: [__dirname] });
    } catch {
      throw new Error(`${entry} is not built (no dist). Run \`pnpm bench\` from the repository root (it builds first), or \`pnpm exec turbo run build --filter=@vigil/bench...\``);
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  checkBuilt();
  const startedAt = new Date();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
  const versions = { node: process.version, ...peerVersions() };
  const log = (line: string) => console.log(line);
  if (options.breakdown) log(`Vigil cost breakdown (${options.quick ? 'quick' : 'full'}): parts ${options.parts.join(', ')}; windows ${options.windowPairs} pairs of ${options.windowMs} ms; ${options.startupRounds} start-up rounds; ${options.httpRounds} HTTP rounds of ${options.http.requests} requests`);
  else log(`Vigil bench (${options.quick ? 'quick' : 'full'}): ${options.rounds} rounds x ${options.workloads.length} workloads x ${options.configs.length} configurations, scale ${options.scale}, period ${options.periodSeconds} s`);
  log(`machine: ${machine.cpu} x${machine.cores}, ${machine.memoryGB} GB, load ${machine.loadAverageAtStart.join(' ')}; ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (machine.loadAverageAtStart[0] > machine.cores * 1.25) log(`WARNING: load average ${machine.loadAverageAtStart[0]} on ${machine.cores} cores: the machine is busy, expect wide intervals`);

  const sink = new PyroscopeSink();
  await sink.start();
  if (options.breakdown) {
    try {
      const { markdown, json } = await runBreakdown({ ...options, sink, log });
      console.log(`\n${markdown}`);
      mkdirSync(options.out, { recursive: true });
      writeFileSync(join(options.out, `${options.name}.md`), `${markdown}\n`);
      writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify({ machine, versions, ...(json as object) }, null, 2)}\n`);
      log(`\nwritten: ${join(options.out, `${options.name}.md`)} and .json`);
    } finally {
      await sink.stop();
    }
    return;
  }
  const results = new Map<string, Map<string, (RunResult | undefined)[]>>();
  const problems = new Map<string, Map<string, string[]>>();
  const invalid = new Map<string, Map<string, number>>();
  const failed = new Map<string, Map<string, number>>();
  for (const w of options.workloads) {
    results.set(w, new Map(options.configs.map((c) => [c, []])));
    problems.set(w, new Map());
    invalid.set(w, new Map());
    failed.set(w, new Map());
  }
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  try {
    for (let round = 0; round < (options.overhead ? options.rounds : 0); round++) {
      for (const workload of options.workloads) {
        // Rotate the order every round so no configuration always runs first (or after the heaviest).
        const order = options.configs.map((_, i) => options.configs[(i + round) % options.configs.length]);
        const cells: string[] = [];
        for (const id of order) {
          const slot = results.get(workload)!.get(id)!;
          try {
            const r = await runOnce(CONFIGS[id], workload, { periodSeconds: options.periodSeconds, params: { scale: options.scale }, sink, http: options.http });
            if (!r.check.ok) {
              bump(invalid.get(workload)!, id);
              problems.get(workload)!.set(id, [...(problems.get(workload)!.get(id) ?? []), `round ${round + 1}: no profiles (${r.check.detail})`]);
              slot[round] = undefined;
              cells.push(`${id}=INVALID`);
            } else {
              slot[round] = r;
              cells.push(`${id}=${r.cpuMs.toFixed(0)}ms${r.p99Ms !== undefined ? `/p99 ${r.p99Ms}` : ''}`);
            }
          } catch (error) {
            bump(failed.get(workload)!, id);
            problems.get(workload)!.set(id, [...(problems.get(workload)!.get(id) ?? []), `round ${round + 1}: ${(error as Error).message.slice(0, 400)}`]);
            slot[round] = undefined;
            cells.push(`${id}=FAILED`);
          }
        }
        log(`round ${round + 1}/${options.rounds} ${workload}: ${cells.join(' ')}`);
      }
    }

    const windows: WindowCell[] = [];
    const windowsErrors: string[] = [];
    if (options.windows) {
      log(`on/off windows: ${options.windowPairs} pairs of ${DUTY_PERIOD_MS} ms in one process, A/A and register defaults, on ${WINDOW_WORK.join(' and ')} work`);
      // The A/A row (nothing switched on, same window length) first: the method's noise floor.
      for (const work of WINDOW_WORK) {
        for (const mechanism of ['none-period', 'defaults']) {
          try {
            windows.push(await runWindows(mechanism, work, { ...options, sink }));
          } catch (error) {
            windowsErrors.push(`${work}/${mechanism}: ${(error as Error).message}`);
            log(`  windows ${work}/${mechanism} failed: ${(error as Error).message}`);
          }
        }
      }
    }

    let accuracy: AccuracyRow[] = [];
    if (options.accuracy) {
      log(`accuracy: ${options.accuracyRepeats} repeat(s), ${options.accuracyDurationMs} ms each`);
      accuracy = summariseAccuracy(await runAccuracy({ repeats: options.accuracyRepeats, durationMs: options.accuracyDurationMs, sink, log }));
    }

    // Report.
    const summaries: Record<string, ConfigSummary[]> = {};
    const md: string[] = [];
    md.push(`# Vigil bench results (${options.quick ? 'quick' : 'full'} run)`);
    md.push('');
    md.push(`Started ${startedAt.toISOString()}, took ${((Date.now() - startedAt.getTime()) / 60000).toFixed(1)} min. ${options.rounds} rounds, interleaved (order rotated each round), each run its own process; scale ${options.scale}; profile period ${options.periodSeconds} s for every profiler (shortened from 60 s, so export costs are counted more often than in production).`);
    md.push('');
    md.push(`Machine: ${machine.cpu} x${machine.cores}, ${machine.memoryGB} GB, ${machine.os}; load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
    md.push(`Versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
    md.push('');
    md.push('Cells: median ±relative median absolute deviation; ratios are the median of per-round ratios to the unprofiled run of the same round, with a bootstrap 95 % interval; CPU is the work phase (all threads); process CPU also counts start-up and the exit flush; RSS delta is the per-round difference of peak RSS (whole process, exit flush included). The A/A row (no profiler twice) is the noise floor: differences inside it are noise.');
    for (const workload of options.overhead ? options.workloads : []) {
      const rows = summarise(workload, results.get(workload)!, problems.get(workload)!, invalid.get(workload)!, failed.get(workload)!);
      summaries[workload] = rows;
      const table = workloadTable(workload, rows);
      md.push('', `## Workload: ${workload}`, '', table);
      const issues = rows.flatMap((r) => r.problems.map((p) => `- ${r.config}: ${p}`));
      if (issues.length) md.push('', ...issues);
    }
    if (options.windows) {
      md.push('', '## Vigil on/off windows (one process)', '');
      md.push(`${options.windowPairs} pairs of windows per work and row (order off,on,on,off,...), each one whole ${DUTY_PERIOD_MS / 1000} s profile period, with an A/A row (nothing switched on in either window: the method's noise floor); Vigil as \`@vigil/profiler/register\` runs it with nothing set (cpu and wall sampled in one burst, a sixth of each period; I/O wait, heap, lock: \`new Profiler()\` from the built package with only the exporter given), started and stopped between windows, so every on-window holds one burst, its start and one period's end (a tenth of the production period: those count ten times as often as in production). Mixed: hashing, JSON, sorting, allocation, a stat, a read, a timer and a mutex per 20 units. HTTP: the service of the http workload, loaded by an unprofiled child process; unit = one request.`);
      const isDefaults = (w: WindowCell) => w.mechanism === 'defaults';
      md.push('', markdownTable(['work', 'switched on', 'CPU per unit of work, on / off [95% CI]', 'work per second', 'profiles written', 'start+stop ms per cycle'], windows.map((w) => [w.work, isDefaults(w) ? 'register defaults' : 'nothing (A/A)', formatRatio(w.cpuPerUnit), formatRatio(w.throughput), isDefaults(w) ? `${w.profiles}${w.profiles > 0 ? '' : ' (INVALID)'}` : 'none expected', w.switchMsPerCycle.toFixed(0)])));
      for (const e of windowsErrors) md.push(`- failed: ${e}`);
    }
    if (options.accuracy) md.push('', '## Accuracy against ground truth', '', accuracyTable(accuracy), '', 'Truth is measured inside each workload (process.cpuUsage / performance.now per function, slices of random length). Peers are compared where they measure the same dimension; "n/a" where they do not.');
    const verdictLines = verdicts(summaries);
    for (const w of windows.filter((cell) => cell.mechanism === 'defaults')) {
      const t = w.cpuPerUnit;
      verdictLines.push(`- on/off windows, ${w.work}: register defaults CPU per unit of work ${formatRatio(t)}: ${t.n < 3 ? 'TOO FEW PAIRS' : t.high < 1.01 ? 'PASS' : 'NOT SHOWN'} (under 1 % at the interval's upper end)`);
    }
    md.push('', '## Targets (Vigil defaults)', '', ...verdictLines, '');
    const markdown = md.join('\n');
    console.log(`\n${markdown}`);

    mkdirSync(options.out, { recursive: true });
    const json = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      options,
      machine: { ...machine, loadAverageAtEnd: loadavg() },
      versions,
      nodeMajor: NODE_MAJOR,
      workloads: summaries,
      raw: Object.fromEntries([...results].map(([w, m]) => [w, Object.fromEntries([...m].map(([c, runs]) => [c, runs.map((r) => (r ? { cpuMs: r.cpuMs, elapsedMs: r.elapsedMs, throughput: r.throughput, p50Ms: r.p50Ms, p99Ms: r.p99Ms, peakRssMB: r.peakRssMB, totalCpuMs: r.totalCpuMs, profiles: r.check.profiles } : null))]))])),
      windows,
      accuracy,
      verdicts: verdictLines,
    };
    writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(options.out, `${options.name}.md`), `${markdown}\n`);
    log(`\nwritten: ${join(options.out, `${options.name}.json`)} and .md`);
  } finally {
    await sink.stop();
  }
}

main().catch((error) => {
  console.error(`bench failed: ${(error as Error)?.stack ?? String(error)}`);
  process.exitCode = 1;
});
