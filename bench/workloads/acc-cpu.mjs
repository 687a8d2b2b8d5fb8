// Ground truth for CPU attribution: two functions burn CPU in slices of random length (so the
// split cannot phase-lock with a 99 Hz sampler), about 70/30; the workload measures the real
// CPU and wall time of each function itself.
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { params, report, startInProcessPeer, stopInProcessPeer } from './harness.mjs';

const durationMs = Number(params.durationMs ?? 4000);
const truth = { hotSeventy: { cpuMs: 0, wallMs: 0 }, hotThirty: { cpuMs: 0, wallMs: 0 } };

// Each function has its own loop (no shared helper a sampler could credit to either).
function hotSeventy(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 1664525 + 1013904223) % 4294967296;
  return x;
}
function hotThirty(ms) {
  const end = performance.now() + ms;
  let x = 1;
  while (performance.now() < end) x = (x * 22695477 + 1) % 4294967296;
  return x;
}

function timed(name, fn, ms) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn(ms);
  const c = process.cpuUsage(c0);
  truth[name].cpuMs += (c.user + c.system) / 1000;
  truth[name].wallMs += performance.now() - t0;
}

await startInProcessPeer();
const end = performance.now() + durationMs;
while (performance.now() < end) {
  const sliceMs = 0.5 + Math.random() * 4.5;
  if (Math.random() < 0.7) timed('hotSeventy', hotSeventy, sliceMs);
  else timed('hotThirty', hotThirty, sliceMs);
  if (Math.random() < 0.1) await yieldToLoop();
}
report({ workload: 'acc-cpu', cpuMs: 0, elapsedMs: durationMs, ops: 1, truth });
await stopInProcessPeer();
