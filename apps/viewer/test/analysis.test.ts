import { ProfileBuilder, type Frame, type Profile } from '@vigil/core';
import type { FlameNode } from '../src';
import { gz, spaceProfile } from './helpers/profiles';
import { datadogUpload, getJson, post } from './helpers/uploads';
import { startTestViewer, type TestViewer } from './helpers/viewer';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;
const MiB = 1024 * 1024;
let viewer: TestViewer;

async function upload(profiles: Record<string, Buffer>, startMs: number, service: string, extraTags: Record<string, string> = {}) {
  const u = datadogUpload(profiles, { startMs, endMs: startMs + MIN, service, extraTags });
  const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
  expect(res.status).toBe(200);
}

const api = async (path: string) => {
  const { status, json } = await getJson(`${viewer.url}/api/${path}`);
  expect({ path, status, error: json.error }).toEqual({ path, status: 200, error: undefined });
  return json;
};

/** A wall profile from stacks given root first as `name@file`, with their wall nanoseconds. */
function wall(startMs: number, stacks: [string[], number][]): Profile {
  const b = new ProfileBuilder({ sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']], timeNanos: BigInt(startMs) * 1_000_000n, durationNanos: 60_000_000_000n });
  for (const [rootFirst, nanos] of stacks) {
    const frames: Frame[] = rootFirst.map((f) => ({ name: f.slice(0, f.indexOf('@')), file: f.slice(f.indexOf('@') + 1), line: 1 })).reverse();
    b.addSample(frames, [1, nanos], {});
  }
  return b.build();
}

/** An io-wait profile as @vigil/wall writes it: the name io-wait twice, as a count and in nanoseconds. */
function ioWait(startMs: number, nanos: number): Profile {
  const b = new ProfileBuilder({ sampleTypes: [['io-wait', 'count'], ['io-wait', 'nanoseconds']], timeNanos: BigInt(startMs) * 1_000_000n, durationNanos: 60_000_000_000n });
  b.addSample([{ name: 'fs.readFile' }, { name: 'loadConfig', file: '/app/config.js', line: 3 }], [4, nanos], {});
  return b.build();
}

function find(node: FlameNode, name: string): FlameNode | undefined {
  if (node.name === name) return node;
  for (const c of node.children) {
    const hit = find(c, name);
    if (hit) return hit;
  }
  return undefined;
}

const S = 1e9;

beforeAll(async () => {
  viewer = await startTestViewer();
  // Heap: process A's snapshots hold 4, 6, 8, 10 MiB (2 MiB steady + a growing 2..8 MiB); process B's 5 MiB, twice.
  for (let i = 0; i < 4; i++) await upload({ space: gz(spaceProfile(T0 + i * MIN, (2 + 2 * i) * MiB)) }, T0 + i * MIN, 'heapy', { 'runtime-id': 'proc-a' });
  for (let i = 0; i < 2; i++) await upload({ space: gz(spaceProfile(T0 + i * MIN, 3 * MiB)) }, T0 + i * MIN, 'heapy', { 'runtime-id': 'proc-b' });

  // Release 1.0 in /srv/app-1.0, 2.0 in /srv/app-2.0: the same functions, moved. In 2.0 `route` got
  // slower, and V8 inlined `parseBody` into `handle` (its self time now shows as handle's).
  for (let i = 0; i < 2; i++) {
    const v1 = wall(T0 + i * MIN, [
      [['main@/srv/app-1.0/server.js', 'handle@/srv/app-1.0/server.js', 'parseBody@/srv/app-1.0/body.js'], 3 * S],
      [['main@/srv/app-1.0/server.js', 'handle@/srv/app-1.0/server.js'], 1 * S],
      [['main@/srv/app-1.0/server.js', 'route@/srv/app-1.0/node_modules/router/index.js'], 1 * S],
    ]);
    await upload({ wall: gz(v1), 'io-wait': gz(ioWait(T0 + i * MIN, 2 * S)) }, T0 + i * MIN, 'shop', { version: '1.0.0', host: 'web-1' });
    const v2 = wall(T0 + (i + 2) * MIN, [
      [['main@/srv/app-2.0/server.js', 'handle@/srv/app-2.0/server.js'], 4 * S],
      [['main@/srv/app-2.0/server.js', 'route@/srv/app-2.0/node_modules/router/index.js'], 3 * S],
    ]);
    await upload({ wall: gz(v2) }, T0 + (i + 2) * MIN, 'shop', { version: '2.0.0', host: 'web-2' });
  }

  // Vigil's own work in the app's process: its source-map loading, and its span wrapper around a handler.
  const vigilWork = wall(T0, [
    [['main@/app/server.js', 'collect@/app/node_modules/@vigil/core/dist/index.js', 'readMap@/app/node_modules/@vigil/v8-sampler/dist/index.js', '#parseMap@node:internal/source_map/source_map'], 2 * S],
    [['main@/app/server.js', 'withSpanLabels@/app/node_modules/@vigil/tracing-correlation/dist/index.js', 'run@node:async_hooks', 'handler@/app/server.js', 'compute@/app/server.js'], 6 * S],
  ]);
  await upload({ wall: gz(vigilWork) }, T0, 'marked');
}, 60_000);
afterAll(() => viewer.close());

describe('in-use heap is a level', () => {
  test('top and flame graph give the mean snapshot per process, summed over processes', async () => {
    // A: mean of 4, 6, 8, 10 MiB = 7 MiB; B: 5 MiB. Together 12 MiB, where a sum of snapshots would claim 38 MiB.
    const top = await api('top?service=heapy&type=space');
    expect(top).toMatchObject({ sampleType: 'inuse_space', unit: 'bytes', aggregation: 'mean', total: 12 * MiB, profileCount: 6 });
    const flame = await api('flamegraph?service=heapy&type=space');
    expect(flame).toMatchObject({ value: 12 * MiB, aggregation: 'mean' });
    expect(find(flame, 'leakyAppend')!.value).toBe(5 * MiB + 3 * MiB);
  });

  test('heap=latest takes each process newest snapshot; the range decides which is newest', async () => {
    const latest = await api('top?service=heapy&type=space&heap=latest');
    expect(latest).toMatchObject({ aggregation: 'latest', total: 10 * MiB + 5 * MiB, profileCount: 2 });
    const early = await api(`top?service=heapy&type=space&heap=latest&from=${T0}&to=${T0 + MIN - 1}`);
    expect(early.total).toBe(4 * MiB + 5 * MiB);
    expect((await getJson(`${viewer.url}/api/top?service=heapy&heap=sum`)).status).toBe(400);
  });

  test('values that add up over time are still summed', async () => {
    expect(await api('top?service=shop&type=wall&version=1.0.0')).toMatchObject({ aggregation: 'sum', total: 10 * S });
  });
});

test('time series: per-second rates for time, snapshots for the heap, one point per period', async () => {
  const { series } = await api('timeseries?service=shop');
  const wallSeries = series.find((s: { sampleType: string }) => s.sampleType === 'wall');
  expect(wallSeries).toMatchObject({ profileType: 'wall', unit: 'nanoseconds', kind: 'rate' });
  // 5 s of wall per 60 s period, then 7 s.
  expect(wallSeries.points.map((p: { value: number }) => Math.round(p.value / 1e6))).toEqual([83, 83, 117, 117]);
  const ioNanos = series.find((s: { sampleType: string; unit: string }) => s.sampleType === 'io-wait' && s.unit === 'nanoseconds');
  expect(ioNanos.points).toHaveLength(2);
  const heap = (await api('timeseries?service=heapy')).series.find((s: { sampleType: string }) => s.sampleType === 'inuse_space');
  expect(heap.kind).toBe('level');
  // Periods with both processes hold both heaps; no period adds up snapshots of one process.
  expect(heap.points.map((p: { value: number }) => p.value / MiB)).toEqual([9, 11, 8, 10]);
  expect((await getJson(`${viewer.url}/api/timeseries`)).status).toBe(400);
});

test('a sample type named twice with two units (io-wait) reads in nanoseconds, not as a count', async () => {
  const top = await api('top?service=shop&type=io-wait');
  expect(top).toMatchObject({ sampleType: 'io-wait', unit: 'nanoseconds', total: 4 * S });
  const counts = await api('top?service=shop&type=io-wait&sampleType=io-wait/count');
  expect(counts).toMatchObject({ unit: 'count', total: 8 });
});

test('sandwich: the callers and callees of one function', async () => {
  const result = await api('sandwich?service=shop&type=wall&version=1.0.0&function=handle');
  expect(result.function).toMatchObject({ name: 'handle', file: '/srv/app-1.0/server.js', self: 2 * S, cumulative: 8 * S });
  expect(result.total).toBe(10 * S);
  expect(result.callers).toMatchObject({ name: 'handle', value: 8 * S, children: [{ name: 'main', value: 8 * S, children: [] }] });
  expect(result.callees).toMatchObject({ name: 'handle', value: 8 * S, children: [{ name: 'parseBody', value: 6 * S }] });
  const missing = await api('sandwich?service=shop&type=wall&function=nope');
  expect(missing.function.cumulative).toBe(0);
  expect((await getJson(`${viewer.url}/api/sandwich?service=shop`)).status).toBe(400);
});

describe('comparison by tag, across a moved deploy path', () => {
  test('by version: functions match on name + file name, and inlining is flagged, not reported as a speed change', async () => {
    const diff = await api('diff?service=shop&type=wall&baseVersion=1.0.0&newVersion=2.0.0');
    expect(diff.base).toMatchObject({ total: 10 * S, profileCount: 2 });
    expect(diff.new).toMatchObject({ total: 14 * S, profileCount: 2 });
    const row = (name: string) => diff.functions.find((f: { name: string }) => f.name === name);
    // route moved from /srv/app-1.0/node_modules/router to /srv/app-2.0/...: one row, slower (10 % -> 43 %).
    expect(diff.functions.filter((f: { name: string }) => f.name === 'route')).toHaveLength(1);
    expect(row('route')).toMatchObject({ baseSelf: 2 * S, newSelf: 6 * S });
    expect(row('route').selfShareChange).toBeCloseTo(6 / 14 - 0.2, 5);
    expect(row('route').inliningSuspect).toBeUndefined();
    // parseBody vanished into handle: handle's self grew as parseBody's shrank, while handle's total share barely moved.
    expect(row('parseBody')).toMatchObject({ baseSelf: 6 * S, newSelf: 0, inliningSuspect: 'handle' });
    expect(row('handle')).toMatchObject({ baseSelf: 2 * S, newSelf: 8 * S, inliningSuspect: 'parseBody' });
    expect(diff.matching).toMatch(/file name/);
  });

  test('by any tag (host), and the tag list offers it', async () => {
    const { tags } = await api('tags?service=shop');
    expect(tags.host).toEqual([{ value: 'web-1', profiles: 4 }, { value: 'web-2', profiles: 2 }]);
    expect(tags['runtime-id']).toBeUndefined();
    const diff = await api('diff?service=shop&type=wall&baseTag.host=web-1&newTag.host=web-2');
    expect(diff.base.profileCount).toBe(2);
    expect(diff.new.profileCount).toBe(2);
    const noSides = await getJson(`${viewer.url}/api/diff?service=shop`);
    expect(noSides.status).toBe(400);
    expect(noSides.json.error).toMatch(/baseVersion\/newVersion/);
  });
});

test("Vigil's own work is marked, down to what it calls, but a handler it wraps stays the app's", async () => {
  const flame = await api('flamegraph?service=marked&type=wall');
  expect(find(flame, 'collect')!.vigil).toBe(true);
  expect(find(flame, '#parseMap')!.vigil).toBe(true);
  expect(find(flame, 'withSpanLabels')!.vigil).toBe(true);
  expect(find(flame, 'handler')!.vigil).toBeUndefined();
  expect(find(flame, 'compute')!.vigil).toBeUndefined();
  expect(find(flame, 'main')!.vigil).toBeUndefined();
  const top = await api('top?service=marked&type=wall');
  const row = (name: string) => top.functions.find((f: { name: string }) => f.name === name);
  expect(row('#parseMap')).toMatchObject({ self: 2 * S, vigil: 2 * S });
  expect(row('compute')).toMatchObject({ self: 6 * S, vigil: 0 });
});

test('leaks: growth with no full GC between the profiles is listed as not yet confirmed, never as a suspect', async () => {
  const noFullGc = (startMs: number, leakyBytes: number) => {
    const b = new ProfileBuilder({
      sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']],
      timeNanos: BigInt(startMs) * 1_000_000n, durationNanos: 60_000_000_000n,
      comments: ['vigil.gc time_share=0.01 pause_ns=600000000 period_ns=60000000000 pauses=40 dropped=0 major_gcs=0'],
    });
    b.addSample([{ name: 'rememberSession', file: '/app/service.js', line: 9 }], [Math.round(leakyBytes / 1024), leakyBytes]);
    b.addSample([{ name: 'steady', file: '/app/service.js', line: 20 }], [100, 2 * MiB]);
    return b.build();
  };
  for (let i = 0; i < 4; i++) await upload({ space: gz(noFullGc(T0 + i * MIN, (i + 1) * 10 * MiB)) }, T0 + i * MIN, 'young', { 'runtime-id': 'young-1' });
  const { groups } = await api('leaks?service=young');
  expect(groups).toHaveLength(1);
  expect(groups[0].suspects).toEqual([]);
  expect(groups[0].unconfirmed.map((s: { name: string }) => s.name)).toEqual(['rememberSession']);
  // Where a full GC did prove it, the site is a suspect and nothing is listed as unconfirmed.
  const proven = await api('leaks?service=heapy');
  expect(proven.groups.every((g: { unconfirmed: unknown[] }) => g.unconfirmed.length === 0)).toBe(true);
});

test("the sandwich marks Vigil's frames as the flame graph does, callers included", async () => {
  const result = await api('sandwich?service=marked&type=wall&function=handler');
  // callers: handler <- run <- withSpanLabels <- main. The wrapper and the Node frame it calls are Vigil's; the app's handler and main are not.
  const chain: FlameNode[] = [];
  for (let node: FlameNode | undefined = result.callers; node; node = node.children[0]) chain.push(node);
  expect(chain.map((n) => [n.name, n.vigil === true])).toEqual([['handler', false], ['run', true], ['withSpanLabels', true], ['main', false]]);
  expect(result.callees.vigil).toBeUndefined();
});
