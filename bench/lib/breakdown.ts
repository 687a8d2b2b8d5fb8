// `pnpm bench --breakdown`: where Vigil's cost goes, one mechanism at a time. Writes
// results/cost-breakdown.{md,json}. Three kinds of measurement:
// - on/off windows in one process (workloads/windows.mjs) for the register defaults and for each
//   collector alone, on the mixed and the HTTP work: CPU per unit of work, on / off;
// - process runs: start-up time and peak RSS of `node <preload> -e 0`, and peak RSS of the HTTP
//   service under load, for no preload, the addon alone, the preload switched off, each collector
//   alone and the defaults (interleaved rounds, paired with the no-preload run of the same round);
// - direct timings (workloads/mechanisms.mjs): I/O-wait wrappers per call, collection and
//   encode + gzip per period, start and stop;
// - a burst's start against the heap's size, and the stalls of an app with a big heap
//   (heap-walk-stalls.ts).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CONFIGS, type BenchConfig } from './configs';
import { runHeapWalkStalls } from './heap-walk-stalls';
import type { PyroscopeSink } from './pyroscope-sink';
import { cleanEnv, runOnce } from './runner';
import { median, pairedDifference, pairedRatio, relativeSpread, type PairedRatio } from './stats';
import { formatDelta, formatRatio, markdownTable } from './tables';

const requireFromBench = createRequire(join(__dirname, '..', 'package.json'));

export interface BreakdownOptions {
  quick: boolean;
  windowMs: number;
  windowPairs: number;
  periodSeconds: number;
  startupRounds: number;
  /** Another checkout of this repo, built: its register defaults run in the same start-up rounds (before / after). */
  startupBaseline?: string;
  httpRounds: number;
  http: { connections: number; requests: number; warmupRequests: number };
  /** Which parts to run (all by default): windows, startup, http, direct, stalls. */
  parts: readonly string[];
  /** Which on/off window rows to run (all of WINDOW_MECHANISMS by default). */
  mechanisms: readonly string[];
  sink: PyroscopeSink;
  log: (line: string) => void;
}

export const BREAKDOWN_PARTS = ['windows', 'startup', 'http', 'direct', 'stalls'] as const;

export const WINDOW_MECHANISMS = ['none', 'none-period', 'defaults', 'defaults-continuous', 'defaults-1s', 'cpu', 'cpu-1hz', 'v8-cpu-1hz', 'v8-cpu-99hz', 'wall', 'wall-io', 'io-wait', 'heap', 'v8-heap', 'lock', 'tracing'] as const;
const WINDOW_WORK = ['mixed', 'http'] as const;

/**
 * The defaults sample cpu and wall in one burst a period (a sixth of it), so their row needs
 * windows of whole periods: each on-window is one 6 s period, its 1 s burst (with the burst's
 * start) and its period end. A tenth of the production period: the burst start and the period's
 * work count ten times as often as in production, so the row overstates them.
 */
export const DUTY_PERIOD_MS = 6000;

const MECHANISM_LABELS: Record<string, string> = {
  none: 'nothing switched on (A/A: the noise floor of the method)',
  'none-period': `nothing switched on, windows of one ${DUTY_PERIOD_MS / 1000} s period (the A/A of the defaults row)`,
  defaults: `register defaults (cpu and wall sampled a sixth of each period, I/O wait, heap, lock), windows of one whole ${DUTY_PERIOD_MS / 1000} s period`,
  'defaults-continuous': 'register defaults sampling cpu and wall all the time (VIGIL_SAMPLING_DUTY_CYCLE=1), between period ends',
  'defaults-1s': 'register defaults with a 1 s period (which samples all the time): the same, plus one period\'s work every second',
  cpu: 'cpu alone (V8 sampler with CPU time and contexts)',
  'cpu-1hz': 'cpu alone at 1 Hz (V8\'s profiling mode with next to no samples)',
  'v8-cpu-1hz': 'V8 CPU profiler driven directly at 1 Hz, no Vigil code (no contexts, no CPU time)',
  'v8-cpu-99hz': 'V8 CPU profiler driven directly at 99 Hz, no Vigil code (no contexts, no CPU time)',
  'v8-heap': 'V8 sampling heap profiler driven directly (512 KiB, 64 frames), no Vigil code',
  wall: 'wall alone, no I/O wait (the same V8 sampler)',
  'wall-io': 'wall with I/O wait (sampler + I/O-wait wrappers)',
  'io-wait': 'I/O-wait wrappers alone (wall with I/O wait against wall without)',
  heap: 'heap alone (V8 sampling heap profiler, GC events)',
  lock: 'lock alone (lock library hooks)',
  tracing: 'span correlation alone, no tracer loaded (the tracer poll; not in the defaults)',
};

