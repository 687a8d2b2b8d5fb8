import { decodeProfile, isGzip, sampleTypesOf } from '@vigil/core';
import { pyroscopeExporter } from '@vigil/exporter';
import { IntakeServer, part, type ReceivedRequest } from './helpers/intake-server';
import { batchOf, fullBatch, PERIOD, wallProfile } from './helpers/profiles';

const signal = () => new AbortController().signal;

function query(request: ReceivedRequest): URLSearchParams {
  return new URL(request.url, 'http://x').searchParams;
}

function typesOf(request: ReceivedRequest): string[] {
  return sampleTypesOf(decodeProfile(part(request, 'profile').data)).map(([t]) => t);
}

describe('pyroscopeExporter', () => {
  let server: IntakeServer;
  let url: string;
  beforeEach(async () => {
    server = new IntakeServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('sends one /ingest request per profile with name, from, until, spyName and a pprof part', async () => {
    const exporter = pyroscopeExporter({ serverAddress: url, appName: 'checkout', tags: { region: 'us-east-1' }, env: {} });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    // wall, cpu, space, lock; the events timeline is not something Pyroscope can show.
    expect(server.accepted).toHaveLength(4);
    for (const request of server.accepted) {
      expect(request.method).toBe('POST');
      expect(new URL(request.url, 'http://x').pathname).toBe('/ingest');
      const q = query(request);
      expect(q.get('from')).toBe(String(PERIOD.startMs / 1000));
      expect(q.get('until')).toBe(String(PERIOD.endMs / 1000));
      expect(q.get('spyName')).toBe('nodespy');
      expect(q.get('format')).toBeNull();
      const name = q.get('name')!;
      expect(name.startsWith('checkout{')).toBe(true);
      const labels = Object.fromEntries(name.slice('checkout{'.length, -1).split(',').map((kv) => kv.split('=')));
      expect(labels).toEqual({ env: 'production', version: '2.1.0', team: 'backend', region: 'us-east-1' });
      const profilePart = part(request, 'profile');
      expect(profilePart.filename).toBe('profile.pprof');
      expect(isGzip(profilePart.data)).toBe(true);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['x-scope-orgid']).toBeUndefined();
    }
    const byTypes = server.accepted.map(typesOf);
    expect(byTypes).toEqual([
      ['sample', 'wall'],
      ['sample', 'cpu'],
      ['inuse_objects', 'inuse_space'],
      ['lock-acquire', 'lock-acquire-wait', 'lock-release', 'lock-release-hold'],
    ]);
    // Sampled profiles carry their rate (10 ms period -> 100 Hz), as the Node client does.
    expect(query(server.accepted[0]!).get('sampleRate')).toBe('100');
  });

  test('lock profiles carry a sample_type_config that maps them to mutex data; others carry none', async () => {
    const exporter = pyroscopeExporter({ serverAddress: url, env: {} });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    const lock = server.accepted.find((r) => typesOf(r).includes('lock-acquire'))!;
    const configPart = part(lock, 'sample_type_config');
    expect(configPart.filename).toBe('sample_type_config.json');
    const config = JSON.parse(configPart.data.toString());
    expect(config['lock-acquire']).toEqual({ units: 'lock_samples', 'display-name': 'mutex_count', aggregation: 'sum' });
    expect(config['lock-acquire-wait']).toEqual({ units: 'lock_nanoseconds', 'display-name': 'mutex_duration', aggregation: 'sum' });
    for (const other of server.accepted.filter((r) => r !== lock)) expect(other.parts.map((p) => p.name)).toEqual(['profile']);
    // Without appName, the service tag names the application.
    expect(query(lock).get('name')!.startsWith('web-service{')).toBe(true);
  });

  test('bearer token and tenant id from the environment; label names and values made acceptable to the parser', async () => {
    const exporter = pyroscopeExporter({
      env: { PYROSCOPE_SERVER_ADDRESS: url, PYROSCOPE_AUTH_TOKEN: 'tok-123456', PYROSCOPE_TENANT_ID: 'team-a', PYROSCOPE_APPLICATION_NAME: 'my app' },
    });
    const batch = batchOf([{ type: 'wall', profile: wallProfile(), tags: { 'thread id': '3' } }], {
      tags: { service: 's', 'weird,key': 'a,b}c=d', 'runtime-id': 'x', process_id: '1' },
    });
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    await exporter.shutdown();
    const request = server.accepted[0]!;
    expect(request.headers.authorization).toBe('Bearer tok-123456');
    expect(request.headers['x-scope-orgid']).toBe('team-a');
    expect(query(request).get('name')).toBe('my_app{weird_key=a_b_c_d,thread_id=3}');
  });

  test('basic auth, and credentials never appear in errors', async () => {
    server.behave = (_i, req) => ({ kind: 'status', status: 401, body: `bad credentials ${String(req.headers.authorization)}` });
    const exporter = pyroscopeExporter({ serverAddress: url, basicAuth: { username: 'user', password: 'hunter2-secret' }, env: {} });
    const result = await exporter.export(batchOf([{ type: 'wall', profile: wallProfile() }]), signal());
    await exporter.shutdown();
    expect(server.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:hunter2-secret').toString('base64')}`);
    expect(result.ok).toBe(false);
    const message = !result.ok ? result.error.message : '';
    expect(message).toContain('HTTP 401');
    expect(message).not.toContain('hunter2-secret');
    expect(message).not.toContain(Buffer.from('user:hunter2-secret').toString('base64'));
  });
});
