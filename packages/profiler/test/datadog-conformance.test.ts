import busboy from 'busboy';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { decodeProfile, ProfileReader, sampleTypesOf, stringAt, type Profile } from '@vigil/core';

// Conformance with a real Datadog client: the current dd-trace (6.x; it needs Node >= 22, and on
// Node 20 it loads but does nothing, so there the latest 5.x runs instead) and Vigil's zero-code
// preload profile the same app with the same environment against a capturing agent. Every
// event.json key (recursively, with the `key:value` lists `tags_profiler` and `process_tags` split
// into keys), every header and every attachment dd-trace sends must be in Vigil's uploads too,
// unless it is on the short list below.

const nodeMajor = Number(process.versions.node.split('.')[0]);
const ddTraceModule = nodeMajor >= 22 ? 'dd-trace-v6' : 'dd-trace';
const ddTraceInit = join(__dirname, '..', 'node_modules', ddTraceModule, 'init.js');
const vigilRegister = join(__dirname, '..', 'dist', 'register.js');
const app = join(__dirname, 'fixtures', 'conformance-app.cjs');

/** What dd-trace sends that Vigil does not, and why. Prefix entries end with a dot. */
const ALLOWED_MISSING: Record<string, string> = {
  // dd-trace's own configuration report (`systemInfoReport`): switches of features Vigil does not
  // have or names differently (OOM heap extension, V8 bug workaround, ...). Vigil reports the keys
  // whose meaning carries over (checked below).
  'info.profiler.settings.': 'dd-trace configuration report',
  // Counters of @datadog/pprof's AsyncContextFrame context store and of dd-trace's events sampler.
  'info.profiler.wall.': 'dd-trace sampler internals',
  'info.profiler.events.': 'dd-trace events sampler internals',
  // Remote configuration client id: Vigil has no remote configuration.
  'tags_profiler._dd.rc.client_id': 'no remote configuration',
  // HTTP framing: dd-trace streams the form (chunked), Vigil sends a Content-Length.
  'header.transfer-encoding': 'framing',
};
/** Settings Vigil must report, with their meaning unchanged. */
const SETTINGS_SENT = ['profilerTypes', 'cpuProfilingEnabled', 'timelineEnabled', 'uploadCompression.method'];

interface Upload {
  url: string;
  headers: http.IncomingHttpHeaders;
  event: Record<string, unknown>;
  files: Map<string, Buffer>;
}

class CapturingAgent {
  readonly uploads: Upload[] = [];
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const isProfile = req.url === '/profiling/v1/input' || req.url === '/api/v2/profile';
    if (!isProfile) {
      // The tracer's other endpoints (telemetry, remote config, traces): answer and ignore.
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      return;
    }
    const files = new Map<string, Buffer>();
    const parser = busboy({ headers: req.headers });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.set(name, Buffer.concat(chunks)));
    });
    parser.on('close', () => {
      const event = JSON.parse(files.get('event')?.toString('utf8') ?? '{}') as Record<string, unknown>;
      files.delete('event');
      this.uploads.push({ url: req.url ?? '', headers: req.headers, event, files });
      res.writeHead(200).end();
    });
    req.pipe(parser);
  }
}

function runApp(preload: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const base = { ...process.env };
  for (const key of Object.keys(base)) if (/^(DD_|VIGIL_|OTEL_|UV_)/.test(key) || key === 'NODE_OPTIONS') delete base[key];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', preload, app], { cwd: join(__dirname, '..'), env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Node 26 deprecates module.register(), which @vigil/lock's ESM hook still calls: that warning
    // is register.test.ts's concern, not this comparison's.
    child.on('exit', (code) => resolve({ code, stderr: stderr.split('\n').filter((l) => !/DEP0205|--trace-deprecation/.test(l)).join('\n').trim() }));
  });
}

