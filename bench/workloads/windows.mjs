// The on/off window method for Vigil: one long process alternates windows with the profiler off
// and on (order off,on,on,off,... so that slow drifts cancel) and counts the work done in each.
// Neighbours' load hits both sides of a pair equally, which separate processes cannot promise.
// Vigil is loaded the way users load it: the built `vigil` package, `new Profiler({...})`.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Profiler, cpu, fileExporter, heap, wall } from '@vigil/profiler';
import { holdRealisticHeap, params, report } from './harness.mjs';

const windowMs = Number(params.windowMs ?? 2000);
const pairs = Number(params.pairs ?? 10);
const periodMs = Number(params.periodMs ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-windows-'));

// One unit of mixed work: hashing, JSON, sorting and short-lived allocations.
function unit(seed) {
  let digest = String(seed);
  for (let i = 0; i < 8; i++) digest = createHash('sha256').update(digest).digest('hex');
  const records = Array.from({ length: 60 }, (_, i) => ({ id: seed + i, name: `n${i}`, tags: [i, digest.slice(0, 4)] }));
  const copy = JSON.parse(JSON.stringify(records));
  copy.sort((a, b) => (a.name < b.name ? -1 : 1));
  return copy.length;
}

async function window(durationMs) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let units = 0;
  while (performance.now() - t0 < durationMs) {
    for (let i = 0; i < 20; i++) units += unit(units) > 0 ? 1 : 0;
    await yieldToLoop();
  }
  const c = process.cpuUsage(c0);
  const elapsedMs = performance.now() - t0;
  return { units, elapsedMs, cpuMs: (c.user + c.system) / 1000 };
}

holdRealisticHeap();
const profiler = new Profiler({
  service: 'vigil-bench-windows',
  collectors: String(params.collectors ?? 'cpu,wall,heap').split(',').map((name) => ({ cpu: () => cpu(), wall: () => wall({ ioWait: false }), heap: () => heap() })[name]()),
  exporters: [fileExporter({ prefix: join(dir, 'vigil_') })],
  uploadPeriodMs: periodMs,
  logger: 'warn',
});
await window(windowMs); // warm-up: JIT, heap sizing
const windows = [];
const order = [];
for (let p = 0; p < pairs; p++) order.push(...(p % 2 === 0 ? [false, true] : [true, false]));
let switchMs = 0;
let on = false;
for (const wantOn of order) {
  const s = performance.now();
  if (wantOn && !on) profiler.start({ stopOnExit: false, profileChildren: false });
  if (!wantOn && on) await profiler.stop({ flush: true });
  on = wantOn;
  switchMs += performance.now() - s;
  windows.push({ on, ...(await window(windowMs)) });
}
if (on) await profiler.stop({ flush: true });
const profiles = readdirSync(dir).filter((f) => f.endsWith('.pprof')).length;
rmSync(dir, { recursive: true, force: true });
report({ workload: 'windows', cpuMs: 0, elapsedMs: 0, ops: 1, windows, profiles, switchMs });
