import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { decodeProfile, totalsByFunction } from '@vigil/core';
import { eventsProfile, gz, HEAVY, raw, spaceProfile, wallProfile, XSS_NAME } from './helpers/profiles';
import { datadogUpload, getJson, multipart, post, pyroscopeUpload } from './helpers/uploads';
import { diskState, startTestViewer, type TestViewer } from './helpers/viewer';

const hasGo = spawnSync('go', ['version']).status === 0;

let viewer: TestViewer;
const T0 = Date.parse('2026-01-10T10:00:00Z');

beforeAll(async () => {
  viewer = await startTestViewer({ maxBodyBytes: 512 * 1024 });
});
afterAll(async () => {
  await viewer.close();
});

const ddPost = (profiles: Record<string, Buffer>, startMs = T0, extra: Parameters<typeof datadogUpload>[1] extends infer O ? Partial<O> : never = {}) => {
  const upload = datadogUpload(profiles, { startMs, endMs: startMs + 60_000, ...extra });
  return post(`${viewer.url}/profiling/v1/input`, upload.body, { 'Content-Type': upload.contentType, ...upload.headers });
};

async function profileCount(): Promise<number> {
  return (await getJson(`${viewer.url}/api/profiles?limit=10000`)).json.total;
}

describe('Datadog agent intake (POST /profiling/v1/input)', () => {
  test('a dd-trace-js style upload with gzip parts is stored with its service, env, version and tags', async () => {
    const res = await ddPost({ wall: gz(wallProfile(T0)), events: gz(eventsProfile(T0)) }, T0, { service: 'dd-gzip', env: 'prod', version: '2.1.0', extraTags: { team: 'backend' } });
    expect(res.status).toBe(200);
    const ack = JSON.parse(res.body);
    expect(ack.profiles.map((p: { type: string }) => p.type)).toEqual(['wall', 'events']);

    const list = (await getJson(`${viewer.url}/api/profiles?service=dd-gzip`)).json;
    expect(list.total).toBe(2);
    const wall = list.profiles.find((p: { type: string }) => p.type === 'wall');
    expect(wall).toMatchObject({ service: 'dd-gzip', env: 'prod', version: '2.1.0', source: 'datadog', start: new Date(T0).toISOString(), end: new Date(T0 + 60_000).toISOString() });
    expect(wall.tags).toMatchObject({ team: 'backend', language: 'javascript', 'runtime-id': expect.any(String), process_id: String(process.pid) });
    expect(wall.sampleTypes).toEqual([{ type: 'sample', unit: 'count' }, { type: 'wall', unit: 'nanoseconds' }]);

    const meta = (await getJson(`${viewer.url}/api/profiles/${wall.id}`)).json;
    expect(meta.endpointCounts).toEqual({ 'GET /compute': 10, 'GET /page': 20 });
    expect(meta.extra).toMatchObject({ family: 'node', version: '4', info: { runtime: { engine: 'nodejs' } } });

    // The download is the pprof that was sent, readable by our decoder and by `go tool pprof`.
    const download = await fetch(`${viewer.url}/api/profiles/${wall.id}/pprof`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="wall_dd-gzip_.+\.pprof"$/);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const totals = totalsByFunction(decodeProfile(bytes), 'wall');
    expect(totals.functions[0]).toMatchObject({ name: HEAVY, self: 700_000_000 });
    if (hasGo) {
      const file = join(mkdtempSync(join(tmpdir(), 'vigil-pprof-')), 'wall.pprof');
      writeFileSync(file, bytes);
      const top = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=wall', file], { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'] });
      expect(top).toContain(HEAVY);
    } else {
      console.warn('go not installed: skipping the go tool pprof check');
    }
  });

  test('uncompressed profile parts are accepted and stored gzip-compressed', async () => {
    const res = await ddPost({ wall: raw(wallProfile(T0)), space: raw(spaceProfile(T0, 1_000_000)) }, T0, { service: 'dd-raw' });
    expect(res.status).toBe(200);
    const list = (await getJson(`${viewer.url}/api/profiles?service=dd-raw`)).json;
    expect(list.profiles.map((p: { type: string }) => p.type).sort()).toEqual(['space', 'wall']);
    const space = list.profiles.find((p: { type: string }) => p.type === 'space');
    const bytes = Buffer.from(await (await fetch(`${viewer.url}/api/profiles/${space.id}/pprof`)).arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(totalsByFunction(decodeProfile(bytes), 'inuse_space').total).toBe(1_000_000 + 2 * 1024 * 1024);
  });

  test('zstd parts (dd-trace\'s default from Node 24 on) are read on every supported Node', async () => {
    // Made once with Node 24's zlib.zstdCompressSync from wallProfile(T0); Node 20 reads it through fzstd.
    const zstd = readFileSync(join(__dirname, 'fixtures', 'wall.pprof.zst'));
    expect(zstd.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    const res = await ddPost({ wall: zstd }, T0, { service: 'dd-zstd' });
    expect(res.status).toBe(200);
    expect((await getJson(`${viewer.url}/api/profiles?service=dd-zstd`)).json.profiles[0].compression).toBe('zstd');
    const top = (await getJson(`${viewer.url}/api/top?service=dd-zstd&type=wall`)).json;
    expect(top.functions[0]).toMatchObject({ name: HEAVY, self: 700_000_000 });
    // Stored as gzip, so the download works with every pprof tool.
    const [profile] = (await getJson(`${viewer.url}/api/profiles?service=dd-zstd`)).json.profiles;
    const bytes = Buffer.from(await (await fetch(`${viewer.url}/api/profiles/${profile.id}/pprof`)).arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('Pyroscope intake (POST /ingest)', () => {
  test('a @pyroscope/nodejs style multipart upload lands under the app name with its labels and period', async () => {
    const fromS = Math.floor(T0 / 1000);
    const { body, contentType } = pyroscopeUpload(gz(wallProfile(T0)));
    const name = encodeURIComponent('py-app{env=staging,version=3.0.1,region=eu}');
    const res = await post(`${viewer.url}/ingest?name=${name}&from=${fromS}&until=${fromS + 10}&spyName=nodespy&sampleRate=100`, body, { 'Content-Type': contentType });
    expect(res.status).toBe(200);
    const [profile] = (await getJson(`${viewer.url}/api/profiles?service=py-app`)).json.profiles;
    expect(profile).toMatchObject({ type: 'wall', env: 'staging', version: '3.0.1', source: 'pyroscope', start: new Date(fromS * 1000).toISOString(), end: new Date((fromS + 10) * 1000).toISOString() });
    expect(profile.tags.region).toBe('eu');
    const flame = (await getJson(`${viewer.url}/api/flamegraph?service=py-app&type=wall`)).json;
    expect(JSON.stringify(flame)).toContain(HEAVY);
  });

  test('sample_type_config and ?format=pprof with a raw body are understood', async () => {
    const { body, contentType } = pyroscopeUpload(gz(spaceProfile(T0, 500_000)), { inuse_space: { units: 'bytes', aggregation: 'average', 'display-name': 'inuse_space_bytes' } });
    expect((await post(`${viewer.url}/ingest?name=py-mem&from=${Math.floor(T0 / 1000)}`, body, { 'Content-Type': contentType })).status).toBe(200);
    expect((await post(`${viewer.url}/ingest?name=py-raw&format=pprof&from=${T0}`, gz(eventsProfile(T0)), { 'Content-Type': 'application/octet-stream' })).status).toBe(200);
    const services = (await getJson(`${viewer.url}/api/services`)).json.services;
    expect(services.find((s: { name: string }) => s.name === 'py-mem').types.map((t: { type: string }) => t.type)).toEqual(['space']);
    const raw13 = services.find((s: { name: string }) => s.name === 'py-raw');
    expect(raw13.types.map((t: { type: string }) => t.type)).toEqual(['events']);
    // `from` with 13 digits is milliseconds, as Pyroscope's attime reads it.
    expect(raw13.first).toBe(new Date(T0).toISOString());
  });
});

describe('bad and hostile uploads: clear 400/413, nothing stored, still serving', () => {
  const good = () => gz(wallProfile(T0));
  const event = JSON.stringify({ attachments: ['wall.pprof'], start: new Date(T0).toISOString(), end: new Date(T0 + 1000).toISOString(), family: 'node', version: '4', tags_profiler: 'service:hostile' });
  const cases: { name: string; status: number; error: RegExp; send: () => Promise<{ status: number; body: string }> }[] = [
    { name: 'not multipart', status: 400, error: /multipart\/form-data/, send: () => post(`${viewer.url}/profiling/v1/input`, Buffer.from('{}'), { 'Content-Type': 'application/json' }) },
    { name: 'multipart without boundary', status: 400, error: /multipart/i, send: () => post(`${viewer.url}/profiling/v1/input`, Buffer.from('x'), { 'Content-Type': 'multipart/form-data' }) },
    {
      name: 'truncated multipart body', status: 400, error: /malformed multipart|Unexpected end/i,
      send: () => {
        const { body, contentType } = datadogUpload({ wall: good() }, { startMs: T0, endMs: T0 + 1000, service: 'hostile' });
        return post(`${viewer.url}/profiling/v1/input`, body.subarray(0, Math.floor(body.length * 0.6)), { 'Content-Type': contentType });
      },
    },
    { name: 'missing event part', status: 400, error: /missing multipart part "event"/, send: () => { const m = multipart([{ name: 'wall.pprof', filename: 'wall.pprof', data: good() }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'event.json that is not JSON', status: 400, error: /not valid JSON/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: '{"attachments":' }, { name: 'wall.pprof', filename: 'wall.pprof', data: good() }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'event.json of megabytes', status: 400, error: /event.json may have at most/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: JSON.stringify({ attachments: ['wall.pprof'], junk: 'x'.repeat(300 * 1024) }) }, { name: 'wall.pprof', filename: 'wall.pprof', data: good() }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'attachment listed but missing', status: 400, error: /lists attachment "cpu.pprof"/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: JSON.stringify({ attachments: ['wall.pprof', 'cpu.pprof'] }) }, { name: 'wall.pprof', filename: 'wall.pprof', data: good() }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'corrupt gzip', status: 400, error: /not valid gzip/, send: () => { const bad = Buffer.from(good()); bad.fill(0x55, 10, 40); const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: bad }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'truncated gzip', status: 400, error: /not valid gzip|unexpected end/i, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: good().subarray(0, 60) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'bytes that are not pprof', status: 400, error: /profile part "wall.pprof"/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: zlib.gzipSync(Buffer.from('this is not a protobuf, it is text '.repeat(20))) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'a valid and an invalid profile in one upload (all or nothing)', status: 400, error: /space.pprof/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: good() }, { name: 'space.pprof', filename: 'space.pprof', data: Buffer.from([0x0a, 0xff, 0xff]) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'declared body over the limit', status: 413, error: /exceeds the limit/, send: () => post(`${viewer.url}/profiling/v1/input`, Buffer.alloc(600 * 1024), { 'Content-Type': 'multipart/form-data; boundary=x' }) },
    {
      name: 'chunked body over the limit (no Content-Length)', status: 413, error: /exceeds the limit/,
      send: () => new Promise((resolve, reject) => {
        const req = require('node:http').request(`${viewer.url}/profiling/v1/input`, { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Transfer-Encoding': 'chunked' } }, (res: import('node:http').IncomingMessage) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        for (let i = 0; i < 12; i++) req.write(Buffer.alloc(64 * 1024, 0x41));
        req.end();
      }),
    },
    { name: 'gzip bomb (tiny part, huge when inflated)', status: 413, error: /decompresses to more than/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: zlib.gzipSync(Buffer.alloc(80 * 1024 * 1024)) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'truncated zstd', status: 400, error: /not valid zstd/, send: () => { const zst = readFileSync(join(__dirname, 'fixtures', 'wall.pprof.zst')); const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: zst.subarray(0, zst.length - 30) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'zstd bomb', status: 413, error: /decompress(es)? to (more than|at most)/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: event }, { name: 'wall.pprof', filename: 'wall.pprof', data: readFileSync(join(__dirname, 'fixtures', 'zeros-100mib.zst')) }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'too many parts', status: 400, error: /more than 64/, send: () => { const m = multipart(Array.from({ length: 80 }, (_, i) => ({ name: `f${i}`, data: 'x' }))); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'profile type that could be a path', status: 400, error: /unusable type/, send: () => { const m = multipart([{ name: 'event', filename: 'event.json', data: JSON.stringify({ attachments: [] }) }, { name: '../../evil.pprof', filename: '../../../evil.pprof', data: good() }]); return post(`${viewer.url}/profiling/v1/input`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'Pyroscope upload without name', status: 400, error: /application name/, send: () => { const m = pyroscopeUpload(good()); return post(`${viewer.url}/ingest?from=1`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'Pyroscope label name with bad characters', status: 400, error: /label name/, send: () => { const m = pyroscopeUpload(good()); return post(`${viewer.url}/ingest?name=${encodeURIComponent('app{a/b=1}')}`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'Pyroscope upload without a profile part', status: 400, error: /missing multipart part "profile"/, send: () => { const m = multipart([{ name: 'other', filename: 'x', data: good() }]); return post(`${viewer.url}/ingest?name=app`, m.body, { 'Content-Type': m.contentType }); } },
    { name: 'Pyroscope format this viewer does not read', status: 400, error: /unsupported Pyroscope ingest format/, send: () => post(`${viewer.url}/ingest?name=app&format=jfr`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' }) },
    { name: 'Pyroscope garbage from/until', status: 400, error: /"from" must be a Unix time/, send: () => { const m = pyroscopeUpload(good()); return post(`${viewer.url}/ingest?name=app&from=yesterday`, m.body, { 'Content-Type': m.contentType }); } },
  ];

  test.each(cases)('$name -> $status', async ({ status, error, send }) => {
    const before = await profileCount();
    const disk = diskState(viewer.dataDir);
    const res = await send();
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body).error).toMatch(error);
    expect(await profileCount()).toBe(before);
    expect(diskState(viewer.dataDir)).toEqual(disk);
    const health = await getJson(`${viewer.url}/api/services`);
    expect(health.status).toBe(200);
  });

  test('after all that, a good upload still works', async () => {
    expect((await ddPost({ wall: gz(wallProfile(T0)) }, T0, { service: 'after-hostile' })).status).toBe(200);
  });
});

describe('names never reach a file path', () => {
  const traversals = [
    '/api/profiles/..%2F..%2F..%2Fetc%2Fpasswd',
    '/api/profiles/..%2F..%2Fpackage.json/pprof',
    '/api/profiles/%2e%2e%2fmeta.json/pprof',
    '/api/profiles/0mwwfuyxa-3398d9144cc2.0%2F..%2F..%2Findex.jsonl/pprof',
    '/../package.json',
    '/%2e%2e/package.json',
    '/vendor/..%2f..%2fpackage.json',
    '/ui/../src/server.ts',
    '/index.jsonl',
    '/uploads',
    '/vendor/d3.js',
  ];
  test.each(traversals)('GET %s -> 404', async (path) => {
    // Sent raw: fetch would normalise the dots away before the server sees them.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = require('node:http').request(viewer.url, { path, method: 'GET' }, (r: import('node:http').IncomingMessage) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"name": "@vigil/viewer"');
    expect(res.body).not.toContain('root:');
  });

  test('hostile service names and part file names are data, not paths', async () => {
    const outside = join(viewer.dataDir, '..', 'evil-service');
    const res = await ddPost({ wall: gz(wallProfile(T0)) }, T0, { service: '../../evil-service', env: '<script>' });
    expect(res.status).toBe(200);
    const [profile] = (await getJson(`${viewer.url}/api/profiles?service=${encodeURIComponent('../../evil-service')}`)).json.profiles;
    expect(profile.env).toBe('<script>');
    const download = await fetch(`${viewer.url}/api/profiles/${profile.id}/pprof`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="wall_.._.._evil-service_${profile.id}.pprof"`);
    expect(existsSync(outside)).toBe(false);
    // Only store-made names on disk.
    for (const folder of readdirSync(join(viewer.dataDir, 'uploads'))) {
      expect(folder).toMatch(/^[0-9a-z]{8,12}-[0-9a-f]{12}$/);
      for (const file of readdirSync(join(viewer.dataDir, 'uploads', folder))) expect(file).toMatch(/^(\d+\.pprof|meta\.json)$/);
    }
  });

  test('function names come back verbatim in JSON (escaping is the UI\'s job, see browser.test.ts)', async () => {
    const top = (await getJson(`${viewer.url}/api/top?service=dd-gzip&type=wall`)).json;
    expect(top.functions.map((f: { name: string }) => f.name)).toContain(XSS_NAME);
  });

  test('a request for a loopback-only viewer under a foreign Host name is refused (DNS rebinding)', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const req = require('node:http').request(`${viewer.url}/api/services`, { headers: { Host: 'attacker.example:8126' } }, (r: import('node:http').IncomingMessage) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(403);
  });
});

test('slow clients hold no upload slot: 12 stalled bodies do not lock out an honest upload, and a stalled body gets 408', async () => {
  const { request } = require('node:http') as typeof import('node:http');
  const upload = datadogUpload({ wall: gz(wallProfile(T0)) }, { startMs: T0, endMs: T0 + 1000, service: 'busy' });
  // Twelve uploads that have sent part of their body and wait (a slowloris would trickle the rest).
  const held = Array.from({ length: 12 }, () => {
    const req = request(`${viewer.url}/profiling/v1/input`, { method: 'POST', headers: { 'Content-Type': upload.contentType, 'Content-Length': String(upload.body.length) } });
    const done = new Promise<number>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(-1));
    });
    req.write(upload.body.subarray(0, 100));
    return { req, done };
  });
  await new Promise((r) => setTimeout(r, 300));
  const honest = await post(`${viewer.url}/profiling/v1/input`, upload.body, { 'Content-Type': upload.contentType });
  expect(honest.status).toBe(200);
  // The stalled ones are answered 408 once their body pauses too long (BODY_IDLE_TIMEOUT_MS), never stored.
  const statuses = await Promise.all(held.map((h) => h.done));
  expect(statuses.every((status) => status === 408 || status === -1)).toBe(true);
  expect(statuses).toContain(408);
}, 60_000);
