// Lock-heavy, fixed work: many async tasks contend for a few async-mutex mutexes (loaded through
// require, as a CommonJS app does, so Vigil's lock collector instruments it automatically) and a
// semaphore, holding each across an await and a little CPU work.
import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { runFixedWork, scale } from './harness.mjs';

const { Mutex, Semaphore } = createRequire(import.meta.url)('async-mutex');
const ACQUISITIONS = Math.max(1, Math.round(400_000 * scale));
const TASKS = 48;
const mutexes = [new Mutex(), new Mutex(), new Mutex()];
const pool = new Semaphore(4);

function smallWork(i) {
  let x = i;
  for (let k = 0; k < 200; k++) x = (x * 31 + k) % 1_000_003;
  return x;
}

await runFixedWork('lock', async () => {
  let next = 0;
  let checksum = 0;
  async function task() {
    while (next < ACQUISITIONS) {
      const i = next++;
      const mutex = mutexes[i % mutexes.length];
      if (i % 4 === 0) {
        await pool.runExclusive(async () => {
          checksum += smallWork(i);
          await yieldToLoop();
        });
      } else {
        const release = await mutex.acquire();
        try {
          checksum += smallWork(i);
          if (i % 2 === 0) await yieldToLoop();
        } finally {
          release();
        }
      }
    }
  }
  await Promise.all(Array.from({ length: TASKS }, task));
  return { ops: ACQUISITIONS, checksum };
});
