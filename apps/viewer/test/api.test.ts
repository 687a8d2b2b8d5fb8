import { gz, eventsProfile, HEAVY, LIGHT, spaceProfile, wallProfile, XSS_NAME } from './helpers/profiles';
import { datadogUpload, getJson, post } from './helpers/uploads';
import { startTestViewer, type TestViewer } from './helpers/viewer';
import type { FlameNode } from '../src';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;
let viewer: TestViewer;

async function upload(profiles: Record<string, Buffer>, startMs: number, service = 'shop', extraTags: Record<string, string> = {}) {
  const u = datadogUpload(profiles, { startMs, endMs: startMs + MIN, service, extraTags });
  const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
  expect(res.status).toBe(200);
}

function find(node: FlameNode, name: string): FlameNode | undefined {
  if (node.name === name) return node;
  for (const c of node.children) {
    const hit = find(c, name);
    if (hit) return hit;
  }
  return undefined;
}

beforeAll(async () => {
  viewer = await startTestViewer();
  // Minutes 0-4: the heavy function takes 70 %; minutes 5-9 (after a "fix"): 20 %.
  for (let i = 0; i < 10; i++) {
    const startMs = T0 + i * MIN;
    const wall = i < 5 ? wallProfile(startMs) : wallProfile(startMs, { heavyNanos: 200_000_000, lightNanos: 700_000_000 });
    await upload({ wall: gz(wall), events: gz(eventsProfile(startMs)) }, startMs);
  }
  // Heap profiles of one process: `leakyAppend` grows 2 MiB a minute.
  for (let i = 0; i < 6; i++) {
    await upload({ space: gz(spaceProfile(T0 + i * MIN, (i + 1) * 2 * 1024 * 1024)) }, T0 + i * MIN, 'shop', { 'runtime-id': 'proc-a' });
  }
});
afterAll(() => viewer.close());

test('services list types, sample types, environments and time span', async () => {
  const { services } = (await getJson(`${viewer.url}/api/services`)).json;
  expect(services).toHaveLength(1);
  expect(services[0]).toMatchObject({ name: 'shop', envs: ['test'], versions: ['1.0.0'], profileCount: 26, first: new Date(T0).toISOString(), last: new Date(T0 + 10 * MIN).toISOString() });
  expect(services[0].types.map((t: { type: string }) => t.type)).toEqual(['events', 'space', 'wall']);
});

test('profiles can be listed by type and time range; ranges overlap-match', async () => {
  const all = (await getJson(`${viewer.url}/api/profiles?service=shop&type=wall`)).json;
  expect(all.total).toBe(10);
  const range = (await getJson(`${viewer.url}/api/profiles?service=shop&type=wall&from=${new Date(T0 + 2.5 * MIN).toISOString()}&to=${T0 + 4.5 * MIN}`)).json;
  expect(range.profiles.map((p: { startMs: number }) => (p.startMs - T0) / MIN).sort()).toEqual([2, 3, 4]);
  const bad = await getJson(`${viewer.url}/api/profiles?from=last-tuesday`);
  expect(bad.status).toBe(400);
  expect(bad.json.error).toMatch(/"from"/);
});

test('flame graph: the tree d3-flame-graph takes, summed over the range', async () => {
  const first = (await getJson(`${viewer.url}/api/flamegraph?service=shop&type=wall&from=${T0}&to=${T0 + 4 * MIN + 1}`)).json;
  expect(first).toMatchObject({ name: 'all', sampleType: 'wall', unit: 'nanoseconds', profileCount: 5, value: 5e9 });
  expect(find(first, HEAVY)!.value).toBe(5 * 700_000_000);
  expect(find(first, 'processRequest')!.value).toBe(5e9);
  expect(find(first, XSS_NAME)).toBeDefined();
  // Another sample type of the same profiles.
  const counts = (await getJson(`${viewer.url}/api/flamegraph?service=shop&type=wall&sampleType=sample&from=${T0}&to=${T0 + 4 * MIN + 1}`)).json;
  expect(counts.unit).toBe('count');
  expect(find(counts, HEAVY)!.value).toBe(5 * Math.round(700_000_000 / 10_101_010));
  expect((await getJson(`${viewer.url}/api/flamegraph?service=shop&type=wall&sampleType=nope`)).status).toBe(400);
});

