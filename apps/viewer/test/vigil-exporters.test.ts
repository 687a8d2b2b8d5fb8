import { Profiler, runtimeInfo, ProfileBuilder, withLabels, type Exporter, type ProfileBatch } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { agentExporter, otlpExporter, pyroscopeExporter } from '@vigil/exporter';
import { eventsProfile, HEAVY, spaceProfile, wallProfile } from './helpers/profiles';
import { getJson } from './helpers/uploads';
import { recordingLogger, startTestViewer, type TestViewer } from './helpers/viewer';

// Vigil's own exporters, unchanged, pointed at the viewer: what `vigil serve` users do.
let viewer: TestViewer;
beforeAll(async () => {
  viewer = await startTestViewer();
});
afterAll(() => viewer.close());

function lockProfile(startMs: number) {
  const b = new ProfileBuilder({
    sampleTypes: [['lock-acquire', 'count'], ['lock-acquire-wait', 'nanoseconds'], ['lock-release', 'count'], ['lock-release-hold', 'nanoseconds']],
    timeNanos: BigInt(startMs) * 1_000_000n,
    durationNanos: 60_000_000_000n,
  });
  b.addSample([{ name: 'withDbLock', file: '/app/db.js', line: 9 }], [3, 45_000_000, 3, 90_000_000], { 'lock name': '/app/db.js:3:dbMutex' });
  return b.build();
}

function batch(service: string): ProfileBatch {
  const startMs = Date.now() - 60_000;
  const runtime = runtimeInfo();
  return {
    period: { seq: 1, startMs, endMs: startMs + 60_000, final: false },
    tags: { service, env: 'dev', version: '0.0.1', 'runtime-id': runtime.runtimeId, process_id: String(runtime.pid) },
    profiles: [
      { type: 'wall', profile: wallProfile(startMs) },
      { type: 'space', profile: spaceProfile(startMs, 1_000_000) },
      { type: 'events', profile: eventsProfile(startMs) },
      { type: 'lock', profile: lockProfile(startMs) },
    ],
    endpointCounts: { 'GET /compute': 4 },
    runtime,
  };
}

test('@vigil/exporter agentExporter uploads land in the viewer with every profile type', async () => {
  const exporter = agentExporter({ url: viewer.url, env: {}, logger: recordingLogger([]) });
  const result = await exporter.export(batch('via-agent'), new AbortController().signal);
  await exporter.shutdown();
  expect(result).toEqual({ ok: true });
  const { services } = (await getJson(`${viewer.url}/api/services`)).json;
  const service = services.find((s: { name: string }) => s.name === 'via-agent');
  expect(service).toMatchObject({ envs: ['dev'], versions: ['0.0.1'] });
  expect(service.types.map((t: { type: string }) => t.type)).toEqual(['events', 'lock', 'space', 'wall']);
  const top = (await getJson(`${viewer.url}/api/top?service=via-agent&type=wall`)).json;
  expect(top.functions[0].name).toBe(HEAVY);
  const lockTop = (await getJson(`${viewer.url}/api/top?service=via-agent&type=lock`)).json;
  expect(lockTop).toMatchObject({ sampleType: 'lock-acquire-wait', total: 45_000_000 });
  const [profile] = (await getJson(`${viewer.url}/api/profiles?service=via-agent&type=wall`)).json.profiles;
  expect((await getJson(`${viewer.url}/api/profiles/${profile.id}`)).json.endpointCounts).toEqual({ 'GET /compute': 4 });
});

test('@vigil/exporter pyroscopeExporter uploads land in the viewer', async () => {
  const exporter = pyroscopeExporter({ serverAddress: viewer.url, env: {}, logger: recordingLogger([]) });
  const result = await exporter.export(batch('via-pyroscope'), new AbortController().signal);
  await exporter.shutdown();
  expect(result).toEqual({ ok: true });
  const profiles = (await getJson(`${viewer.url}/api/profiles?service=via-pyroscope`)).json.profiles as { type: string; source: string; env: string }[];
  expect(profiles.every((p) => p.source === 'pyroscope' && p.env === 'dev')).toBe(true);
  // Pyroscope has no timeline view, so the exporter leaves `events` out by default.
  expect(profiles.map((p) => p.type).sort()).toEqual(['lock', 'space', 'wall']);
  const top = (await getJson(`${viewer.url}/api/top?service=via-pyroscope&type=wall`)).json;
  expect(top.functions[0].name).toBe(HEAVY);
});