const GIT_URL = 'https://github.com/example/conformance-app';
const GIT_SHA = '0123456789abcdef0123456789abcdef01234567';
function commonEnv(agentUrl: string): Record<string, string> {
  return {
    DD_PROFILING_ENABLED: 'true',
    DD_TRACE_AGENT_URL: agentUrl,
    // Two seconds: short enough for several uploads, long enough that a loaded CI machine encodes and
    // uploads within the period (the upload timeout is capped at it).
    DD_PROFILING_UPLOAD_PERIOD: '2',
    DD_SERVICE: 'conformance',
    DD_ENV: 'test',
    DD_VERSION: '1.2.3',
    DD_TAGS: 'team:core',
    DD_TRACE_REPORT_HOSTNAME: 'true',
    DD_GIT_REPOSITORY_URL: GIT_URL,
    DD_GIT_COMMIT_SHA: GIT_SHA,
    UV_THREADPOOL_SIZE: '8',
    APP_RUN_MS: '5000',
  };
}

/** Every key path of a JSON value; the `key:value` lists become `<field>.<key>` paths. */
function keyPaths(event: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, path: string) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue;
        walk(v, path ? `${path}.${k}` : k);
      }
      return;
    }
    out.add(path);
  };
  walk(event, '');
  for (const field of ['tags_profiler', 'process_tags']) {
    for (const key of Object.keys(tagsOf(event, field))) out.add(`${field}.${key}`);
  }
  return out;
}

function tagsOf(event: Record<string, unknown>, field: string): Record<string, string> {
  const text = typeof event[field] === 'string' ? (event[field] as string) : '';
  return Object.fromEntries(text.split(',').filter(Boolean).map((t) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]));
}

function allKeys(uploads: Upload[]): Set<string> {
  const keys = new Set<string>();
  for (const u of uploads) {
    for (const k of keyPaths(u.event)) keys.add(k);
    for (const h of Object.keys(u.headers)) keys.add(`header.${h.toLowerCase()}`);
    for (const f of u.files.keys()) keys.add(`attachment.${f}`);
  }
  return keys;
}

function allowed(key: string): boolean {
  return Object.keys(ALLOWED_MISSING).some((entry) => (entry.endsWith('.') ? key.startsWith(entry) : key === entry));
}

function labelKinds(profile: Profile): Map<string, 'str' | 'num'> {
  const kinds = new Map<string, 'str' | 'num'>();
  for (const sample of profile.sample) {
    for (const label of sample.label) kinds.set(stringAt(profile, label.key), Number(label.str) !== 0 ? 'str' : 'num');
  }
  return kinds;
}

function threadNames(profile: Profile): Set<string> {
  const reader = new ProfileReader(profile);
  return new Set(profile.sample.map((s) => String(reader.labels(s)['thread name'])));
}