/** (1 s period row - continuous row) / 60: one period's work per second, spread over a 60 s period. */
function formatPerPeriodShare(cells: readonly WindowCell[], work: string): string {
  const perSecond = cells.find((c) => c.mechanism === 'defaults-1s' && c.work === work)?.cpuPerUnit.median;
  const steady = cells.find((c) => c.mechanism === 'defaults-continuous' && c.work === work)?.cpuPerUnit.median;
  if (perSecond === undefined || steady === undefined) return 'n/a';
  return `${(((perSecond - steady) / 60) * 100).toFixed(2)} %`;
}

export interface WindowCell {
  mechanism: string;
  work: string;
  cpuPerUnit: PairedRatio;
  throughput: PairedRatio;
  switchMsPerCycle: number;
  profiles: number;
}

/** Runs the windows workload once and pairs its windows. */
/**
 * The windows run with the production period, so no period ends inside them: a period's work (a
 * few to tens of ms) landing in some windows and not others made the pairs bimodal. That work is
 * measured by its own row, 'defaults-1s', and spread over 60 s in the report.
 */
const WINDOW_PERIOD_MS = 60_000;

/** Windows workload parameters of each row. */
function windowParams(mechanism: string, windowMs: number): { windowMs: number; periodMs: number; mechanism: string; offMechanism?: string; samplingDutyCycle?: number } {
  switch (mechanism) {
    case 'defaults': return { windowMs: DUTY_PERIOD_MS, periodMs: DUTY_PERIOD_MS, mechanism };
    case 'none-period': return { windowMs: DUTY_PERIOD_MS, periodMs: DUTY_PERIOD_MS, mechanism: 'none' };
    case 'defaults-continuous': return { windowMs, periodMs: WINDOW_PERIOD_MS, mechanism: 'defaults', samplingDutyCycle: 1 };
    case 'defaults-1s': return { windowMs, periodMs: 1000, mechanism: 'defaults' };
    case 'io-wait': return { windowMs, periodMs: WINDOW_PERIOD_MS, mechanism: 'wall-io', offMechanism: 'wall', samplingDutyCycle: 1 };
    // One collector at a time, sampling all the time: the steady cost of each mechanism.
    default: return { windowMs, periodMs: WINDOW_PERIOD_MS, mechanism, samplingDutyCycle: 1 };
  }
}

export async function runWindows(mechanism: string, work: string, o: Pick<BreakdownOptions, 'windowMs' | 'windowPairs' | 'sink' | 'http'>): Promise<WindowCell> {
  const params = windowParams(mechanism, o.windowMs);
  const r = await runOnce(CONFIGS.none, 'windows', {
    periodSeconds: params.periodMs / 1000,
    params: { ...params, pairs: o.windowPairs, work, connections: o.http.connections },
    sink: o.sink,
    http: o.http,
    timeoutMs: params.windowMs * o.windowPairs * 2 + 120_000,
  });
  const windows = r.extra.windows as { on: boolean; units: number; elapsedMs: number; cpuMs: number }[];
  const on: { rate: number; cpu: number }[] = [];
  const off: { rate: number; cpu: number }[] = [];
  for (let i = 0; i + 1 < windows.length; i += 2) {
    const [a, b] = [windows[i], windows[i + 1]];
    for (const [w, into] of [[a, a.on ? on : off], [b, b.on ? on : off]] as const) into.push({ rate: w.units / w.elapsedMs, cpu: w.cpuMs / w.units });
  }
  return {
    mechanism,
    work,
    cpuPerUnit: pairedRatio(on.map((x) => x.cpu), off.map((x) => x.cpu)),
    throughput: pairedRatio(on.map((x) => x.rate), off.map((x) => x.rate)),
    switchMsPerCycle: Number(r.extra.switchMs) / Math.max(1, o.windowPairs),
    profiles: Number(r.extra.profiles),
  };
}

