// Ground truth for wait: a loop that computes for a random time, then awaits a timer or a file
// read for a random time. The workload measures the time spent in each itself.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { params, report, startInProcessPeer, stopInProcessPeer } from './harness.mjs';

const durationMs = Number(params.durationMs ?? 4000);
const truth = { computeMs: 0, waitMs: 0, totalMs: 0 };

function computeStep(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 1664525 + 1013904223) % 4294967296;
  return x;
}
async function waitStep(ms) {
  await sleep(ms);
  await readFile(import.meta.filename ?? new URL(import.meta.url).pathname);
}

await startInProcessPeer();
const t0 = performance.now();
while (performance.now() - t0 < durationMs) {
  const a = performance.now();
  computeStep(1 + Math.random() * 5);
  const b = performance.now();
  await waitStep(1 + Math.random() * 6);
  const c = performance.now();
  truth.computeMs += b - a;
  truth.waitMs += c - b;
}
truth.totalMs = performance.now() - t0;
report({ workload: 'acc-wait', cpuMs: 0, elapsedMs: truth.totalMs, ops: 1, truth });
await stopInProcessPeer();
