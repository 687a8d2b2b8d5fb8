import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProfile, encodeProfileSync, ProfileBuilder, totalsByFunction } from '@vigil/core';
import { datadogUpload, getJson, post } from './helpers/uploads';
import { diskState, startTestViewer, tempDataDir } from './helpers/viewer';

const packageDir = join(__dirname, '..');
const fixture = join(__dirname, 'fixtures', 'viewer-process.ts');

/** A wall profile of ~2,000 distinct stacks (tens of KiB), so a write takes long enough to be interrupted. */
function bigWallProfile(seq: number): { bytes: Buffer; total: number } {
  const b = new ProfileBuilder({ sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']], timeNanos: BigInt(Date.now()) * 1_000_000n, durationNanos: 60_000_000_000n });
  let total = 0;
  for (let i = 0; i < 2000; i++) {
    const nanos = 1_000_000 + ((i * 7919 + seq) % 1000) * 1000;
    total += nanos;
    b.addSample([{ name: `fn_${seq}_${i}`, file: `/app/mod${i % 40}.js`, line: i }, { name: `mid_${i % 50}`, file: '/app/mid.js', line: 1 }, { name: 'main', file: '/app/main.js', line: 1 }], [1, nanos], { 'trace endpoint': `GET /e${i % 7}`, seq });
  }
  return { bytes: encodeProfileSync(b.build()), total };
}

function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, '--port', '0', '--data-dir', dataDir], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => reject(new Error(`viewer exited early (${code}): ${err}`)));
  });
}

test('kill -9 during uploads loses no acknowledged profile and leaves no half-written one', async () => {
  const dataDir = tempDataDir();
  const acknowledged = new Map<string, number>(); // profile id -> wall total sent
  let interrupted = 0;
  let seq = 0;

  for (let round = 0; round < 3; round++) {
    const { child, url } = await startChild(dataDir);
    const exited = new Promise((r) => child.on('exit', r));
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const { bytes, total } = bigWallProfile(seq++);
        const now = Date.now();
        const u = datadogUpload({ wall: bytes }, { startMs: now - 60_000, endMs: now, service: 'crashy' });
        try {
          const res = await post(`${url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
          if (res.status === 200) acknowledged.set(JSON.parse(res.body).profiles[0].id, total);
        } catch {
          interrupted++; // the connection died under the request: not acknowledged
          return;
        }
      }
    };
    const before = acknowledged.size;
    const loops = [loop(), loop(), loop(), loop()];
    // Let a few uploads complete (however slow the machine is), then kill at a random moment.
    const waitUntil = Date.now() + 20_000;
    while (acknowledged.size < before + 4 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    child.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(loops);
  }
  expect(acknowledged.size).toBeGreaterThanOrEqual(12);
  expect(interrupted).toBeGreaterThan(0);

  // Restart on the same folder: every acknowledged profile is there, whole.
  const viewer = await startTestViewer({ dataDir });
  try {
    const listed = (await getJson(`${viewer.url}/api/profiles?service=crashy&limit=10000`)).json.profiles as { id: string }[];
    const listedIds = new Set(listed.map((p) => p.id));
    for (const id of acknowledged.keys()) expect(listedIds.has(id)).toBe(true);
    for (const { id } of listed) {
      const bytes = Buffer.from(await (await fetch(`${viewer.url}/api/profiles/${id}/pprof`)).arrayBuffer());
      const total = totalsByFunction(decodeProfile(bytes), 'wall').total;
      // Acknowledged ones carry exactly what was sent; the others (stored, answer lost in the kill) are whole too.
      if (acknowledged.has(id)) expect(total).toBe(acknowledged.get(id));
      else expect(total).toBeGreaterThan(2000 * 1_000_000);
    }
    // Nothing half-written: no staging leftovers, every folder complete and indexed.
    const disk = diskState(dataDir);
    expect(disk.tmp).toEqual([]);
    expect(disk.uploads.length).toBe(new Set(listed.map((p) => p.id.split('.')[0])).size);
    for (const folder of disk.uploads) {
      const meta = JSON.parse(readFileSync(join(dataDir, 'uploads', folder, 'meta.json'), 'utf8'));
      for (const p of meta.profiles) expect(existsSync(join(dataDir, 'uploads', folder, p.file))).toBe(true);
      expect(readdirSync(join(dataDir, 'uploads', folder)).length).toBe(meta.profiles.length + 1);
    }
    console.log(`crash test: ${acknowledged.size} acknowledged, ${listed.length - acknowledged.size} stored without an answer, ${interrupted} interrupted requests over 3 kills`);
  } finally {
    await viewer.close();
  }
}, 60_000);
