// Memory overhead of the heap collector at its defaults: runs the same workload with and without it,
// interleaved (off/on, then on/off, ...), and prints per-round paired differences and their median.
// Usage (from packages/heap): node --import tsx bench/memory-overhead.ts [rounds] [seconds]
// Env: PERIOD_MS (profiling period, default 5000: more collections than the 60 s default), RETAIN_MB.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface Run { rssMedian: number; rssMax: number; heapUsedMedian: number; outsideHeapMedian: number }

const rounds = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 10);
const app = join(__dirname, 'memory-app.ts');
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function runOnce(mode: 'on' | 'off'): Run {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', app, mode, String(seconds)], { cwd: join(__dirname, '..'), encoding: 'utf8', env: process.env });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

const pairs: Array<{ on: Run; off: Run }> = [];
for (let round = 0; round < rounds; round++) {
  const runs: Partial<Record<'on' | 'off', Run>> = {};
  for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) runs[mode] = runOnce(mode);
  const pair = runs as { on: Run; off: Run };
  pairs.push(pair);
  console.error(`round ${round + 1}: rss off ${mib(pair.off.rssMedian)} on ${mib(pair.on.rssMedian)} MiB; outside heap off ${mib(pair.off.outsideHeapMedian)} on ${mib(pair.on.outsideHeapMedian)} MiB; heapUsed off ${mib(pair.off.heapUsedMedian)} on ${mib(pair.on.heapUsedMedian)} MiB`);
}

const offRss = median(pairs.map((p) => p.off.rssMedian));
const rssDiffs = pairs.map((p) => p.on.rssMedian - p.off.rssMedian).sort((a, b) => a - b);
const outsideDiffs = pairs.map((p) => p.on.outsideHeapMedian - p.off.outsideHeapMedian).sort((a, b) => a - b);
const heapDiffs = pairs.map((p) => p.on.heapUsedMedian - p.off.heapUsedMedian).sort((a, b) => a - b);
const offSpread = Math.max(...pairs.map((p) => p.off.rssMedian)) - Math.min(...pairs.map((p) => p.off.rssMedian));
console.log(`node ${process.version}, ${rounds} rounds x ${seconds} s, period ${process.env.PERIOD_MS ?? 5000} ms, retained ~${process.env.RETAIN_MB ?? 150} MB, app RSS ~${mib(offRss)} MiB`);
console.log(`RSS after GC, on - off per round: median ${mib(median(rssDiffs))} MiB (${((median(rssDiffs) / offRss) * 100).toFixed(2)} %), range ${mib(rssDiffs[0]!)} .. ${mib(rssDiffs[rssDiffs.length - 1]!)} MiB`);
console.log(`  (run-to-run spread of RSS without the collector: ${mib(offSpread)} MiB)`);
console.log(`RSS outside the V8 heap (native), on - off per round: median ${mib(median(outsideDiffs))} MiB, range ${mib(outsideDiffs[0]!)} .. ${mib(outsideDiffs[outsideDiffs.length - 1]!)} MiB`);
console.log(`JS heap used after GC, on - off per round: median ${mib(median(heapDiffs))} MiB, range ${mib(heapDiffs[0]!)} .. ${mib(heapDiffs[heapDiffs.length - 1]!)} MiB`);