test('flame graph and top filtered by a label (trace endpoint)', async () => {
  const q = `service=shop&type=wall&from=${T0}&to=${T0 + 4 * MIN + 1}`;
  const page = (await getJson(`${viewer.url}/api/flamegraph?${q}&label.${encodeURIComponent('trace endpoint')}=${encodeURIComponent('GET /page')}`)).json;
  expect(page.value).toBe(5 * 300_000_000);
  expect(find(page, HEAVY)).toBeUndefined();
  expect(find(page, LIGHT)!.value).toBe(5 * 200_000_000);
  const top = (await getJson(`${viewer.url}/api/top?${q}&label.${encodeURIComponent('thread id')}=1`)).json;
  expect(top.total).toBe(5e9);
  expect(top.functions[0]).toMatchObject({ name: HEAVY, self: 3.5e9, cumulative: 3.5e9, selfShare: 0.7 });
  expect(top.functions.find((f: { name: string }) => f.name === 'processRequest')).toMatchObject({ self: 0, cumulativeShare: 1 });
  const labels = (await getJson(`${viewer.url}/api/labels?${q}`)).json.labels;
  expect(labels['trace endpoint'].map((v: { value: string }) => v.value)).toEqual(['GET /compute', 'GET /page']);
});

test('diff: the heavy function got faster, the light one slower', async () => {
  const q = `service=shop&type=wall&baseFrom=${T0}&baseTo=${T0 + 4 * MIN + 1}&newFrom=${T0 + 5 * MIN + 1}&newTo=${T0 + 10 * MIN}`;
  const diff = (await getJson(`${viewer.url}/api/diff?${q}`)).json;
  expect(diff.base).toEqual({ total: 5e9, profileCount: 5 });
  expect(diff.new).toEqual({ total: 5e9, profileCount: 5 });
  const heavy = diff.functions.find((f: { name: string }) => f.name === HEAVY);
  const light = diff.functions.find((f: { name: string }) => f.name === LIGHT);
  expect(heavy.selfShareChange).toBeCloseTo(-0.5, 6);
  expect(light.selfShareChange).toBeCloseTo(0.5, 6);
  expect(find(diff.tree, HEAVY)!.delta).toBeCloseTo(-5 * 500_000_000, 0);
  expect(find(diff.tree, LIGHT)!.delta).toBeCloseTo(5 * 500_000_000, 0);
  // Explicit ids work as well as ranges.
  const ids = (await getJson(`${viewer.url}/api/profiles?service=shop&type=wall`)).json.profiles.map((p: { id: string }) => p.id);
  const byIds = (await getJson(`${viewer.url}/api/diff?baseIds=${ids[9]}&newIds=${ids[0]}`)).json;
  expect(byIds.functions.find((f: { name: string }) => f.name === HEAVY).selfShareChange).toBeCloseTo(-0.5, 6);
  expect((await getJson(`${viewer.url}/api/diff?service=shop`)).status).toBe(400);
});

test('timeline: GC and I/O events with their labels and times', async () => {
  const result = (await getJson(`${viewer.url}/api/timeline?service=shop&from=${T0}&to=${T0 + MIN - 1}`)).json;
  expect(result.events.map((e: { event: string }) => e.event)).toEqual(['gc', 'gc', 'fs', 'dns']);
  const gc = result.events[0];
  expect(gc).toMatchObject({ event: 'gc', durationNs: 12_000_000, labels: { 'gc type': 'mark_sweep_compact', 'gc reason': 'allocation failure' } });
  expect(gc.endMs).toBeCloseTo(T0 + 1000, 0);
  expect(gc.startMs).toBeCloseTo(T0 + 1000 - 12, 0);
  expect(result.summary.gc).toEqual({ count: 2, totalNs: 14_000_000 });
  const onlyGc = (await getJson(`${viewer.url}/api/timeline?service=shop&label.event=gc`)).json;
  expect(onlyGc.summary).toEqual({ gc: { count: 20, totalNs: 140_000_000 } });
});

test('leak suspects: the growing allocation site ranks first', async () => {
  const { groups } = (await getJson(`${viewer.url}/api/leaks?service=shop`)).json;
  expect(groups[0].process).toBe('proc-a');
  expect(groups[0].profileCount).toBe(6);
  expect(groups[0].suspects[0]).toMatchObject({ rank: 1, name: 'leakyAppend' });
  expect(groups[0].suspects[0].growthBytesPerMinute).toBeCloseTo(2 * 1024 * 1024, -3);
  expect(groups[0].suspects.some((s: { name: string }) => s.name === 'steadyCache')).toBe(false);
  expect((await getJson(`${viewer.url}/api/leaks`)).status).toBe(400);
});

test('unknown ids and endpoints are 404, wrong methods 405', async () => {
  expect((await getJson(`${viewer.url}/api/profiles/0mwwfuyxa-3398d9144cc2.0`)).status).toBe(404);
  expect((await getJson(`${viewer.url}/api/nope`)).status).toBe(404);
  expect((await fetch(`${viewer.url}/api/services`, { method: 'POST' })).status).toBe(405);
  expect((await fetch(`${viewer.url}/profiling/v1/input`)).status).toBe(405);
});
