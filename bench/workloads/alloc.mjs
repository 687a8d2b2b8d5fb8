// Allocation-heavy, fixed work: short-lived objects, strings and arrays, plus a rolling window
// of retained entries (a cache that keeps ~20 MB live and evicts the oldest), so the GC is busy.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { runFixedWork, scale } from './harness.mjs';

const CHUNKS = Math.max(1, Math.round(60 * scale));
const CACHE_ENTRIES = 20_000;

function makeEntry(i) {
  return { key: `k${i}`, payload: new Array(32).fill(i), text: `entry ${i} ${'x'.repeat(i % 200)}`, at: Date.now() };
}

// The cache starts full, so every chunk does the same work (insert, evict, garbage).
const cache = new Map();
let next = 0;
for (; next < CACHE_ENTRIES; next++) cache.set(`k${next}`, makeEntry(next));

await runFixedWork('alloc', async () => {
  let checksum = 0;
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    for (let i = 0; i < 2000; i++) {
      const entry = makeEntry(next++);
      cache.set(entry.key, entry);
      if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value);
      const garbage = { a: [entry.key, entry.text.length], b: entry.payload.slice(0, 8) };
      checksum += garbage.a[1] + garbage.b.length;
    }
    await yieldToLoop();
  }
  return { ops: CHUNKS, checksum };
});
