// Workload for the memory-overhead benchmark: a service-like loop that keeps ~RETAIN_MB of live
// objects (a cache of request records) and churns request garbage, with or without the heap collector.
// Usage: node --expose-gc --import tsx bench/memory-app.ts <on|off> <seconds> ; prints one JSON line.
import { Profiler, type Exporter } from '@vigil/core';
import { heap } from '@vigil/heap';
import { encodeProfile } from '@vigil/core';
import { heap as pprofHeap } from '@datadog/pprof';

const [mode = 'on', secondsArg = '20'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const retainMb = Number(process.env.RETAIN_MB ?? 150);

// Encodes like a real exporter would, then drops the bytes: we measure the collector, not a backend.
const encodingExporter: Exporter = {
  name: 'encode-only',
  async export(batch) {
    for (const { profile } of batch.profiles) await encodeProfile(profile);
    return { ok: true };
  },
  shutdown: async () => undefined,
};

let profiler: Profiler | undefined;
if (mode === 'sampler-only') pprofHeap.start(512 * 1024, 64);
if (mode === 'on' || mode === 'no-gc-events') {
  profiler = new Profiler({ service: 'bench', collectors: [heap(mode === 'no-gc-events' ? { gcEvents: false } : {})], exporters: [encodingExporter], uploadPeriodMs: Number(process.env.PERIOD_MS ?? 5000), logger: 'error' });
  profiler.start({ profileChildren: false, stopOnExit: false });
}

interface RequestRecord { id: number; path: string; headers: Record<string, string>; body: number[] }

function makeRecord(id: number): RequestRecord {
  const body: number[] = new Array(64);
  for (let i = 0; i < 64; i++) body[i] = id + i;
  return { id, path: `/items/${id % 1000}`, headers: { 'x-id': String(id), accept: 'application/json' }, body };
}

const recordBytes = 1200; // measured roughly: object + array + strings
const capacity = Math.round((retainMb * 1024 * 1024) / recordBytes);
const cache: RequestRecord[] = new Array(capacity);
let next = 0;
for (; next < capacity; next++) cache[next] = makeRecord(next);

function handleBatch(): number {
  let sum = 0;
  for (let i = 0; i < 2000; i++) {
    // Request-scoped garbage only: the retained set stays put, so old space (and RSS) is steady
    // and the few MB being measured are not lost in cache-eviction garbage.
    const record = makeRecord(next++);
    const json = JSON.stringify(record) + (cache[next % capacity]?.path ?? '');
    sum += json.length;
  }
  return sum;
}

// RSS right after a full GC: without it, how much garbage happens to be waiting swamps the
// few MB being measured. Both modes pay the same forced GCs.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const rss: number[] = [];
const heapUsed: number[] = [];
const outsideHeap: number[] = [];
const start = Date.now();
const sampler = setInterval(() => {
  gc();
  const usage = process.memoryUsage();
  rss.push(usage.rss);
  heapUsed.push(usage.heapUsed);
  // RSS minus the V8 heap's committed size: native memory (the sampler, the addon, malloc), free of
  // the heap-sizing noise that moves RSS by tens of MB between identical runs on Node 24.
  outsideHeap.push(usage.rss - usage.heapTotal);
}, 500);
async function run(): Promise<void> {
  while (Date.now() - start < seconds * 1000) {
    handleBatch();
    await new Promise((r) => setImmediate(r));
  }
  clearInterval(sampler);
  await profiler?.stop({ flush: false });
  // The first third is warm-up (JIT, the cache being built, the first periods).
  const steady = (xs: number[]) => xs.slice(Math.floor(xs.length / 3)).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  const steadyRss = steady(rss);
  console.log(JSON.stringify({ mode, rssMedian: median(steadyRss), rssMax: steadyRss[steadyRss.length - 1], heapUsedMedian: median(steady(heapUsed)), outsideHeapMedian: median(steady(outsideHeap)) }));
}
void run();
