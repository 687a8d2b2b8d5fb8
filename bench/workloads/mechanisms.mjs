// Costs of single mechanisms, timed directly in one process (the cost breakdown's micro rows):
// - I/O-wait wrappers: CPU per fs.stat callback + setTimeout(0) pair, wall with I/O wait on vs off
//   (the sampler runs in both, so the difference is the wrappers alone), alternating rounds;
// - per period, with the register defaults: how long collection takes (period end -> export call,
//   elapsed) and the CPU time of pprof encoding + gzip of that period's profiles, and their sizes,
//   and the same for one OTLP request carrying them;
// - start() and stop({ flush }) of the default profiler;
// - the V8 sampler alone (the native binding Vigil drives): start, and the stop-and-restart that
//   ends each period (elapsed and CPU of the main thread);
// - V8's profiling mode: an allocation-heavy loop with the V8 CPU profiler off and on at 1 Hz;
// - the same loop under Vigil's cpu collector over whole 6 s periods: off, sampling all the time,
//   and in its default burst (a sixth of each period).
import { mkdtempSync, rmSync, stat } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { encodeOtlpRequestSync } from '@vigil/exporter';
import { Profiler, cpu, encodeProfileSync, wall } from '@vigil/profiler';
import { holdRealisticHeap, params, report } from './harness.mjs';
import { nativeTimeSamplerOptions } from './native-sampler-options.mjs';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-mech-'));
const rounds = Number(params.rounds ?? 6);
const ioCalls = Number(params.ioCalls ?? 20000);
holdRealisticHeap();

