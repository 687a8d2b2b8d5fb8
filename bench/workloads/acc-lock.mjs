// Ground truth for lock contention: tasks contend for one async-mutex Mutex, each holding it for a
// random time across a timer; the workload measures every wait and hold itself.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { params, report, startInProcessPeer, stopInProcessPeer } from './harness.mjs';

const { Mutex } = createRequire(import.meta.url)('async-mutex');
const durationMs = Number(params.durationMs ?? 4000);
const mutex = new Mutex();
const truth = { acquisitions: 0, waitMs: 0, holdMs: 0 };

async function contend(end) {
  while (performance.now() < end) {
    const asked = performance.now();
    const release = await mutex.acquire();
    const got = performance.now();
    await sleep(Math.random() * 3);
    const done = performance.now();
    release();
    truth.acquisitions++;
    truth.waitMs += got - asked;
    truth.holdMs += done - got;
  }
}

await startInProcessPeer();
const end = performance.now() + durationMs;
await Promise.all(Array.from({ length: 4 }, () => contend(end)));
report({ workload: 'acc-lock', cpuMs: 0, elapsedMs: durationMs, ops: 1, truth });
await stopInProcessPeer();
