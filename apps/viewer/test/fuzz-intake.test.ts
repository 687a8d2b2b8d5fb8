/**
 * Seeded fuzz of the three intakes (Datadog, Pyroscope, OTLP) through a real server: mutated real
 * uploads, bombs of each codec, truncations, huge counts and deep stacks. Whatever comes in, the
 * viewer answers 200 or a 4xx, never crashes, stores every accepted upload whole and nothing of a
 * refused one, and its memory stays within a stated bound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { ProfileBuilder, type Frame } from '@vigil/core';
import { encodeOtlpRequestSync } from '@vigil/exporter';
import { hostileZstdWindowFrame, stringTableBomb, varint, wellFramedJunk } from './helpers/hostile';
import { gz, raw, spaceProfile, wallProfile } from './helpers/profiles';
import { datadogUpload, getJson, multipart, post, pyroscopeUpload } from './helpers/uploads';
import { diskState, startTestViewer, type TestViewer } from './helpers/viewer';

const SEED = 0x16_16_16;
const UPLOADS = Number(process.env.VIGIL_FUZZ_UPLOADS ?? 10_000);
const CONCURRENCY = 12;
/**
 * Growth of this process's RSS (server, both decode workers, the test's own buffers) the fuzz may
 * cause. The budgets allow each worker 256 MiB of heap plus a 64 MiB output and the body it
 * decodes, and the server 4 x 32 MiB of bodies: about 900 MiB at worst. Measured: 384 MiB on
 * Node 20, 514 MiB on Node 24 (the workers collect dead 64 MiB outputs lazily).
 */
const RSS_GROWTH_BOUND_BYTES = 768 * 1024 * 1024;

/** mulberry32: small, fast, and the same sequence everywhere for one seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = Date.UTC(2026, 0, 1);
let viewer: TestViewer;

beforeAll(async () => {
  viewer = await startTestViewer();
});

afterAll(async () => {
  await viewer?.close();
});

function deepStackProfile(depth: number): Buffer {
  const b = new ProfileBuilder({ sampleTypes: [['wall', 'nanoseconds']], timeNanos: BigInt(T0) * 1_000_000n, durationNanos: 1_000_000_000n });
  const stack: Frame[] = Array.from({ length: depth }, (_, i) => ({ name: `recurse${i % 7}`, file: '/app/deep.js', line: i }));
  b.addSample(stack, [1000]);
  return Buffer.from(b.build().encode());
}

/** A raw profile whose one sample claims `count` location ids, all of them missing. */
function hugeCountProfile(count: number): Buffer {
  const base = Buffer.from(wallProfile(T0).encode());
  const ids = Buffer.from(Array.from({ length: count }, () => 0x7f));
  const sample = Buffer.concat([Buffer.from([0x0a, ...varint(ids.length)]), ids]);
  return Buffer.concat([base, Buffer.from([0x12, ...varint(sample.length)]), sample]);
}

function mutate(bytes: Buffer, random: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const edits = 1 + Math.floor(random() * 8);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * copy.length);
    const kind = random();
    if (kind < 0.6) copy[at] = Math.floor(random() * 256);
    else if (kind < 0.8) copy[at] = 0xff;
    else copy[at] = copy[at]! ^ (1 << Math.floor(random() * 8));
  }
  return copy;
}

