// One benchmark configuration in a fresh process (so "plain" async-mutex is really unpatched).
// Usage: node bench/worker.mjs <subject> <mode> [pct]
//   subject: async-mutex | vigil ; mode: plain | off | on ; pct: capture percentage when on.
// Prints one JSON line: median nanoseconds per operation for each operation kind.
import { createRequire } from 'node:module';

const [subject, mode, pctArg] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const quick = process.env.BENCH_QUICK === '1';

let MutexClass;
let profiler;
if (mode !== 'plain') {
  const vigilLock = await import('../dist/index.mjs');
  const { Profiler } = await import('@vigil/core');
  if (subject === 'async-mutex') vigilLock.installLockInstrumentation();
  if (mode === 'on') {
    const pct = pctArg === 'default' ? undefined : Number(pctArg);
    profiler = new Profiler({
      service: 'bench',
      collectors: [vigilLock.lock({ ...(pct === undefined ? {} : { capturePct: pct }), instrument: subject === 'async-mutex', ...(process.env.BENCH_STACK_DEPTH ? { maxStackDepth: Number(process.env.BENCH_STACK_DEPTH) } : {}) })],
      exporters: [{ name: 'discard', async export() { return { ok: true }; }, async shutdown() {} }],
      uploadPeriodMs: 3_600_000,
      logger: 'error',
      environment: {},
    });
    profiler.start({ stopOnExit: false, profileChildren: false });
  }
  if (subject === 'vigil') MutexClass = vigilLock.Mutex;
}
if (subject === 'async-mutex') MutexClass = require('async-mutex').Mutex;

const record = { id: 1234, name: 'user-1234', email: 'user@example.com', roles: ['a', 'b', 'c'], score: 12.5, active: true, tags: { x: 1, y: 2 } };
/** A small realistic critical section: refresh a cache entry. */
function cacheWork(cache, i) {
  const entry = JSON.parse(JSON.stringify({ ...record, id: i }));
  cache.set(i & 1023, entry);
}

async function acquireRelease(m, n) {
  for (let i = 0; i < n; i++) {
    const release = await m.acquire();
    release();
  }
}

async function runExclusive(m, n) {
  const noop = () => undefined;
  for (let i = 0; i < n; i++) await m.runExclusive(noop);
}

/** Lock-heavy workload: 8 tasks share one mutex around a cache refresh with an await inside. */
async function workload(m, n) {
  const cache = new Map();
  const perTask = Math.floor(n / 8);
  let k = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = 0; i < perTask; i++) {
      await m.runExclusive(async () => {
        cacheWork(cache, k++);
        await null;
      });
    }
  }));
}

async function measure(fn, n, repeats) {
  const m = new MutexClass();
  await fn(m, Math.min(n, 20_000)); // warm up
  const results = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    await fn(m, n);
    results.push(Number(process.hrtime.bigint() - t0) / n);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)];
}

if (mode === 'sampled-cost') {
  // Cost of one captured event, measured within one process by alternating the collector between
  // off and 100 % capture (whole-process comparisons drown in machine noise at this scale).
  const vigilLock = await import('../dist/index.mjs');
  const { Profiler } = await import('@vigil/core');
  const deltas = { acquireRelease: [], runExclusive: [], workload: [] };
  const fns = { acquireRelease, runExclusive, workload };
  const m = new MutexClass();
  for (const [kind, fn] of Object.entries(fns)) await fn(m, 8_000);
  for (let round = 0; round < (quick ? 3 : 9); round++) {
    for (const [kind, fn] of Object.entries(fns)) {
      const t0 = process.hrtime.bigint();
      await fn(m, 8_000);
      const offNs = Number(process.hrtime.bigint() - t0) / 8_000;
      const p = new Profiler({ service: 'bench', collectors: [vigilLock.lock({ capturePct: 100, instrument: subject === 'async-mutex' })],
        exporters: [{ name: 'discard', async export() { return { ok: true }; }, async shutdown() {} }], uploadPeriodMs: 3_600_000, logger: 'error', environment: {} });
      p.start({ stopOnExit: false, profileChildren: false });
      const t1 = process.hrtime.bigint();
      await fn(m, 2_000);
      const onNs = Number(process.hrtime.bigint() - t1) / 2_000;
      await p.stop({ flush: false });
      deltas[kind].push(onNs - offNs);
    }
  }
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(deltas).map(([k, v]) => [k, med(v)])))}\n`);
  process.exit(0);
}

const n = quick ? 20_000 : (mode === 'on' && pctArg === '100' ? 40_000 : 300_000);
const out = {
  acquireRelease: await measure(acquireRelease, n, 5),
  runExclusive: await measure(runExclusive, n, 5),
  workload: await measure(workload, Math.floor(n / 4), 5),
};
if (profiler) await profiler.stop({ flush: false });
process.stdout.write(`${JSON.stringify(out)}\n`);
