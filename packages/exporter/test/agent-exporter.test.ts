import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeProfile, isGzip, PROFILER_VERSION, sampleTypesOf, totalsByFunction, totalsByLabel, type Logger } from '@vigil/core';
import { agentExporter } from '@vigil/exporter';
import { IntakeServer, part } from './helpers/intake-server';
import { batchOf, cpuProfile, eventsProfile, fullBatch, heapProfile, PERIOD, wallProfile } from './helpers/profiles';

const signal = () => new AbortController().signal;

describe('agentExporter', () => {
  let server: IntakeServer;
  let url: string;
  beforeEach(async () => {
    server = new IntakeServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('uploads one multipart request in the Datadog agent format, field by field', async () => {
    const exporter = agentExporter({ url, env: {} });
    const result = await exporter.export(fullBatch(), signal());
    await exporter.shutdown();
    expect(result).toEqual({ ok: true });
    expect(server.accepted).toHaveLength(1);
    const request = server.accepted[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/profiling/v1/input');
    expect(request.headers['dd-evp-origin']).toBe('vigil');
    expect(request.headers['dd-evp-origin-version']).toBe(PROFILER_VERSION);
    expect(request.headers['dd-api-key']).toBeUndefined();

    const eventPart = part(request, 'event');
    expect(eventPart.filename).toBe('event.json');
    expect(eventPart.mimeType).toBe('application/json');
    const event = JSON.parse(eventPart.data.toString('utf8'));
    expect(event.attachments).toEqual(['wall.pprof', 'space.pprof', 'events.pprof', 'lock.pprof']);
    expect(event.start).toBe(new Date(PERIOD.startMs).toISOString());
    expect(event.end).toBe(new Date(PERIOD.endMs).toISOString());
    expect(event.family).toBe('node');
    expect(event.version).toBe('4');
    expect(event.endpoint_counts).toEqual({ 'GET /users': 12 });
    const tags = Object.fromEntries(String(event.tags_profiler).split(',').map((t: string) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]));
    expect(tags).toMatchObject({
      service: 'web-service', env: 'production', version: '2.1.0', team: 'backend',
      language: 'javascript', runtime: 'nodejs', runtime_version: process.version,
      process_id: String(process.pid), profiler_version: PROFILER_VERSION, profile_seq: '0', format: 'pprof', snapshot: 'periodic',
    });
    expect(tags['runtime-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.info.application).toMatchObject({ service: 'web-service', env: 'production', version: '2.1.0' });
    expect(event.info.runtime).toMatchObject({ engine: 'nodejs', version: process.versions.node });
    expect(event.info.profiler.version).toBe(PROFILER_VERSION);
    expect(typeof event.info.platform.kernel_name).toBe('string');

    // Every attachment is a gzip pprof part named as its file.
    for (const name of event.attachments) {
      const p = part(request, name);
      expect(p.filename).toBe(name);
      expect(isGzip(p.data)).toBe(true);
      expect(() => decodeProfile(gunzipSync(p.data))).not.toThrow();
    }
    const wall = decodeProfile(part(request, 'wall.pprof').data);
    expect(sampleTypesOf(wall)).toEqual([['sample', 'count'], ['wall', 'nanoseconds'], ['cpu', 'nanoseconds']]);
    // wall values kept as the wall profile had them; cpu from the cpu profile; sample/count not double counted.
    expect(totalsByFunction(wall, 'wall').total).toBe(100_000_000);
    expect(totalsByFunction(wall, 'cpu').total).toBe(50_000_000);
    expect(totalsByFunction(wall, 'sample').total).toBe(10);
    expect(totalsByFunction(wall, 'cpu').functions[0]).toMatchObject({ name: 'hotLoop', self: 50_000_000 });
    expect(sampleTypesOf(decodeProfile(part(request, 'space.pprof').data))).toEqual([['inuse_objects', 'count'], ['inuse_space', 'bytes']]);
    expect(sampleTypesOf(decodeProfile(part(request, 'events.pprof').data))).toEqual([['timeline', 'nanoseconds']]);
    expect(totalsByFunction(decodeProfile(part(request, 'lock.pprof').data), 'lock-acquire-wait').total).toBe(9_000_000);
  });

  test('cpu alone travels as wall.pprof; odd type names become safe attachment names', async () => {
    const exporter = agentExporter({ url, env: {} });
    const batch = batchOf([{ type: 'cpu', profile: cpuProfile() }, { type: '../../etc/x"y', profile: wallProfile() }]);
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    await exporter.shutdown();
    const event = JSON.parse(part(server.accepted[0]!, 'event').data.toString());
    expect(event.attachments).toEqual(['wall.pprof', '_.._etc_x_y.pprof']);
    expect(sampleTypesOf(decodeProfile(part(server.accepted[0]!, 'wall.pprof').data))).toEqual([['sample', 'count'], ['cpu', 'nanoseconds']]);
    expect(part(server.accepted[0]!, '_.._etc_x_y.pprof').filename).toBe('_.._etc_x_y.pprof');
  });

  test('one upload per period: profiles with their own tags (a worker, the heap) stay in it, their tags become sample labels', async () => {
    const exporter = agentExporter({ url, env: {} });
    const mainThread = { 'thread id': '0', 'thread name': 'Main Event Loop' };
    const worker = wallProfile();
    const batch = batchOf([
      { type: 'wall', profile: wallProfile() },
      { type: 'cpu', profile: cpuProfile() },
      { type: 'wall', profile: worker, tags: { 'thread id': '7', 'thread name': 'Worker #7 Event Loop' } },
      { type: 'space', profile: heapProfile(), tags: mainThread },
      { type: 'events', profile: eventsProfile(), tags: mainThread },
    ]);
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.accepted).toHaveLength(1);
    const event = JSON.parse(part(server.accepted[0]!, 'event').data.toString());
    expect(event.attachments).toEqual(['wall.pprof', 'space.pprof', 'events.pprof']);
    expect(event.endpoint_counts).toEqual({ 'GET /users': 12 });
    expect(event.tags_profiler).not.toContain('thread');

    // Both threads' wall time adds up (sample/count too); cpu comes from the cpu profile alone.
    const wall = decodeProfile(part(server.accepted[0]!, 'wall.pprof').data);
    expect(totalsByFunction(wall, 'wall').total).toBe(200_000_000);
    expect(totalsByFunction(wall, 'sample').total).toBe(20);
    expect(totalsByFunction(wall, 'cpu').total).toBe(50_000_000);
    const byThread = totalsByLabel(wall, 'wall', 'thread name');
    expect(byThread.get('Worker #7 Event Loop')).toBe(100_000_000);
    const space = decodeProfile(part(server.accepted[0]!, 'space.pprof').data);
    expect(totalsByLabel(space, 'inuse_space', 'thread name').get('Main Event Loop')).toBe(4096);
    // The batch's profiles are shared with other exporters: the labels went on copies.
    expect(worker.sample.every((sample) => sample.label.length === 0)).toBe(true);
    expect(worker.stringTable.strings).not.toContain('thread id');
  });

  test('profile_seq counts uploads from 0, one by one, whatever the period numbers', async () => {
    const exporter = agentExporter({ url, env: {} });
    for (const seq of [1, 2, 5]) {
      const batch = batchOf([{ type: 'wall', profile: wallProfile() }], { period: { seq, startMs: PERIOD.startMs, endMs: PERIOD.endMs, final: seq === 5 } });
      expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    }
    await exporter.shutdown();
    const tags = server.accepted.map((r) => String(JSON.parse(part(r, 'event').data.toString()).tags_profiler).split(','));
    expect(tags.map((t) => t.find((x) => x.startsWith('profile_seq:')))).toEqual(['profile_seq:0', 'profile_seq:1', 'profile_seq:2']);
    expect(tags.map((t) => t.find((x) => x.startsWith('snapshot:')))).toEqual(['snapshot:periodic', 'snapshot:periodic', 'snapshot:on_shutdown']);
  });

  test('reaches the agent through a unix socket named by DD_TRACE_AGENT_URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sock-'));
    const unixServer = new IntakeServer();
    try {
      await unixServer.listen(join(dir, 'apm.socket'));
      const exporter = agentExporter({ env: { DD_TRACE_AGENT_URL: `unix://${join(dir, 'apm.socket')}` } });
      expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
      await exporter.shutdown();
      expect(unixServer.accepted).toHaveLength(1);
      expect(unixServer.accepted[0]!.url).toBe('/profiling/v1/input');
      expect(JSON.parse(part(unixServer.accepted[0]!, 'event').data.toString()).attachments).toContain('wall.pprof');
    } finally {
      await unixServer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('DD_AGENT_HOST and DD_TRACE_AGENT_PORT pick the agent', async () => {
    const exporter = agentExporter({ env: { DD_AGENT_HOST: '127.0.0.1', DD_TRACE_AGENT_PORT: String(server.port) } });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.accepted).toHaveLength(1);
  });

  test('reuses one keep-alive connection for consecutive uploads', async () => {
    const exporter = agentExporter({ url, env: {} });
    for (let i = 0; i < 3; i++) expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.accepted.map((r) => r.connection)).toEqual([1, 1, 1]);
  });

  test('agentless mode posts to the intake with DD-API-KEY and never shows the key in errors or logs', async () => {
    const apiKey = 'abcdef0123456789secretkey';
    const lines: string[] = [];
    const logger: Logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m) };
    const exporter = agentExporter({ env: { DD_PROFILING_AGENTLESS: 'true', DD_API_KEY: apiKey, DD_SITE: 'datadoghq.eu' }, intakeUrl: url, logger, retry: { maxAttempts: 2, initialBackoffMs: 10 } });
    expect(exporter.name).toBe('agentless');
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    const request = server.accepted[0]!;
    expect(request.url).toBe('/api/v2/profile');
    expect(request.headers['dd-api-key']).toBe(apiKey);

    // A server that echoes the key back in its error body.
    server.behave = (_i, req) => ({ kind: 'status', status: 403, body: `invalid key ${String(req.headers['dd-api-key'])}` });
    const refused = await exporter.export(fullBatch(), signal());
    server.behave = () => ({ kind: 'status', status: 500, body: `try again ${apiKey}` });
    const failed = await exporter.export(fullBatch(), signal());
    await exporter.shutdown();
    expect(refused.ok).toBe(false);
    expect(failed.ok).toBe(false);
    const messages = [!refused.ok ? refused.error.message : '', !failed.ok ? failed.error.message : '', ...lines].join('\n');
    expect(messages).toContain('HTTP 403');
    expect(messages).toContain('<redacted>');
    expect(messages).not.toContain(apiKey);
  });

  test('agentless without an API key falls back to the agent with one warning', async () => {
    const lines: string[] = [];
    const logger: Logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: () => undefined, debug: () => undefined };
    const exporter = agentExporter({ env: { DD_PROFILING_AGENTLESS: 'true', DD_TRACE_AGENT_URL: url }, logger });
    expect(exporter.agentless).toBe(false);
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DD_API_KEY');
  });
});