test(`${UPLOADS} hostile or malformed uploads: 200 or 4xx only, no crash, no partial store, bounded memory`, async () => {
  const random = prng(SEED);
  const wallRaw = raw(wallProfile(T0));
  const spaceRaw = raw(spaceProfile(T0, 1_000_000));
  const otlpBody = Buffer.from(encodeOtlpRequestSync({ profiles: [{ type: 'wall', profile: wallProfile(T0) }], resource: { 'service.name': 'fuzz-otlp' } }));
  // Bombs, built once: every codec, and content that is small compressed and huge decoded.
  const bombs: Record<string, Buffer> = {
    gzipZeros: zlib.gzipSync(Buffer.alloc(80 * 1024 * 1024)),
    gzipJunk: zlib.gzipSync(wellFramedJunk(60 * 1024 * 1024), { level: 9 }),
    gzipHugeString: zlib.gzipSync(stringTableBomb(60 * 1024 * 1024), { level: 9 }),
    zstdZeros: readFileSync(join(__dirname, 'fixtures', 'zeros-100mib.zst')),
    zstdWindow: hostileZstdWindowFrame(1),
    zstdWindowBlocks: hostileZstdWindowFrame(400),
    deepStack: zlib.gzipSync(deepStackProfile(20_000)),
    hugeCount: zlib.gzipSync(hugeCountProfile(1_000_000)),
  };
  const bombNames = Object.keys(bombs);

  type Kind = 'datadog' | 'pyroscope' | 'otlp';
  const send = (kind: Kind, profile: Buffer, service: string) => {
    if (kind === 'datadog') {
      const u = datadogUpload({ wall: profile }, { startMs: T0, endMs: T0 + 1000, service });
      return post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
    }
    if (kind === 'pyroscope') {
      if (random() < 0.5) return post(`${viewer.url}/ingest?name=${service}&format=pprof`, profile, { 'Content-Type': 'application/octet-stream' });
      const u = pyroscopeUpload(profile);
      return post(`${viewer.url}/ingest?name=${service}`, u.body, { 'Content-Type': u.contentType });
    }
    return post(`${viewer.url}/v1development/profiles`, profile, { 'Content-Type': 'application/x-protobuf' });
  };

  /** One hostile upload, chosen by the seeded sequence. */
  const next = (i: number) => {
    const kind: Kind = (['datadog', 'pyroscope', 'otlp'] as const)[i % 3]!;
    const base = kind === 'otlp' ? otlpBody : random() < 0.5 ? wallRaw : spaceRaw;
    const roll = random();
    if (roll < 0.4) return { label: `${kind} mutated raw`, go: () => send(kind, mutate(base, random), `fuzz-${kind}`) };
    if (roll < 0.55) return { label: `${kind} mutated gzip`, go: () => send(kind, mutate(zlib.gzipSync(base), random), `fuzz-${kind}`) };
    if (roll < 0.7) {
      const cut = Math.floor(random() * base.length);
      return { label: `${kind} truncated at ${cut}`, go: () => send(kind, random() < 0.5 ? base.subarray(0, cut) : zlib.gzipSync(base).subarray(0, Math.max(1, cut >> 1)), `fuzz-${kind}`) };
    }
    // Bombs cost the decoder up to its budget each: 4 % of uploads (about 400 of 10,000) keeps the run short.
    if (roll < 0.74) {
      const name = bombNames[Math.floor(random() * bombNames.length)]!;
      return { label: `${kind} bomb ${name}`, go: () => send(kind, bombs[name]!, `fuzz-${kind}`) };
    }
    if (roll < 0.93 && kind !== 'otlp') {
      // The multipart framing itself mutated.
      const u = kind === 'datadog' ? datadogUpload({ wall: gz(wallProfile(T0)) }, { startMs: T0, endMs: T0 + 1000, service: 'fuzz-mp' }) : { ...pyroscopeUpload(gz(wallProfile(T0))) };
      const body = mutate(u.body, random);
      const path = kind === 'datadog' ? '/profiling/v1/input' : '/ingest?name=fuzz-mp';
      return { label: `${kind} mutated multipart`, go: () => post(`${viewer.url}${path}`, body, { 'Content-Type': u.contentType }) };
    }
    const parts = Array.from({ length: 65 }, (_, p) => ({ name: `p${p}.pprof`, filename: `p${p}.pprof`, data: 'x' }));
    const m = multipart(parts);
    return { label: 'too many parts', go: () => post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }) };
  };

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 25);
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  const slowest = new Map<string, number>();
  const timedOut: string[] = [];
  let accepted = 0;
  let issued = 0;
  const runner = async () => {
    while (issued < UPLOADS) {
      const i = issued++;
      const { label, go } = next(i);
      const started = performance.now();
      const res = await go();
      const ms = performance.now() - started;
      const kindOf = label.replace(/ at \d+$/, '');
      slowest.set(kindOf, Math.max(slowest.get(kindOf) ?? 0, Math.round(ms)));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (/longer than/.test(res.body)) timedOut.push(label);
      if (res.status === 200) accepted++;
      else if (res.status < 400 || res.status >= 500) unexpected.push(`${label}: ${res.status} ${res.body.slice(0, 200)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, runner));
  } finally {
    clearInterval(sampler);
  }
  const growth = rssPeak - rssBefore;
  // The figures the viewer README quotes.
  console.log(`fuzz: ${UPLOADS} uploads, seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}; RSS growth peak ${(growth / 1048576).toFixed(0)} MiB; slowest answers ${JSON.stringify([...slowest].sort((a, b) => b[1] - a[1]).slice(0, 6))}; timed out: ${JSON.stringify(timedOut)}; viewer warnings ${JSON.stringify([...new Set(viewer.warnings.map((w) => w.replace(/\d+/g, 'N')))])}`);

  expect(unexpected.slice(0, 10)).toEqual([]);
  expect(growth).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
  // Still serving, and the store holds exactly the accepted uploads, each whole.
  const listed = (await getJson(`${viewer.url}/api/profiles?limit=10000`)).json as { total: number };
  const disk = diskState(viewer.dataDir);
  expect(disk.tmp).toEqual([]);
  expect(disk.uploads.length).toBe(accepted);
  for (const id of disk.uploads) {
    const folder = join(viewer.dataDir, 'uploads', id);
    const meta = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')) as { profiles: { file: string }[] };
    expect(readdirSync(folder).sort()).toEqual([...meta.profiles.map((p) => p.file), 'meta.json'].sort());
  }
  expect(listed.total).toBeGreaterThanOrEqual(accepted);
}, 300_000);
