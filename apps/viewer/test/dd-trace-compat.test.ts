import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { getJson } from './helpers/uploads';
import { startTestViewer, type TestViewer } from './helpers/viewer';

// The real dd-trace profiler (Node: gzip uploads before Node 24, zstd from 24 on) pointed at the viewer.
let viewer: TestViewer;
beforeAll(async () => {
  viewer = await startTestViewer();
});
afterAll(() => viewer.close());

test('dd-trace 5 uploads its profiles to the viewer unchanged', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'dd-trace-app.ts')], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DD_TRACE_AGENT_URL: viewer.url,
      DD_PROFILING_ENABLED: 'true',
      DD_PROFILING_UPLOAD_PERIOD: '1',
      DD_SERVICE: 'dd-trace-app',
      DD_ENV: 'compat',
      DD_VERSION: '9.9.9',
      DD_TAGS: 'team:viewer',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
    },
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  try {
    const deadline = Date.now() + 30_000;
    let wall: { id: string; env: string; version: string; tags: Record<string, string> } | undefined;
    let types: string[] = [];
    while (Date.now() < deadline) {
      const { json } = await getJson(`${viewer.url}/api/profiles?service=dd-trace-app`);
      types = [...new Set((json.profiles as { type: string }[]).map((p) => p.type))];
      wall = json.profiles.find((p: { type: string }) => p.type === 'wall');
      if (wall && json.total >= 4) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!wall) throw new Error(`no wall profile from dd-trace within 30 s; stderr: ${stderr.slice(0, 2000)}`);
    expect(types).toEqual(expect.arrayContaining(['wall', 'space']));
    expect(wall).toMatchObject({ env: 'compat', version: '9.9.9' });
    // dd-trace compresses with zstd from Node 24 on and with gzip before.
    expect((wall as unknown as { compression: string }).compression).toBe(Number(process.versions.node.split('.')[0]) >= 24 ? 'zstd' : 'gzip');
    expect(wall.tags).toMatchObject({ team: 'viewer', language: 'javascript', runtime: 'nodejs' });
    const top = (await getJson(`${viewer.url}/api/top?service=dd-trace-app&type=wall`)).json;
    const busy = top.functions.find((f: { name: string }) => f.name === 'ddTraceBusyLoop');
    expect(busy).toBeDefined();
    expect(busy.selfShare).toBeGreaterThan(0.2);
    const meta = (await getJson(`${viewer.url}/api/profiles/${wall.id}`)).json;
    expect(meta.extra).toMatchObject({ family: 'node', version: '4' });
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);
