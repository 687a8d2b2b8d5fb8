// The on/off window method: one long process alternates windows with Vigil off and on (order
// off,on,on,off,... so that slow drifts cancel) and compares the CPU used per unit of work in each
// pair. Neighbours' load hits both sides of a pair equally, which separate processes cannot promise.
//
// params.mechanism picks what is switched on:
//   'none'      - nothing: the A/A row, the noise floor of the method;
//   'defaults'  - `new Profiler()` from the built @vigil/profiler with nothing set but the exporter:
//                 exactly the collectors and options `@vigil/profiler/register` runs by default;
//   'cpu', 'wall' (no I/O wait), 'wall-io' (I/O wait alone, through a wall collector), 'heap',
//   'lock', 'tracing' - one collector alone, for the cost breakdown; 'cpu-1hz' - cpu sampling at
//   1 Hz, i.e. V8's profiling mode with next to no samples; 'v8-cpu-1hz', 'v8-cpu-99hz', 'v8-heap' -
//   @datadog/pprof's V8 samplers driven directly (no contexts, no CPU time; heap at 512 KiB, 64
//   frames), without any Vigil code.
// params.samplingDutyCycle: VIGIL_SAMPLING_DUTY_CYCLE for the profiler (unset: its default, a sixth
// of each period; with it, windows of one whole period each average the bursts with the rest).
// params.work: 'mixed' (hashing, JSON, sorting, allocation, fs, timers and a mutex per batch) or
// 'http' (this process serves ~1 ms-of-work JSON requests; an unprofiled child process loads it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Profiler, cpu, fileExporter, heap, lock, tracingCorrelation, wall } from '@vigil/profiler';
import { holdRealisticHeap, params, report } from './harness.mjs';
import { nativeTimeSamplerOptions } from './native-sampler-options.mjs';

const windowMs = Number(params.windowMs ?? 2000);
const pairs = Number(params.pairs ?? 10);
const periodMs = Number(params.periodMs ?? 5000);
const mechanism = String(params.mechanism ?? 'defaults');
const work = String(params.work ?? 'mixed');
// Work done after each switch and not counted: the steady state is what a long-running app pays;
// start and stop costs (the sampler's code logging, hooks) are reported apart, as switchMs.
const settleMs = Number(params.settleMs ?? 250);
if (params.samplingDutyCycle !== undefined) process.env.VIGIL_SAMPLING_DUTY_CYCLE = String(params.samplingDutyCycle);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-windows-'));
const dataFile = join(dir, 'data.json');
writeFileSync(dataFile, JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i, s: `v${i}` }))));

const ONE_COLLECTOR = {
  cpu: () => cpu(),
  // V8's profiling mode with next to no sampling: what having the V8 profiler on costs by itself.
  'cpu-1hz': () => cpu({ samplingHz: 1 }),
  wall: () => wall({ ioWait: false }),
  'wall-io': () => wall({ ioWait: true }),
  heap: () => heap(),
  lock: () => lock(),
  // No tracer is loaded: what remains is the poll that looks for one, and the span-labels hooks.
  tracing: () => tracingCorrelation(),
};

// Loaded through require, after the profiler exists, as a CommonJS app would load it.
const { Mutex } = createRequire(import.meta.url)('async-mutex');
const mutex = new Mutex();

// One unit of mixed work: hashing, JSON, sorting and short-lived allocations.
function unit(seed) {
  let digest = String(seed);
  for (let i = 0; i < 8; i++) digest = createHash('sha256').update(digest).digest('hex');
  const records = Array.from({ length: 60 }, (_, i) => ({ id: seed + i, name: `n${i}`, tags: [i, digest.slice(0, 4)] }));
  const copy = JSON.parse(JSON.stringify(records));
  copy.sort((a, b) => (a.name < b.name ? -1 : 1));
  return copy.length;
}

// A batch: 20 units, then the I/O an app does between them (a stat, a read, a timer, a mutex).
async function batch(seed) {
  let units = 0;
  for (let i = 0; i < 20; i++) units += unit(seed + i) > 0 ? 1 : 0;
  await mutex.runExclusive(async () => {
    await Promise.all([stat(dataFile), readFile(dataFile), sleep(0)]);
  });
  await yieldToLoop();
  return units;
}

async function mixedWindow(durationMs) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let units = 0;
  while (performance.now() - t0 < durationMs) units += await batch(units);
  const c = process.cpuUsage(c0);
  return { units, elapsedMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

// The HTTP service: the same handler as workloads/http.mjs.
let served = 0;
let server;
let loader;
async function startService() {
  const catalog = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `product ${i}`, price: (i * 37) % 1000, stock: i % 13 }));
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const page = Number(url.searchParams.get('page') || 0) % 25;
    const items = catalog.slice(page * 20, page * 20 + 20).map((p) => ({ ...p, etag: createHash('sha1').update(p.name).digest('hex') }));
    const body = JSON.stringify({ page, items });
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      served++;
    }, 1);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  loader = spawn(process.execPath, [new URL('./http-load.mjs', import.meta.url).pathname, String(server.address().port), String(params.connections ?? 32)], { stdio: ['pipe', 'ignore', 'inherit'], env: { PATH: process.env.PATH } });
}

