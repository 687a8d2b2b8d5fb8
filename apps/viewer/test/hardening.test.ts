/** The viewer as a local service under attack: origins, tokens, decode budgets (issue 16). */
import { request } from 'node:http';
import * as zlib from 'node:zlib';
import { startViewer } from '../src/server';
import { hostileZstdWindowFrame, stringTableBomb, wellFramedJunk } from './helpers/hostile';
import { gz, wallProfile } from './helpers/profiles';
import { datadogUpload, post, pyroscopeUpload } from './helpers/uploads';
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

  test('an honest upload still lands after the hostile ones', async () => {
    const u = upload();
    expect((await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType })).status).toBe(200);
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
