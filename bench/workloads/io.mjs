// Async I/O heavy, fixed work: concurrent fs reads, writes and stats on small files, and short
// timers, the operations a wall profiler's I/O wait attribution wraps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runFixedWork, scale } from './harness.mjs';

const OPERATIONS = Math.max(1, Math.round(16_000 * scale));
const CONCURRENCY = 32;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-io-'));
const files = Array.from({ length: 64 }, (_, i) => {
  const file = join(dir, `f${i}.json`);
  writeFileSync(file, JSON.stringify({ i, data: 'y'.repeat(2048 + i * 16) }));
  return file;
});

await runFixedWork('io', async () => {
  let next = 0;
  let bytes = 0;
  async function worker(id) {
    while (next < OPERATIONS) {
      const op = next++;
      const file = files[op % files.length];
      if (op % 8 === 0) await writeFile(join(dir, `w${id}.json`), `{"op":${op}}`);
      else if (op % 8 === 1) bytes += (await stat(file)).size;
      else if (op % 8 === 2) await sleep(1);
      else bytes += JSON.parse(await readFile(file, 'utf8')).data.length;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => worker(id)));
  return { ops: OPERATIONS, bytes };
});
rmSync(dir, { recursive: true, force: true });