async function httpWindow(durationMs) {
  const c0 = process.cpuUsage();
  const s0 = served;
  const t0 = performance.now();
  await sleep(durationMs);
  const c = process.cpuUsage(c0);
  return { units: served - s0, elapsedMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

const measureWindow = work === 'http' ? httpWindow : mixedWindow;
holdRealisticHeap();
if (work === 'http') await startService();
// 'none' switches nothing on: the same alternation with identical windows, the A/A noise floor.
const NOTHING = { collectors: [], start() {}, async stop() {} };
// The V8 samplers driven directly through @datadog/pprof, no Vigil code at all: what V8 costs.
const requireFromProfiler = createRequire(createRequire(import.meta.url).resolve('@vigil/profiler/register'));
function rawTimeSampler(hz) {
  let sampler;
  return {
    collectors: [],
    start() {
      const { TimeProfiler } = requireFromProfiler('@datadog/pprof/out/src/time-profiler-bindings');
      sampler = new TimeProfiler(nativeTimeSamplerOptions(hz));
      sampler.start();
    },
    async stop() {
      sampler.stop(false);
      sampler.dispose();
    },
  };
}
function rawHeapSampler() {
  const heapProfiler = () => requireFromProfiler('@datadog/pprof/out/src/heap-profiler');
  return { collectors: [], start() { heapProfiler().start(512 * 1024, 64); }, async stop() { heapProfiler().stop(); } };
}
const RAW = { 'v8-cpu-1hz': () => rawTimeSampler(1), 'v8-cpu-99hz': () => rawTimeSampler(99), 'v8-heap': rawHeapSampler };
if (mechanism !== 'defaults' && mechanism !== 'none' && !ONE_COLLECTOR[mechanism] && !RAW[mechanism]) throw new Error(`unknown mechanism ${mechanism}`);
const makeProfiler = (which, prefix) => which === 'none' ? NOTHING : RAW[which] ? RAW[which]() : new Profiler({
  service: 'vigil-bench-windows',
  ...(which === 'defaults' ? {} : { collectors: [ONE_COLLECTOR[which]()] }),
  exporters: [fileExporter({ prefix: join(dir, prefix) })],
  uploadPeriodMs: periodMs,
  logger: 'warn',
});
const profiler = makeProfiler(mechanism, 'vigil_');
// params.offMechanism: what runs in the "off" windows instead of nothing (e.g. 'wall' against
// 'wall-io' measures the I/O-wait wrappers alone, the sampler running on both sides).
const offMechanism = params.offMechanism ? String(params.offMechanism) : undefined;
if (offMechanism && !ONE_COLLECTOR[offMechanism]) throw new Error(`unknown offMechanism ${offMechanism}`);
const offProfiler = offMechanism ? makeProfiler(offMechanism, 'vigil_off_') : undefined;
const collectors = profiler.collectors?.map((c) => c.name) ?? [];
await measureWindow(windowMs); // warm-up: JIT, heap sizing
const windows = [];
const order = [];
for (let p = 0; p < pairs; p++) order.push(...(p % 2 === 0 ? [false, true] : [true, false]));
let switchMs = 0;
let on = false;
for (const wantOn of order) {
  const s = performance.now();
  if (wantOn && !on) {
    if (offProfiler && windows.length > 0) await offProfiler.stop({ flush: true });
    profiler.start({ stopOnExit: false, profileChildren: false });
  }
  if (!wantOn && on) await profiler.stop({ flush: true });
  if (!wantOn && offProfiler && (on || windows.length === 0)) offProfiler.start({ stopOnExit: false, profileChildren: false });
  if (wantOn !== on) {
    switchMs += performance.now() - s;
    await measureWindow(settleMs);
  }
  on = wantOn;
  windows.push({ on, ...(await measureWindow(windowMs)) });
}
if (on) await profiler.stop({ flush: true });
else if (offProfiler) await offProfiler.stop({ flush: true });
if (loader) loader.stdin.end();
server?.closeAllConnections?.();
server?.close();
const profiles = readdirSync(dir).filter((f) => f.endsWith('.pprof')).length;
rmSync(dir, { recursive: true, force: true });
report({ workload: 'windows', cpuMs: 0, elapsedMs: 0, ops: 1, windows, profiles, switchMs, mechanism, work, collectors });