function statOnce() {
  return new Promise((resolve) => stat(dir, () => resolve()));
}
function timerOnce() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
async function ioRound() {
  const c0 = process.cpuUsage();
  for (let i = 0; i < ioCalls; i++) {
    await statOnce();
    if (i % 10 === 0) await timerOnce();
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / ioCalls; // ns per call
}

const silentExporter = { name: 'null', export: async () => ({ ok: true }), shutdown: async () => undefined };
const profilers = {
  on: new Profiler({ service: 'mech', collectors: [wall({ ioWait: true })], exporters: [silentExporter], uploadPeriodMs: 60_000, logger: 'warn' }),
  off: new Profiler({ service: 'mech', collectors: [wall({ ioWait: false })], exporters: [silentExporter], uploadPeriodMs: 60_000, logger: 'warn' }),
};
await ioRound(); // warm-up
const ioNs = { on: [], off: [] };
for (let r = 0; r < rounds; r++) {
  for (const which of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    profilers[which].start({ stopOnExit: false, profileChildren: false });
    ioNs[which].push(await ioRound());
    await profilers[which].stop({ flush: false });
  }
}

// Per period: the defaults, a period of periodMs, an exporter that records timings and encodes.
const periodMs = Number(params.periodMs ?? 1000);
const periods = [];
const timingExporter = {
  name: 'timing',
  async export(batch) {
    const collectMs = Date.now() - batch.period.endMs;
    const c0 = process.cpuUsage();
    let bytes = 0;
    for (const p of batch.profiles) bytes += encodeProfileSync(p.profile).length;
    const c = process.cpuUsage(c0);
    const o0 = process.cpuUsage();
    const otlpBytes = gzipSync(encodeOtlpRequestSync({ profiles: batch.profiles, resource: { 'service.name': 'mech' } })).length;
    const o = process.cpuUsage(o0);
    periods.push({ collectMs, encodeCpuMs: (c.user + c.system) / 1000, bytes, otlpCpuMs: (o.user + o.system) / 1000, otlpBytes, profiles: batch.profiles.length });
    return { ok: true };
  },
  shutdown: async () => undefined,
};
const t0 = performance.now();
const defaults = new Profiler({ service: 'mech', exporters: [timingExporter], uploadPeriodMs: periodMs, logger: 'warn' });
defaults.start({ stopOnExit: false, profileChildren: false });
const startMs = performance.now() - t0;
const until = performance.now() + periodMs * Number(params.periods ?? 6) + 200;
let x = 0;
while (performance.now() < until) {
  for (let i = 0; i < 20000; i++) x += Math.sqrt(i) * JSON.stringify({ i }).length;
  await statOnce();
}
const s0 = performance.now();
await defaults.stop({ flush: true });
const stopMs = performance.now() - s0;

// The sampler alone, with the options Vigil uses.
const requireFromProfiler = createRequire(createRequire(import.meta.url).resolve('@vigil/profiler/register'));
const { TimeProfiler } = requireFromProfiler('@datadog/pprof/out/src/time-profiler-bindings');
const sampler = new TimeProfiler(nativeTimeSamplerOptions(99, { vigil: true }));
const s0Sampler = performance.now();
sampler.start();
const samplerStartMs = performance.now() - s0Sampler;
sampler.context = {};
const restarts = [];
for (let i = 0; i < 6; i++) {
  const busyUntil = performance.now() + 300;
  while (performance.now() < busyUntil) x += Math.sqrt(x + 1);
  const c0 = process.cpuUsage();
  const r0 = performance.now();
  sampler.stop(true);
  const c = process.cpuUsage(c0);
  restarts.push({ elapsedMs: performance.now() - r0, cpuMs: (c.user + c.system) / 1000 });
}
sampler.stop(false);
sampler.dispose();

// Where V8's profiling mode costs: a loop allocating short-lived objects, with the V8 CPU profiler
// off and on at 1 Hz (next to no samples), alternating; CPU ms per round.
function allocationLoop() {
  const c0 = process.cpuUsage();
  for (let i = 0; i < 3e5; i++) {
    const o = { a: i, b: [i, i], c: `x${i}` };
    x += o.b.length;
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}
for (let i = 0; i < 20; i++) allocationLoop(); // warm-up: optimized code on both sides
const allocMs = { on: [], off: [] };
for (let r = 0; r < 16; r++) {
  const on = r % 2 === 1;
  const slowSampler = on ? new TimeProfiler(nativeTimeSamplerOptions(1)) : undefined;
  slowSampler?.start();
  let ms = 0;
  for (let j = 0; j < 5; j++) ms += allocationLoop();
  allocMs[on ? 'on' : 'off'].push(ms);
  if (slowSampler) {
    slowSampler.stop(false);
    slowSampler.dispose();
  }
}

// The same loop for one whole period under Vigil's cpu collector: what the duty cycle leaves of
// V8's cost. The loop yields between chunks, so the burst's timers run as in an app. CPU ms per
// million iterations, rounds rotating off / all the time / bursts.
const CYCLE_PERIOD_MS = 6000;
async function allocateForOnePeriod() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let iterations = 0;
  while (performance.now() - t0 < CYCLE_PERIOD_MS) {
    for (let i = 0; i < 3e4; i++) {
      const o = { a: i, b: [i, i], c: `x${i}` };
      x += o.b.length;
    }
    iterations += 3e4;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000) / (iterations / 1e6);
}
const cycleMs = { off: [], continuous: [], bursts: [] };
for (let r = 0; r < Number(params.cycleRounds ?? 3); r++) {
  for (const mode of ['off', 'continuous', 'bursts']) {
    const profiler = mode === 'off' ? undefined : new Profiler({
      service: 'bench-mechanisms', collectors: [cpu({ dutyCycle: mode === 'bursts' ? undefined : 1 })], exporters: [silentExporter],
      uploadPeriodMs: CYCLE_PERIOD_MS, logger: 'warn', environment: {},
    });
    profiler?.start({ stopOnExit: false, profileChildren: false });
    cycleMs[mode].push(await allocateForOnePeriod());
    await profiler?.stop({ flush: false });
  }
}
rmSync(dir, { recursive: true, force: true });
report({ workload: 'mechanisms', cpuMs: 0, elapsedMs: 0, ops: 1, ioNs, periods, startMs, stopMs, samplerStartMs, restarts, allocMs, cycleMs, sink: x > 0 });