interface StartupConfig {
  id: string;
  label: string;
  nodeArgs: string[];
  env: Record<string, string>;
  /** Working directory: an empty folder (an app without lock libraries) unless said otherwise. */
  cwd: string;
}

function startupConfigs(dir: string, baseline: string | undefined): StartupConfig[] {
  const register = requireFromBench.resolve('@vigil/profiler/register');
  const on = (profilers?: string) => ({
    DD_PROFILING_ENABLED: 'true', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: join(dir, 'vigil_'),
    ...(profilers ? { DD_PROFILING_PROFILERS: profilers } : {}),
  });
  const rows: Omit<StartupConfig, 'cwd'>[] = [
    { id: 'none', label: 'no preload', nodeArgs: [], env: {} },
    { id: 'addon', label: '@datadog/pprof loaded alone (the native addon)', nodeArgs: ['--require', join(__dirname, '..', 'workloads', 'load-native-addon.cjs')], env: {} },
    { id: 'disabled', label: 'register, DD_PROFILING_ENABLED=false', nodeArgs: ['--require', register], env: { DD_PROFILING_ENABLED: 'false' } },
    { id: 'cpu', label: 'register, cpu only', nodeArgs: ['--require', register], env: on('cpu') },
    { id: 'wall', label: 'register, wall only (+ I/O wait)', nodeArgs: ['--require', register], env: on('wall') },
    { id: 'heap', label: 'register, heap only', nodeArgs: ['--require', register], env: on('heap') },
    { id: 'lock', label: 'register, lock only', nodeArgs: ['--require', register], env: on('lock') },
    { id: 'defaults', label: 'register defaults (nothing set)', nodeArgs: ['--require', register], env: on() },
  ];
  const emptyApp = join(dir, 'app');
  mkdirSync(emptyApp, { recursive: true });
  if (baseline) {
    const baselineRegister = join(baseline, 'packages', 'profiler', 'dist', 'register.js');
    if (!existsSync(baselineRegister)) throw new Error(`--startup-baseline: ${baselineRegister} is missing (build that checkout first)`);
    const commit = execFileSync('git', ['-C', baseline, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    rows.push({ id: 'defaults-baseline', label: `register defaults (nothing set), baseline checkout at ${commit}`, nodeArgs: ['--require', baselineRegister], env: on() });
  }
  return [
    ...rows.map((r) => ({ ...r, cwd: emptyApp })),
    // The bench folder has async-mutex installed: through --import, the lock ESM hooks are registered there.
    { id: 'defaults-lock-lib', label: 'register defaults through --import, app with async-mutex installed (lock ESM hooks)', nodeArgs: ['--import', register.replace(/\.js$/, '.mjs')], env: on(), cwd: join(__dirname, '..') },
  ];
}

/** `node <preload> -e <report peak RSS at exit>`: elapsed from spawn to exit, and peak RSS. */
function startOnce(config: StartupConfig): Promise<{ ms: number; rssMB: number }> {
  const script = "process.on('exit',()=>process.stdout.write('RSS '+process.resourceUsage().maxRSS/1024+'\\n'))";
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...config.nodeArgs, '-e', script], { cwd: config.cwd, env: { ...cleanEnv(), ...config.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const m = /RSS ([\d.]+)/.exec(out);
      if (code !== 0 || !m) reject(new Error(`${config.id}: exit ${code}: ${err.trim().slice(-300)}`));
      else resolve({ ms, rssMB: Number(m[1]) });
    });
  });
}

const HTTP_CONFIGS = ['none', 'vigil-disabled', 'vigil-cpu', 'vigil-wall', 'vigil-heap', 'vigil-lock', 'vigil-default'];

