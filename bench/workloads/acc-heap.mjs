// Ground truth for live memory: two functions retain a known number of bytes (3:1) in records of
// the same shape, kept alive until the process ends (so the exit profile still sees them).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { params, report, startInProcessPeer, stopInProcessPeer } from './harness.mjs';

const totalMB = Number(params.heapMB ?? 80);
const holdMs = Number(params.durationMs ?? 3000);
const kept = [];

function record(i) {
  return { id: i, label: `r${i}`, values: [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7] };
}
function retainMany(count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = record(i);
  return out;
}
// Separate functions so each site has its own stack; the record allocation is inlined into them by
// the time they run hot, but the stack's leaf function stays the retaining caller.
function retainSeventyFive(count) {
  return retainMany(count);
}
function retainTwentyFive(count) {
  return retainMany(count);
}

await startInProcessPeer();
const probe = process.memoryUsage().heapUsed;
const perRecordBytes = (() => {
  const before = process.memoryUsage().heapUsed;
  const sample = retainMany(100_000);
  const bytes = (process.memoryUsage().heapUsed - before) / sample.length;
  sample.length = 0;
  return bytes;
})();
const records = Math.round((totalMB * 1024 * 1024) / perRecordBytes);
// Interleave the two sites in chunks so neither is older in the heap than the other.
const t0 = performance.now();
let seventyFive = 0;
let twentyFive = 0;
for (let chunk = 0; chunk < 100; chunk++) {
  const a = Math.round((records * 0.75) / 100);
  const b = Math.round((records * 0.25) / 100);
  kept.push(retainSeventyFive(a), retainTwentyFive(b));
  seventyFive += a;
  twentyFive += b;
}
globalThis.__kept = kept;
await sleep(holdMs);
report({
  workload: 'acc-heap', cpuMs: 0, elapsedMs: performance.now() - t0, ops: 1,
  truth: { seventyFiveBytes: seventyFive * perRecordBytes, twentyFiveBytes: twentyFive * perRecordBytes, perRecordBytes, heapBeforeMB: probe / 1048576 },
});
await stopInProcessPeer();
