/**
 * Encode + compress cost per profile type for one-minute-sized profiles.
 * Run: npx tsx bench/encode.ts   (from packages/exporter)
 *
 * For each type: raw protobuf size, gzip size, time of the synchronous path (exit flush), total time
 * of the asynchronous path, and the longest stretch the async path held the main thread (what the
 * app feels), plus the cost of merging wall + cpu into Datadog's wall.pprof.
 */
import { performance } from 'node:perf_hooks';
import { ProfileBuilder, type Frame, type Profile } from '@vigil/core';
import { agentExporter, encodePprof, encodePprofSync, unionProfiles, unionProfilesAsync } from '../src/index';
import { runtimeInfo } from '@vigil/core';

const SECONDS = 60;
const random = mulberry32(42);

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A code base of 3000 functions in 300 files; stacks 15-45 deep drawn from it with locality.
const functions: Frame[] = Array.from({ length: 3000 }, (_, i) => ({ name: `module${i % 300}.function${i}`, file: `/srv/app/node_modules/pkg${i % 300}/lib/file${i % 300}.js`, line: 1 + (i * 7) % 500 }));
const roots: Frame[][] = Array.from({ length: 200 }, () => {
  const depth = 10 + Math.floor(random() * 20);
  return Array.from({ length: depth }, () => functions[Math.floor(random() * functions.length)]!);
});
function stack(): Frame[] {
  const base = roots[Math.floor(random() * roots.length)]!;
  const leafDepth = 5 + Math.floor(random() * 15);
  return [...Array.from({ length: leafDepth }, () => functions[Math.floor(random() * functions.length)]!), ...base];
}

function build(sampleTypes: Array<[string, string]>, samples: number, values: () => number[], labels?: () => Record<string, string | number>): Profile {
  const b = new ProfileBuilder({ sampleTypes, periodType: sampleTypes[sampleTypes.length - 1], period: 10_000_000, timeNanos: BigInt(Date.now()) * 1_000_000n, durationNanos: BigInt(SECONDS) * 1_000_000_000n });
  for (let i = 0; i < samples; i++) b.addSample(stack(), values(), labels?.());
  return b.build();
}

// 100 Hz for 60 s; span labels on a third of the samples, as under tracing.
const span = () => (random() < 0.33 ? { 'span id': String(Math.floor(random() * 2000)), 'local root span id': String(Math.floor(random() * 500)), 'thread id': '0' } : { 'thread id': '0' });
const profiles: Array<[string, Profile]> = [
  ['wall', build([['sample', 'count'], ['wall', 'nanoseconds']], 100 * SECONDS, () => [1, 10_000_000], span)],
  ['cpu', build([['sample', 'count'], ['cpu', 'nanoseconds']], 60 * SECONDS, () => [1, Math.floor(random() * 10_000_000)], span)],
  ['space', build([['inuse_objects', 'count'], ['inuse_space', 'bytes']], 3000, () => [1 + Math.floor(random() * 50), Math.floor(random() * 65536)])],
  ['events', build([['timeline', 'nanoseconds']], 1000, () => [Math.floor(random() * 5_000_000)], () => ({ event: 'gc', 'gc type': 'scavenge', end_timestamp_ns: Date.now() * 1e6 }))],
  ['lock', build([['lock-acquire', 'count'], ['lock-acquire-wait', 'nanoseconds'], ['lock-release', 'count'], ['lock-release-hold', 'nanoseconds']], 500, () => [1, Math.floor(random() * 1e7), 1, Math.floor(random() * 1e7)], () => ({ 'lock name': `db.js:${Math.floor(random() * 10)}:pool` }))],
];

/** Longest time the main thread was held while `work` ran, measured by a setImmediate ticker. */
async function longestBlockMs(work: () => Promise<unknown>): Promise<{ totalMs: number; longestMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  await work();
  const totalMs = performance.now() - started;
  running = false;
  await new Promise((r) => setImmediate(r));
  return { totalMs, longestMs: longest };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const RUNS = 7;
  console.log(`node ${process.version}, ${RUNS} runs each, median shown; one-minute-sized profiles\n`);
  console.log('type    samples  raw KiB  gzip KiB  sync ms  async total ms  async longest main-thread block ms');
  for (const [type, profile] of profiles) {
    const raw = profile.encode().length;
    const gz = encodePprofSync(profile).length;
    const sync: number[] = [];
    const total: number[] = [];
    const block: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      encodePprofSync(profile);
      sync.push(performance.now() - t);
      const r = await longestBlockMs(() => encodePprof(profile));
      total.push(r.totalMs);
      block.push(r.longestMs);
    }
    console.log(`${type.padEnd(7)} ${String(profile.sample.length).padStart(7)}  ${(raw / 1024).toFixed(0).padStart(7)}  ${(gz / 1024).toFixed(0).padStart(8)}  ${median(sync).toFixed(1).padStart(7)}  ${median(total).toFixed(1).padStart(14)}  ${median(block).toFixed(1).padStart(10)}`);
  }
  const merge: number[] = [];
  let merged: Profile | undefined;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    merged = unionProfiles([profiles[0]![1], profiles[1]![1]]);
    merge.push(performance.now() - t);
  }
  const mergeBlock: number[] = [];
  for (let i = 0; i < RUNS; i++) mergeBlock.push((await longestBlockMs(() => unionProfilesAsync([profiles[0]![1], profiles[1]![1]]))).longestMs);
  console.log(`\nwall+cpu -> wall.pprof union: sync ${median(merge).toFixed(1)} ms; async longest main-thread block ${median(mergeBlock).toFixed(1)} ms; ${merged!.sample.length} samples, ${(encodePprofSync(merged!).length / 1024).toFixed(0)} KiB gzip`);

  // The whole agent upload body for one period (all five types), as the exporter builds it.
  const batch = { period: { seq: 1, startMs: Date.now() - 60_000, endMs: Date.now(), final: false }, tags: { service: 'bench' }, profiles: profiles.map(([type, profile]) => ({ type, profile })), endpointCounts: {}, runtime: runtimeInfo() };
  const exporter = agentExporter({ url: 'http://127.0.0.1:9', env: {} }) as unknown as { requestsFor(b: typeof batch): Promise<Array<{ body: Buffer }>>; requestsForSync(b: typeof batch): Array<{ body: Buffer }> };
  const whole: number[] = [];
  const wholeBlock: number[] = [];
  const wholeSync: number[] = [];
  let bodyBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await longestBlockMs(async () => {
      bodyBytes = (await exporter.requestsFor(batch))[0]!.body.length;
    });
    whole.push(r.totalMs);
    wholeBlock.push(r.longestMs);
    const t = performance.now();
    exporter.requestsForSync(batch);
    wholeSync.push(performance.now() - t);
  }
  console.log(`agent upload of all five types: async total ${median(whole).toFixed(1)} ms, longest main-thread block ${median(wholeBlock).toFixed(1)} ms; sync (exit path) ${median(wholeSync).toFixed(1)} ms; body ${(bodyBytes / 1024).toFixed(0)} KiB`);
}

void main();