test('@vigil/exporter otlpExporter uploads land in the viewer, with the same flame graph as the pprof upload', async () => {
  const same = batch('via-otlp');
  const otlp = otlpExporter({ url: viewer.url, env: {}, logger: recordingLogger([]) });
  expect(await otlp.export(same, new AbortController().signal)).toEqual({ ok: true });
  await otlp.shutdown();
  const agent = agentExporter({ url: viewer.url, env: {}, logger: recordingLogger([]) });
  expect(await agent.export({ ...same, tags: { ...same.tags, service: 'via-agent-twin' } }, new AbortController().signal)).toEqual({ ok: true });
  await agent.shutdown();
  const { services } = (await getJson(`${viewer.url}/api/services`)).json;
  const service = services.find((s: { name: string }) => s.name === 'via-otlp');
  expect(service).toMatchObject({ envs: ['dev'], versions: ['0.0.1'] });
  expect(JSON.stringify((await getJson(`${viewer.url}/api/flamegraph?service=via-otlp&type=wall`)).json)).toContain(HEAVY);
  for (const type of ['wall', 'space', 'lock']) {
    const viaOtlp = (await getJson(`${viewer.url}/api/flamegraph?service=via-otlp&type=${type}`)).json;
    const viaPprof = (await getJson(`${viewer.url}/api/flamegraph?service=via-agent-twin&type=${type}`)).json;
    expect(viaOtlp.value).toBeGreaterThan(0);
    expect(viaOtlp.profileCount).toBe(1);
    expect(viaOtlp).toEqual(viaPprof);
  }
});

test('a malformed OTLP request is a 400 and stores nothing', async () => {
  const before = (await getJson(`${viewer.url}/api/services`)).json.services.length;
  const res = await fetch(`${viewer.url}/v1development/profiles`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from('definitely not protobuf \xff\xff') });
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/not a valid OTLP ExportProfilesServiceRequest/);
  expect((await getJson(`${viewer.url}/api/services`)).json.services.length).toBe(before);
});

test("an app's own labels (withLabels) reach the viewer through every exporter, as a label filter", async () => {
  // A real profiler and sampler in this process: two tenants' CPU work under withLabels.
  const batches: ProfileBatch[] = [];
  const recorder: Exporter = { name: 'recorder', export: async (b) => { batches.push(b); return { ok: true }; }, shutdown: async () => undefined };
  const profiler = new Profiler({ service: 'labelled', collectors: [cpu()], exporters: [recorder], logger: 'silent', environment: {} });
  profiler.start({ stopOnExit: false, profileChildren: false });
  const burnFor = (ms: number) => { const end = performance.now() + ms; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1); return x; };
  for (let i = 0; i < 20; i++) {
    await withLabels({ tenant: 'acme' }, async () => { burnFor(15); await new Promise((r) => setImmediate(r)); burnFor(15); });
    withLabels({ tenant: 'globex' }, () => burnFor(10));
  }
  await profiler.stop({ flush: true });
  const real = batches.find((b) => b.profiles.some((p) => p.type === 'cpu'))!;
  expect(real).toBeDefined();
  const exporters = {
    'labels-agent': agentExporter({ url: viewer.url, env: {}, logger: recordingLogger([]) }),
    'labels-pyroscope': pyroscopeExporter({ serverAddress: viewer.url, env: {}, logger: recordingLogger([]) }),
    'labels-otlp': otlpExporter({ url: viewer.url, env: {}, logger: recordingLogger([]) }),
  };
  for (const [service, exporter] of Object.entries(exporters)) {
    expect(await exporter.export({ ...real, tags: { ...real.tags, service } }, new AbortController().signal)).toEqual({ ok: true });
    await exporter.shutdown();
    // The agent protocol carries CPU samples in the wall profile: find the profile type that has them.
    const stored = (await getJson(`${viewer.url}/api/services`)).json.services.find((s: { name: string }) => s.name === service);
    const type = stored.types.find((t: { sampleTypes: Array<{ type: string }> }) => t.sampleTypes.some((st) => st.type === 'cpu')).type;
    const q = `service=${service}&type=${type}&sampleType=cpu`;
    const labels = (await getJson(`${viewer.url}/api/labels?${q}`)).json.labels;
    expect(labels.tenant.map((v: { value: string }) => v.value).sort()).toEqual(['acme', 'globex']);
    const acme = (await getJson(`${viewer.url}/api/flamegraph?${q}&label.tenant=acme`)).json;
    const globex = (await getJson(`${viewer.url}/api/flamegraph?${q}&label.tenant=globex`)).json;
    // acme burns 30 ms a round to globex's 10.
    expect(acme.value).toBeGreaterThan(globex.value);
    expect(globex.value).toBeGreaterThan(0);
  }
}, 60_000);