function firstProfile(uploads: Upload[], file: string): Profile {
  const data = uploads.find((u) => u.files.has(file))?.files.get(file);
  if (!data) throw new Error(`no upload carried ${file}`);
  // dd-trace compresses with zstd where Node has it (its `uploadCompression` setting says which).
  const zstd = (zlib as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
  if (data.readUInt32LE(0) === 0xfd2fb528 && zstd) return decodeProfile(zstd(data));
  return decodeProfile(data);
}

describe(`Datadog conformance with the real ${ddTraceModule} (Node ${nodeMajor})`, () => {
  let agent: CapturingAgent;
  let agentUrl: string;
  let ddTrace: Upload[];
  let vigil: Upload[];

  beforeAll(async () => {
    agent = new CapturingAgent();
    agentUrl = await agent.listen();
    const env = commonEnv(agentUrl);
    // The tracer's other features stay quiet (they talk to the same local agent anyway).
    const quiet = { DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_CRASHTRACKING_ENABLED: 'false', DD_RUNTIME_METRICS_ENABLED: 'false' };
    const ddRun = await runApp(ddTraceInit, { ...env, ...quiet });
    expect(ddRun.code).toBe(0);
    ddTrace = agent.uploads.splice(0);
    const vigilRun = await runApp(vigilRegister, env);
    expect({ code: vigilRun.code, stderr: vigilRun.stderr }).toEqual({ code: 0, stderr: '' });
    vigil = agent.uploads.splice(0);
  }, 120_000);

  afterAll(() => agent.close());

  test('dd-trace and Vigil both upload to the agent', () => {
    expect(ddTrace.length).toBeGreaterThan(0);
    expect(vigil.length).toBeGreaterThan(0);
    for (const u of [...ddTrace, ...vigil]) expect(u.url).toBe('/profiling/v1/input');
  });

  test('every event.json key, header and attachment dd-trace sends, Vigil sends too (or it is on the commented list)', () => {
    const vigilKeys = allKeys(vigil);
    const missing = [...allKeys(ddTrace)].filter((k) => !vigilKeys.has(k) && !allowed(k)).sort();
    expect(missing).toEqual([]);
    for (const setting of SETTINGS_SENT) expect(vigilKeys).toContain(`info.profiler.settings.${setting}`);
  });

  test('the values that describe the same process and setup agree', () => {
    const dd = ddTrace[0]!.event;
    const ours = vigil[0]!.event;
    for (const field of ['family', 'version']) expect(ours[field]).toBe(dd[field]);
    const ddTags = tagsOf(dd, 'tags_profiler');
    const ourTags = tagsOf(ours, 'tags_profiler');
    for (const key of ['language', 'runtime', 'runtime_arch', 'runtime_os', 'runtime_version', 'format', 'service', 'env', 'version', 'team', 'host', 'git.repository_url', 'git.commit.sha', 'snapshot']) {
      expect([key, ourTags[key]]).toEqual([key, ddTags[key]]);
    }
    expect(ourTags['git.repository_url']).toBe(GIT_URL);
    const info = (e: Record<string, unknown>) => e.info as Record<string, Record<string, unknown>>;
    expect(info(ours).runtime!.libuv_threadpool_size).toBe(8);
    expect(info(ours).runtime!.libuv_threadpool_size).toBe(info(dd).runtime!.libuv_threadpool_size);
    expect(info(ours).platform!.hostname).toBe(info(dd).platform!.hostname);
    expect(info(ours).profiler!.serverless).toBe(false);
    const ddProcess = tagsOf(dd, 'process_tags');
    const ourProcess = tagsOf(ours, 'process_tags');
    for (const key of Object.keys(ddProcess)) expect([key, ourProcess[key]]).toEqual([key, ddProcess[key]]);
    // Container identity: the same headers with the same values (on this machine at least the cgroup inode).
    for (const h of ['datadog-container-id', 'datadog-entity-id']) expect([h, vigil[0]!.headers[h]]).toEqual([h, ddTrace[0]!.headers[h]]);
  });

  test('one upload per period, numbered from 0 one by one, endpoint counts in each once', () => {
    for (const uploads of [ddTrace, vigil]) {
      const seqs = uploads.map((u) => Number(tagsOf(u.event, 'tags_profiler').profile_seq));
      expect(seqs).toEqual(seqs.map((_, i) => i));
      // No two uploads cover the same period: their starts differ.
      expect(new Set(uploads.map((u) => u.event.start)).size).toBe(uploads.length);
    }
    // Vigil's heap and timeline travel with the wall profile, as dd-trace's do.
    expect(vigil.some((u) => u.files.has('wall.pprof') && u.files.has('space.pprof'))).toBe(true);
    const splitOff = vigil.slice(0, -1).filter((u) => !u.files.has('wall.pprof')).map((u) => [...u.files.keys()]);
    expect(splitOff).toEqual([]);
  });

  test('profiles read alike: sample types, thread names, integer end_timestamp_ns, events period 1', () => {
    const ddWall = firstProfile(ddTrace, 'wall.pprof');
    const ourWall = firstProfile(vigil, 'wall.pprof');
    expect(sampleTypesOf(ourWall)).toEqual(sampleTypesOf(ddWall));
    const ourLabels = labelKinds(ourWall);
    for (const [key, kind] of labelKinds(ddWall)) expect([key, ourLabels.get(key)]).toEqual([key, kind]);
    expect(ourLabels.get('end_timestamp_ns')).toBe('num');
    expect(threadNames(ourWall)).toContain('Main Event Loop');
    expect(threadNames(ddWall)).toContain('Main Event Loop');
    // The other threads' CPU time is not the main thread's.
    const reader = new ProfileReader(ourWall);
    for (const sample of ourWall.sample) {
      if (reader.stack(sample)[0]?.name === '(non-JS threads)') expect(reader.labels(sample)['thread name']).toBe('Non-JS threads');
    }
    // The timeline's stamps fall inside the upload's period, in epoch nanoseconds.
    const stamps = ourWall.sample.map((s) => s.label.find((l) => stringAt(ourWall, l.key) === 'end_timestamp_ns')?.num).filter((n) => n !== undefined).map(Number);
    expect(stamps.length).toBeGreaterThan(0);
    const upload = vigil.find((u) => u.files.has('wall.pprof'))!;
    const startNs = Date.parse(String(upload.event.start)) * 1e6;
    const endNs = Date.parse(String(upload.event.end)) * 1e6;
    for (const stamp of stamps) expect(stamp >= startNs - 1e9 && stamp <= endNs + 1e9).toBe(true);

    // On Node 26 dd-trace's heap profile also carries alloc_* types; Vigil records allocations only
    // when asked (VIGIL_HEAP_ALLOCATIONS), since they cost more: the inuse_* types must match.
    const inuse = (p: Profile) => sampleTypesOf(p).filter(([type]) => type.startsWith('inuse_'));
    expect(inuse(firstProfile(vigil, 'space.pprof'))).toEqual(inuse(firstProfile(ddTrace, 'space.pprof')));
    expect(inuse(firstProfile(vigil, 'space.pprof'))).toHaveLength(2);
    const ourEvents = firstProfile(vigil, 'events.pprof');
    expect(Number(ourEvents.period)).toBe(Number(firstProfile(ddTrace, 'events.pprof').period));
    expect(Number(ourEvents.period)).toBe(1);
    expect(labelKinds(ourEvents).get('end_timestamp_ns')).toBe('num');
  });

  // Agentless: released dd-trace (5.x, 6.x) has no agentless profiling (with DD_AGENTLESS_ENABLED
  // it drops its profiling exporter); its agentless change (DataDog/dd-trace-js 896fe3ab, not in a
  // release yet) posts the same body to https://intake.profile.{DD_SITE}/api/v2/profile with a
  // `dd-api-key` header, and lets no one override that URL. So the body is checked against
  // dd-trace's agent upload, and Vigil's intake URL is pointed at the capturing server with
  // VIGIL_PROFILING_INTAKE_URL (which exists for proxies and relays).
  test('agentless: the same event and attachments to /api/v2/profile with DD-API-KEY', async () => {
    const apiKey = '0123456789abcdef0123456789abcdef';
    const run = await runApp(vigilRegister, {
      ...commonEnv('http://127.0.0.1:9'), // an agent that is not there: nothing may go to it
      DD_PROFILING_AGENTLESS: 'true',
      DD_API_KEY: apiKey,
      DD_SITE: 'datadoghq.eu',
      VIGIL_PROFILING_INTAKE_URL: agentUrl,
      APP_RUN_MS: '4500',
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const uploads = agent.uploads.splice(0);
    expect(uploads.length).toBeGreaterThan(0);
    for (const u of uploads) {
      expect(u.url).toBe('/api/v2/profile');
      expect(u.headers['dd-api-key']).toBe(apiKey);
    }
    const keys = allKeys(uploads);
    const missing = [...allKeys(ddTrace)].filter((k) => !keys.has(k) && !allowed(k)).sort();
    expect(missing).toEqual([]);
  }, 60_000);
});
