import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gz, spaceProfile, wallProfile } from './helpers/profiles';
import { datadogUpload, getJson, post } from './helpers/uploads';
import { diskState, startTestViewer, tempDataDir } from './helpers/viewer';

const T0 = Date.parse('2026-02-01T00:00:00Z');

async function upload(url: string, startMs: number, service = 'svc', profiles: Record<string, Buffer> = { wall: gz(wallProfile(startMs)) }) {
  const u = datadogUpload(profiles, { startMs, endMs: startMs + 60_000, service });
  const res = await post(`${url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { uploadId: string; profiles: { id: string }[] };
}

const listIds = async (url: string) => ((await getJson(`${url}/api/profiles?limit=10000`)).json.profiles as { id: string }[]).map((p) => p.id).sort();

test('profiles survive a restart, with the index intact', async () => {
  const dataDir = tempDataDir();
  const first = await startTestViewer({ dataDir });
  for (let i = 0; i < 5; i++) await upload(first.url, T0 + i * 60_000);
  const before = await listIds(first.url);
  await first.close();

  const second = await startTestViewer({ dataDir });
  expect(await listIds(second.url)).toEqual(before);
  const flame = (await getJson(`${second.url}/api/flamegraph?service=svc&type=wall`)).json;
  expect(flame.value).toBe(5 * 1_000_000_000);
  await second.close();
});

test('a torn last index line and a folder missing from the index are repaired on start', async () => {
  const dataDir = tempDataDir();
  const first = await startTestViewer({ dataDir });
  const acks = [];
  for (let i = 0; i < 4; i++) acks.push(await upload(first.url, T0 + i * 60_000));
  await first.close();

  // Drop the last upload's index line (as if the process died before appending it) and leave half a line instead.
  const indexPath = join(dataDir, 'index.jsonl');
  const lines = readFileSync(indexPath, 'utf8').trimEnd().split('\n');
  writeFileSync(indexPath, `${lines.slice(0, 3).join('\n')}\n`);
  appendFileSync(indexPath, lines[3]!.slice(0, 40));

  const second = await startTestViewer({ dataDir });
  expect(await listIds(second.url)).toEqual(acks.flatMap((a) => a.profiles.map((p) => p.id)).sort());
  // The index was rewritten whole: every line parses again.
  for (const line of readFileSync(indexPath, 'utf8').trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  // A new upload after the repair is indexed on its own line.
  const fifth = await upload(second.url, T0 + 10 * 60_000);
  await second.close();
  const third = await startTestViewer({ dataDir });
  expect(await listIds(third.url)).toContain(fifth.profiles[0]!.id);
  await third.close();
});

test('the index can be deleted: it is rebuilt from the upload folders', async () => {
  const dataDir = tempDataDir();
  const first = await startTestViewer({ dataDir });
  for (let i = 0; i < 3; i++) await upload(first.url, T0 + i * 60_000);
  const before = await listIds(first.url);
  await first.close();
  rmSync(join(dataDir, 'index.jsonl'));
  const second = await startTestViewer({ dataDir });
  expect(await listIds(second.url)).toEqual(before);
  await second.close();
});

test('leftovers of an unfinished upload in tmp/ are removed on start and never listed', async () => {
  const dataDir = tempDataDir();
  const first = await startTestViewer({ dataDir });
  await upload(first.url, T0);
  await first.close();
  // What a crash mid-write leaves: a staging folder with some of the files.
  const staging = join(dataDir, 'tmp', '0zzzzzzzz-000000000000');
  require('node:fs').mkdirSync(staging);
  writeFileSync(join(staging, '0.pprof'), Buffer.alloc(100));
  const second = await startTestViewer({ dataDir });
  expect((await listIds(second.url)).length).toBe(1);
  expect(diskState(dataDir).tmp).toEqual([]);
  await second.close();
});

test('retention deletes the oldest profiles first and keeps the store under its budget', async () => {
  const dataDir = tempDataDir();
  // Each upload is a ~2 KiB heap profile plus a wall profile: 0.005 MiB holds only a few.
  const viewer = await startTestViewer({ dataDir, retentionMb: 0.005 });
  const acks = [];
  for (let i = 0; i < 30; i++) acks.push(await upload(viewer.url, T0 + i * 60_000, 'ret', { wall: gz(wallProfile(T0 + i * 60_000)), space: gz(spaceProfile(T0 + i * 60_000, 1000 * i)) }));
  const kept = (await getJson(`${viewer.url}/api/profiles?limit=10000`)).json.profiles as { id: string; bytes: number; startMs: number }[];
  const keptBytes = kept.reduce((s, p) => s + p.bytes, 0);
  expect(keptBytes).toBeLessThanOrEqual(0.005 * 1024 * 1024);
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.length).toBeLessThan(60);
  // What is kept is the newest, contiguous up to the last upload.
  const keptUploads = new Set(kept.map((p) => p.id.split('.')[0]));
  const newestFirst = [...acks].reverse();
  const firstDropped = newestFirst.findIndex((a) => !keptUploads.has(a.uploadId));
  expect(firstDropped).toBeGreaterThan(0);
  expect(newestFirst.slice(firstDropped).every((a) => !keptUploads.has(a.uploadId))).toBe(true);
  expect(diskState(dataDir).uploads.length).toBe(keptUploads.size);
  expect(diskState(dataDir).tmp).toEqual([]);
  await viewer.close();
  // The limit holds after a restart too, and the index no longer lists deleted uploads.
  const again = await startTestViewer({ dataDir, retentionMb: 0.005 });
  expect(new Set((await listIds(again.url)).map((id) => id.split('.')[0]))).toEqual(keptUploads);
  expect(readFileSync(join(dataDir, 'index.jsonl'), 'utf8').trimEnd().split('\n').length).toBe(keptUploads.size);
  await again.close();
});

test('when the disk refuses a write the sender gets a 5xx (and retries), nothing half-stored, and the viewer recovers', async () => {
  const dataDir = tempDataDir();
  const viewer = await startTestViewer({ dataDir });
  await upload(viewer.url, T0);
  // Stand-in for a broken disk (root ignores permissions): tmp/ replaced by a file.
  const tmp = join(dataDir, 'tmp');
  rmSync(tmp, { recursive: true });
  writeFileSync(tmp, 'not a folder');
  const u = datadogUpload({ wall: gz(wallProfile(T0)) }, { startMs: T0, endMs: T0 + 60_000, service: 'svc' });
  const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
  expect(res.status).toBe(503);
  expect(JSON.parse(res.body).error).toMatch(/could not be stored \(ENOTDIR\); nothing was stored/);
  expect(viewer.warnings.some((w) => w.includes('could not store an upload'))).toBe(true);
  expect((await listIds(viewer.url)).length).toBe(1);
  rmSync(tmp);
  require('node:fs').mkdirSync(tmp);
  await upload(viewer.url, T0 + 60_000);
  expect((await listIds(viewer.url)).length).toBe(2);
  await viewer.close();
});
