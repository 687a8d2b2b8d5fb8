// CPU-bound, fixed work: hashing, JSON round trips, regular expressions and sorting, in chunks
// that yield to the event loop (so the profilers' own timers run as they would in an app).
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { runFixedWork, scale } from './harness.mjs';

const CHUNKS = Math.max(1, Math.round(1400 * scale));
const text = Array.from({ length: 200 }, (_, i) => `user${i}@example${i % 7}.com visited /items/${i * 31} at 2026-11-25T10:${String(i % 60).padStart(2, '0')}:00Z`).join('\n');
const emailPattern = /([a-z0-9]+)@([a-z0-9]+)\.com visited \/items\/(\d+)/g;

function hashing(seed) {
  let digest = String(seed);
  for (let i = 0; i < 40; i++) digest = createHash('sha256').update(digest).update(text.slice(0, 512)).digest('hex');
  return digest.length;
}

function jsonRoundTrip(seed) {
  const records = Array.from({ length: 120 }, (_, i) => ({ id: seed * 1000 + i, name: `item-${i}`, price: (i * 17) % 101, tags: ['a', 'b', String(i % 5)] }));
  return JSON.parse(JSON.stringify(records)).length;
}

function regex() {
  let matches = 0;
  for (const m of text.matchAll(emailPattern)) matches += m[3].length;
  return matches;
}

function sorting(seed) {
  let x = seed * 2654435761 >>> 0;
  const values = Array.from({ length: 3000 }, () => (x = (x * 1103515245 + 12345) >>> 0));
  values.sort((a, b) => a - b);
  return values[0];
}

await runFixedWork('cpu', async () => {
  let checksum = 0;
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    checksum += hashing(chunk) + jsonRoundTrip(chunk) + regex() + sorting(chunk);
    await yieldToLoop();
  }
  return { ops: CHUNKS, checksum };
});
