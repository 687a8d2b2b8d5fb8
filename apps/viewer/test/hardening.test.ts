/** The viewer as a local service under attack: origins, tokens, decode budgets (issue 16). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { newestCapped } from '../src/http/api-routes';
import { startViewer } from '../src/server';
import type { ProfileRef } from '../src/store/profile-store';
import { hostileZstdWindowFrame, stringTableBomb, wellFramedJunk } from './helpers/hostile';
import { checkPprof } from '../src/intake/pprof-check';
import { incomingProfile } from '../src/intake/incoming-profile';
import { gz, raw, wallProfile } from './helpers/profiles';
import { parseMultipart } from '../src/intake/multipart';
import { datadogUpload, multipart, post, pyroscopeUpload } from './helpers/uploads';
import { diskState, recordingLogger, startTestViewer, tempDataDir, type TestViewer } from './helpers/viewer';

const T0 = Date.UTC(2026, 0, 1);
const upload = () => datadogUpload({ wall: gz(wallProfile(T0)) }, { startMs: T0, endMs: T0 + 1000, service: 'guarded' });

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    }).on('error', reject).end();
  });
}

describe('decode budgets', () => {
  let viewer: TestViewer;
  beforeAll(async () => { viewer = await startTestViewer(); });
  afterAll(async () => { await viewer.close(); });

  test.each([
    ['a zstd frame asking for a 1.88 GiB window', () => hostileZstdWindowFrame(1), 413, /zstd window/],
    ['the same with 400 one-byte blocks', () => hostileZstdWindowFrame(400), 413, /zstd window/],
    ['gzip of 60 MiB of well-framed junk', () => zlib.gzipSync(wellFramedJunk(60 * 1048576)), 413, /once decoded/],
    ['a 60 MiB string in the string table', () => zlib.gzipSync(stringTableBomb(60 * 1048576)), 400, /a string of \d+ bytes/],
  ])('%s is refused and nothing is stored', async (_name, make, status, message) => {
    const before = diskState(viewer.dataDir);
    const u = datadogUpload({ wall: make() }, { startMs: T0, endMs: T0 + 1000 });
    const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body).error).toMatch(message);
    expect(diskState(viewer.dataDir)).toEqual(before);
    const py = pyroscopeUpload(make());
    expect((await post(`${viewer.url}/ingest?name=app`, py.body, { 'Content-Type': py.contentType })).status).toBe(status);
    expect((await get(`${viewer.url}/info`)).status).toBe(200);
  });

  test('a multipart part without a name is a 400, not a crash of the decoder', async () => {
    const body = Buffer.from('--x\r\nContent-Disposition: form-data; filename="wall.pprof"\r\n\r\nabc\r\n--x--\r\n');
    const res = await post(`${viewer.url}/profiling/v1/input`, body, { 'Content-Type': 'multipart/form-data; boundary=x' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/without a name/);
  });

  test('a raw pprof cut short between fields is refused, through the Pyroscope raw intake too', async () => {
    const whole = raw(wallProfile(T0));
    const budget = { maxOutputBytes: 1 << 26, maxZstdWindowBytes: 1 << 25, maxDecodedBytes: 1 << 28 };
    // Prefixes that end on a field boundary pass the framing check; before this fix they were stored.
    const boundaries: number[] = [];
    for (let length = 1; length < whole.length; length++) {
      try {
        checkPprof(whole.subarray(0, length), 'cut');
        boundaries.push(length);
      } catch {
        // cut inside a field: refused by framing already
      }
    }
    expect(boundaries.length).toBeGreaterThan(0);
    const accepted = boundaries.filter((length) => {
      try {
        incomingProfile('wall', whole.subarray(0, length), 'cut', budget);
        return true;
      } catch {
        return false;
      }
    });
    // Only the cut that drops both period_type and period is indistinguishable from a profile without a period.
    expect(accepted.length).toBeLessThanOrEqual(1);
    const cut = whole.subarray(0, boundaries[0]!);
    const res = await post(`${viewer.url}/ingest?name=app&format=pprof`, cut, { 'Content-Type': 'application/octet-stream' });
    expect(res.status).toBe(400);
    expect((await post(`${viewer.url}/ingest?name=app&format=pprof`, whole, { 'Content-Type': 'application/octet-stream' })).status).toBe(200);
  });

  test('an honest upload still lands after the hostile ones, its decoded size recorded for the cache', async () => {
    const u = upload();
    const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
    expect(res.status).toBe(200);
    const { uploadId } = JSON.parse(res.body) as { uploadId: string };
    const meta = JSON.parse(readFileSync(join(viewer.dataDir, 'uploads', uploadId, 'meta.json'), 'utf8')) as { profiles: { bytes: number; decodedBytes: number }[] };
    // Estimated from the raw protobuf, not the gzip size.
    expect(meta.profiles[0]!.decodedBytes).toBeGreaterThan(meta.profiles[0]!.bytes);
  });
});

describe('browser origin checks', () => {
  let viewer: TestViewer;
  beforeAll(async () => { viewer = await startTestViewer(); });
  afterAll(async () => { await viewer.close(); });

  test('a page on another origin cannot POST an upload; profilers (no Origin) and the viewer itself can', async () => {
    const u = upload();
    const at = `${viewer.url}/profiling/v1/input`;
    const before = diskState(viewer.dataDir);
    expect((await post(at, u.body, { 'Content-Type': u.contentType, Origin: 'http://localhost:3000' })).status).toBe(403);
    expect((await post(at, u.body, { 'Content-Type': u.contentType, Origin: 'null' })).status).toBe(403);
    expect((await post(at, u.body, { 'Content-Type': u.contentType, 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
    expect((await post(at, u.body, { 'Content-Type': u.contentType, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect(diskState(viewer.dataDir)).toEqual(before);
    expect((await post(at, u.body, { 'Content-Type': u.contentType })).status).toBe(200);
    expect((await post(at, u.body, { 'Content-Type': u.contentType, Origin: viewer.url, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
  });
});

describe('a token beyond loopback', () => {
  test('without a token the viewer refuses to listen on a non-loopback address', async () => {
    await expect(startViewer({ port: 0, host: '0.0.0.0', dataDir: tempDataDir(), logger: recordingLogger([]) })).rejects.toThrow(/without a token/);
  });

  test('with a token every request needs it: header, DD-API-KEY, Basic password, or the cookie the UI link sets', async () => {
    const token = 's3cret-token-value';
    const viewer = await startViewer({ port: 0, host: '0.0.0.0', token, dataDir: tempDataDir(), logger: recordingLogger([]) });
    const base = `http://127.0.0.1:${viewer.port}`;
    try {
      const u = upload();
      expect((await post(`${base}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType })).status).toBe(401);
      expect((await post(`${base}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType, Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await get(`${base}/api/services`)).status).toBe(401);
      expect((await get(`${base}/`)).status).toBe(401);
      expect((await post(`${base}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType, Authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await post(`${base}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType, 'DD-API-KEY': token })).status).toBe(200);
      const basic = Buffer.from(`user:${token}`).toString('base64');
      const py = pyroscopeUpload(gz(wallProfile(T0)));
      expect((await post(`${base}/ingest?name=app`, py.body, { 'Content-Type': py.contentType, Authorization: `Basic ${basic}` })).status).toBe(200);
      // The UI: opened once with ?token=, then its own requests carry the cookie.
      const page = await get(`${base}/?token=${token}`);
      expect(page.status).toBe(200);
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      expect(cookie).toBe(`vigil_token=${token}`);
      expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await get(`${base}/api/services`, { Cookie: cookie })).status).toBe(200);
    } finally {
      await viewer.close();
    }
  });
});

describe('query memory budget', () => {
  const ref = (i: number, decodedBytes: number | undefined, bytes = 1000) => ({
    upload: { id: `u${i}` },
    profile: { id: `u${i}.0`, bytes, ...(decodedBytes === undefined ? {} : { decodedBytes }) },
  }) as unknown as ProfileRef;

  test('a query reads the newest profiles within 1 GiB of estimated decoded size, and at least one', () => {
    const MiB = 1024 * 1024;
    const refs = Array.from({ length: 10 }, (_, i) => ref(i, 300 * MiB));
    expect(newestCapped(refs).map((r) => r.upload.id)).toEqual(['u7', 'u8', 'u9']);
    expect(newestCapped([ref(0, 4096 * MiB)])).toHaveLength(1);
    // Entries stored before the estimate existed count 48 times their gzip size.
    expect(newestCapped(Array.from({ length: 10 }, (_, i) => ref(i, undefined, 10 * MiB)))).toHaveLength(2);
    expect(newestCapped(Array.from({ length: 600 }, (_, i) => ref(i, 1000)))).toHaveLength(500);
  });
});

test('the viewer, decoding and leak analysis included, never loads the native @datadog/pprof addon', () => {
  const script = `
    const { startViewer } = require(${JSON.stringify(join(__dirname, '../src/index.ts'))});
    require(${JSON.stringify(join(__dirname, '../src/analysis/leaks.ts'))});
    const { mkdtempSync } = require('node:fs');
    startViewer({ port: 0, dataDir: mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'vp-')) }).then(async (v) => {
      await v.close();
      console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('@datadog/pprof'))));
    });`;
  const run = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout.trim())).toEqual([]);
});

test('a multipart body may hold 64 parts, as the README says; 65 are refused', async () => {
  const body = (n: number) => multipart(Array.from({ length: n }, (_, p) => ({ name: `p${p}.pprof`, filename: `p${p}.pprof`, data: 'x' })));
  const ok = body(64);
  expect(await parseMultipart(ok.body, ok.contentType, 1024)).toHaveLength(64);
  const over = body(65);
  await expect(parseMultipart(over.body, over.contentType, 1024)).rejects.toThrow(/more than 64 parts/);
});

test('a client that never finishes its headers is disconnected (slowloris on headers)', async () => {
  const viewer = await startTestViewer();
  try {
    const { connect } = await import('node:net');
    const socket = connect(viewer.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => {
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.on('close', () => resolve(answer));
    });
    socket.write('POST /profiling/v1/input HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header line every second, never the blank line that ends them.
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 1000);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  } finally {
    await viewer.close();
  }
}, 60_000);