export async function runBreakdown(o: BreakdownOptions): Promise<{ markdown: string; json: unknown }> {
  const startedAt = Date.now();
  const loadAtStart = loadavg().map((x) => x.toFixed(1)).join(' ');
  // 1. Windows.
  const cells: WindowCell[] = [];
  for (const work of o.parts.includes('windows') ? WINDOW_WORK : []) {
    for (const mechanism of o.mechanisms) {
      try {
        const cell = await runWindows(mechanism, work, o);
        cells.push(cell);
        o.log(`windows ${work}/${mechanism}: CPU per unit ${formatRatio(cell.cpuPerUnit)}, ${cell.profiles} profiles`);
      } catch (error) {
        o.log(`windows ${work}/${mechanism} failed: ${(error as Error).message.slice(0, 300)}`);
      }
    }
  }
  // 2. Start-up: interleaved rounds, rotated order.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-startup-'));
  const configs = startupConfigs(dir, o.startupBaseline);
  const startup = new Map<string, ({ ms: number; rssMB: number } | undefined)[]>(configs.map((c) => [c.id, []]));
  for (let round = 0; round < (o.parts.includes('startup') ? o.startupRounds : 0); round++) {
    for (let i = 0; i < configs.length; i++) {
      const c = configs[(i + round) % configs.length];
      try {
        startup.get(c.id)![round] = await startOnce(c);
      } catch (error) {
        o.log(`start-up ${c.id} failed: ${(error as Error).message}`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  o.log('start-up done');
  // 3. HTTP service peak RSS, interleaved.
  const http = new Map<string, (number | undefined)[]>(HTTP_CONFIGS.map((c) => [c, []]));
  for (let round = 0; round < (o.parts.includes('http') ? o.httpRounds : 0); round++) {
    for (let i = 0; i < HTTP_CONFIGS.length; i++) {
      const id = HTTP_CONFIGS[(i + round) % HTTP_CONFIGS.length];
      try {
        const r = await runOnce(CONFIGS[id] as BenchConfig, 'http', { periodSeconds: o.periodSeconds, params: { scale: 1 }, sink: o.sink, http: o.http });
        http.get(id)![round] = r.peakRssMB;
      } catch (error) {
        o.log(`http ${id} failed: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    o.log(`http RSS round ${round + 1}/${o.httpRounds} done`);
  }
  // 4. Direct timings.
  const mech = !o.parts.includes('direct') ? undefined : await runOnce(CONFIGS.none, 'mechanisms', {
    periodSeconds: o.periodSeconds,
    params: { rounds: o.quick ? 4 : 10, ioCalls: o.quick ? 5000 : 20000, periods: o.quick ? 4 : 8, periodMs: 1000, cycleRounds: o.quick ? 1 : 3 },
    sink: o.sink,
    http: o.http,
    timeoutMs: 300_000,
  });
  const ioNs = (mech?.extra.ioNs ?? { on: [], off: [] }) as { on: number[]; off: number[] };
  const periods = ((mech?.extra.periods ?? []) as { collectMs: number; encodeCpuMs: number; bytes: number; otlpCpuMs: number; otlpBytes: number; profiles: number }[]).filter((p) => p.profiles > 0);

  // Report.
  const md: string[] = [];
  md.push(`# Vigil cost breakdown (${o.quick ? 'quick' : 'full'} run)`, '');
  md.push(`Made by \`pnpm bench ${process.argv.slice(2).join(' ')}\` on Node ${process.version}, ${new Date(startedAt).toISOString()}, in ${((Date.now() - startedAt) / 60000).toFixed(1)} min, load average ${loadAtStart} at the start and ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end (2 cores here: above 2, neighbours compete for the CPU). Intervals are bootstrap 95 % intervals of the median over pairs or rounds.`);
  if (o.parts.includes('windows')) {
    md.push('', '## CPU per unit of work, on / off windows in one process', '');
    md.push(`${o.windowPairs} pairs of ${o.windowMs} ms windows per row (off,on,on,off,...), each switch followed by 250 ms not counted; the production period of 60 s, so no period ends inside a window (start and the final flush fall in the switches), except in the 1 s period row and the defaults row, whose windows are each one whole ${DUTY_PERIOD_MS / 1000} s period (its sampling burst, the burst's start and the period's end). Rows other than the defaults sample cpu and wall all the time (VIGIL_SAMPLING_DUTY_CYCLE=1): the steady cost of each mechanism while it is on. Mixed: hashing, JSON, sorting, allocation, then a stat, a read, a timer and a mutex per 20 units. HTTP: this process serves the http workload's JSON requests (hashing, then a 1 ms downstream wait), ${o.http.connections} keep-alive connections from an unprofiled child process; unit = one request.`);
    md.push('', markdownTable(
      ['mechanism switched on', ...WINDOW_WORK.map((w) => `${w}: CPU per unit`), ...WINDOW_WORK.map((w) => `${w}: start+stop ms`)],
      o.mechanisms.map((m) => [
        MECHANISM_LABELS[m],
        ...WINDOW_WORK.map((w) => { const c = cells.find((x) => x.mechanism === m && x.work === w); return c ? formatRatio(c.cpuPerUnit) : 'failed'; }),
        ...WINDOW_WORK.map((w) => { const c = cells.find((x) => x.mechanism === m && x.work === w); return c ? c.switchMsPerCycle.toFixed(0) : 'n/a'; }),
      ]),
    ));
    md.push('', `A period's work (collection, encoding, export) at the production period, from the 1 s period row: ${WINDOW_WORK.map((w) => `${w} ${formatPerPeriodShare(cells, w)}`).join(', ')} of CPU (the 1 s period row minus the continuous row, spread over 60 s). The defaults row already counts one period's work in every window.`);
  }
  const base = startup.get('none')!;
  if (o.parts.includes('startup')) {
    md.push('', '## Start-up and memory of the preload (`node <preload> -e 0`)', '');
    md.push(`${o.startupRounds} interleaved rounds; time is spawn to exit (the exit flush included); differences are paired with the no-preload run of the same round.`);
    md.push('', markdownTable(['preload', 'time ms (median)', 'time vs none', 'peak RSS MB', 'RSS vs none'], configs.map((c) => {
      const runs = startup.get(c.id)!;
      const ms = runs.map((r) => r?.ms);
      const rss = runs.map((r) => r?.rssMB);
      return [
        c.label,
        median(ms.filter((x): x is number => x !== undefined)).toFixed(0),
        c.id === 'none' ? '(baseline)' : formatDelta(pairedDifference(ms, base.map((r) => r?.ms)), 'ms'),
        median(rss.filter((x): x is number => x !== undefined)).toFixed(1),
        c.id === 'none' ? '(baseline)' : formatDelta(pairedDifference(rss, base.map((r) => r?.rssMB)), 'MB'),
      ];
    })));
    const before = startup.get('defaults-baseline');
    if (before) {
      const after = startup.get('defaults')!;
      md.push('', `This checkout's defaults against the baseline checkout's, paired by round: ${formatDelta(pairedDifference(after.map((r) => r?.ms), before.map((r) => r?.ms)), 'ms')}, ${formatDelta(pairedDifference(after.map((r) => r?.rssMB), before.map((r) => r?.rssMB)), 'MB')}.`);
    }
  }
  const httpBase = http.get('none')!;
  if (o.parts.includes('http')) {
    md.push('', '## Peak RSS of the HTTP service (whole process, exit flush included)', '');
    md.push(`${o.httpRounds} interleaved rounds of ${o.http.requests} requests, ${o.http.connections} connections, profile period ${o.periodSeconds} s.`);
    md.push('', markdownTable(['configuration', 'peak RSS MB (median)', 'vs no profiler'], HTTP_CONFIGS.map((id) => {
      const v = http.get(id)!;
      return [CONFIGS[id].label, median(v.filter((x): x is number => x !== undefined)).toFixed(1), id === 'none' ? '(baseline)' : formatDelta(pairedDifference(v, httpBase), 'MB')];
    })));
  }
  const ioDelta = pairedDifference(ioNs.on, ioNs.off);
  if (o.parts.includes('direct')) {
    md.push('', '## Direct timings', '');
    md.push(markdownTable(['mechanism', 'cost'], [
      ['I/O-wait wrappers, per fs.stat callback (+ a timer every 10 calls): CPU with wrappers minus without', `${formatDelta({ median: ioDelta.median / 1000, low: ioDelta.low / 1000, high: ioDelta.high / 1000 }, 'us')} per call (${ioNs.off.length} alternating rounds; without: ${(median(ioNs.off) / 1000).toFixed(1)} us ±${(relativeSpread(ioNs.off) * 100).toFixed(0)} %)`],
      ['collection per period, register defaults (period end to export call, elapsed, busy app)', `${median(periods.map((p) => p.collectMs)).toFixed(0)} ms median over ${periods.length} periods of 1 s`],
      ['pprof encode + gzip per period, all profiles of the defaults (CPU)', `${median(periods.map((p) => p.encodeCpuMs)).toFixed(1)} ms median, ${(median(periods.map((p) => p.bytes)) / 1024).toFixed(1)} KiB gzipped (1 s periods)`],
      ['the same profiles as one OTLP request, encode + gzip (CPU)', `${median(periods.map((p) => p.otlpCpuMs)).toFixed(1)} ms median, ${(median(periods.map((p) => p.otlpBytes)) / 1024).toFixed(1)} KiB gzipped`],
      ['V8 sampler start (native binding alone, CPU time and contexts on)', `${Number(mech?.extra.samplerStartMs).toFixed(1)} ms`],
      ['the same loop for whole 6 s periods under Vigil\'s cpu collector, CPU per iteration against off: sampling all the time / in its default burst (a sixth of each period)', (() => { const c = (mech?.extra.cycleMs ?? { off: [], continuous: [], bursts: [] }) as Record<'off' | 'continuous' | 'bursts', number[]>; if (!c.off.length || !c.continuous.length || !c.bursts.length) return 'n/a'; const vs = (xs: number[]) => `${((median(xs) / median(c.off) - 1) * 100).toFixed(1)} %`; return `${vs(c.continuous)} / ${vs(c.bursts)} (medians of ${c.off.length} rounds each)`; })()],
      ['allocation-heavy loop with the V8 CPU profiler on at 1 Hz against off (V8\'s profiling mode, no Vigil code)', (() => { const a = (mech?.extra.allocMs ?? { on: [], off: [] }) as { on: number[]; off: number[] }; return a.on.length && a.off.length ? `${((median(a.on) / median(a.off) - 1) * 100).toFixed(1)} % (medians of ${a.on.length} rounds: ${median(a.on).toFixed(1)} against ${median(a.off).toFixed(1)} ms)` : 'n/a'; })()],
      ['V8 sampler stop-and-restart that ends each period: main thread blocked / main thread CPU', (() => { const r = (mech?.extra.restarts ?? []) as { elapsedMs: number; cpuMs: number }[]; return `${median(r.map((x) => x.elapsedMs)).toFixed(1)} ms / ${median(r.map((x) => x.cpuMs)).toFixed(2)} ms (median of ${r.length})`; })()],
      ['start() of the default profiler (sampler, heap sampler, hooks)', `${Number(mech?.extra.startMs).toFixed(0)} ms`],
      ['stop({ flush: true }) of the default profiler', `${Number(mech?.extra.stopMs).toFixed(0)} ms`],
    ]));
  }
  // 5. A burst's start, a heap walk, and the stalls an app with a big heap sees.
  const stalls = o.parts.includes('stalls') ? await runHeapWalkStalls(o.quick ? 1 : 2, o.log) : undefined;
  if (stalls) md.push(...stalls.markdown);
  const markdown = md.join('\n');
  return { markdown, json: { node: process.version, stalls: stalls?.json, cells, startup: Object.fromEntries(startup), http: Object.fromEntries(http), ioNs, periods, startMs: mech?.extra.startMs, stopMs: mech?.extra.stopMs, samplerStartMs: mech?.extra.samplerStartMs, restarts: mech?.extra.restarts, allocMs: mech?.extra.allocMs, cycleMs: mech?.extra.cycleMs } };
}
