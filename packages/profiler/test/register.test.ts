import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, totalsByFunction } from '@vigil/core';

const distRegister = join(__dirname, '..', 'dist', 'register.js');
const distRegisterEsm = join(__dirname, '..', 'dist', 'register.mjs');
const fixture = (name: string) => join(__dirname, 'fixtures', name);

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_|OTEL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return { ...env, ...extra };
}

function runApp(args: string[], extraEnv: Record<string, string> = {}) {
  const out = mkdtempSync(join(tmpdir(), 'vigil-register-'));
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8', cwd: join(__dirname, '..'), timeout: 60_000,
    env: cleanEnv({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: `${out}/`, DD_SERVICE: 'register-test', ...extraEnv }),
  });
  const files = readdirSync(out).sort();
  return { ...result, out, files };
}

function load(out: string, file: string) {
  return decodeProfile(readFileSync(join(out, file)));
}

describe('@vigil/profiler/register (built package, real processes)', () => {
  test('--require on a CommonJS app: cpu, wall and heap profiles with the hotspot, exit code kept', () => {
    const run = runApp(['--require', distRegister, fixture('app.cjs')], { APP_EXIT_CODE: '5', DD_TAGS: 'team:core' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 5, stderr: '' });
    const types = [...new Set(run.files.map((f) => f.split('_')[0]))];
    expect(types).toEqual(expect.arrayContaining(['cpu', 'wall', 'space']));
    const cpuFile = run.files.find((f) => f.startsWith('cpu_'))!;
    expect(cpuFile).toMatch(new RegExp(`^cpu_${run.pid}_0_`));
    const cpu = totalsByFunction(load(run.out, cpuFile), 'cpu');
    const hot = cpu.functions.find((f) => f.name === 'hotLoop');
    expect(hot).toBeDefined();
    expect(hot!.self / cpu.total).toBeGreaterThan(0.5);
  });

  test('--import on an ES module app: profiles, and async-mutex contention in the lock profile', () => {
    const run = runApp(['--import', distRegisterEsm, fixture('app.mjs')], { VIGIL_LOCK_CAPTURE_PCT: '100' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.files.some((f) => f.startsWith('cpu_'))).toBe(true);
    const lockFile = run.files.find((f) => f.startsWith('lock_'));
    expect(lockFile).toBeDefined();
    const waits = totalsByFunction(load(run.out, lockFile!), 'lock-acquire-wait');
    expect(waits.total).toBeGreaterThan(0);
    expect(waits.functions.some((f) => f.name === 'criticalSection')).toBe(true);
  });

  test('a worker thread is profiled on its own, in files of its own thread id', () => {
    const run = runApp(['--require', distRegister, fixture('worker-app.cjs')], { DD_PROFILING_PROFILERS: 'cpu' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const byThread = new Map(run.files.map((f) => [f.split('_')[2], f]));
    expect([...byThread.keys()].sort()).toEqual(['0', '1']);
    const worker = totalsByFunction(load(run.out, byThread.get('1')!), 'cpu');
    expect(worker.functions.find((f) => f.name === 'workerBurn')!.self / worker.total).toBeGreaterThan(0.5);
    const main = totalsByFunction(load(run.out, byThread.get('0')!), 'cpu');
    expect(main.functions.some((f) => f.name === 'workerBurn')).toBe(false);
  });

  test('a TypeScript app run through tsx is profiled, with its .ts file names', () => {
    const run = runApp(['--import', 'tsx', '--require', distRegister, fixture('app.ts')], { DD_PROFILING_PROFILERS: 'cpu' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const cpu = totalsByFunction(load(run.out, run.files[0]!), 'cpu');
    const hot = cpu.functions.find((f) => f.name === 'priceOrders');
    expect(hot?.file).toMatch(/fixtures\/app\.ts$/);
    // The rest of the process's CPU is tsx compiling at startup.
    expect(hot!.cumulative / cpu.total).toBeGreaterThan(0.25);
  });

  test('preloaded twice (--require and --import) starts one profiler', () => {
    const run = runApp(['--require', distRegister, '--import', distRegisterEsm, fixture('app.cjs')]);
    expect(run.status).toBe(0);
    expect(run.files.filter((f) => f.startsWith('cpu_'))).toHaveLength(1);
  });

  test('without DD_PROFILING_ENABLED nothing starts and nothing is printed', () => {
    const run = runApp(['--require', distRegister, fixture('app.cjs')], { DD_PROFILING_ENABLED: '' });
    expect({ status: run.status, stderr: run.stderr, stdout: run.stdout, files: run.files }).toEqual({ status: 0, stderr: '', stdout: '', files: [] });
  });

  test('malformed values are one warning each; the app runs and is profiled with the defaults', () => {
    const run = runApp(['--require', distRegister, fixture('app.cjs')], { DD_PROFILING_UPLOAD_PERIOD: 'soon', DD_TRACE_AGENT_PORT: 'x', DD_PROFILING_PROFILERS: 'cpu,gpu' });
    expect(run.status).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(run.stderr).toContain('DD_PROFILING_UPLOAD_PERIOD="soon" is not a number of seconds');
    expect(run.stderr).toContain('DD_TRACE_AGENT_PORT="x" is not an integer');
    expect(run.stderr).toContain('unknown profilers gpu ignored');
    expect(run.files.map((f) => f.split('_')[0])).toEqual(['cpu']);
  });

  // A real load failure: a preload makes every require (and import) of @datadog/pprof throw, as a
  // missing prebuilt binary does; every dimension is on (no DD_PROFILING_PROFILERS), as a new user runs it.
  test.each([
    ['--require', distRegister, 'break-native-addon.cjs', 'lock-app.cjs'],
    ['--import', distRegisterEsm, 'break-native-addon.mjs', 'app.mjs'],
  ])('a native addon that cannot load (%s): the app runs, one line names the cause, lock and the exporter still work', (flag, register, breaker, app) => {
    const run = runApp([flag, fixture(breaker), flag, register, fixture(app)], { VIGIL_LOCK_CAPTURE_PCT: '100' });
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/native addon @datadog\/pprof cannot load here \(No native build was found .*\); CPU, wall and heap profiling are off/);
    expect(run.files.map((f) => f.split('_')[0])).toEqual(['lock']);
    const waits = totalsByFunction(load(run.out, run.files[0]!), 'lock-acquire-wait');
    expect(waits.functions.some((f) => f.name === 'criticalSection')).toBe(true);
  });
});

describe('import { Profiler } from "@vigil/profiler"', () => {
  test('every dimension is on by default, and options still win', async () => {
    const { Profiler } = await import('@vigil/profiler');
    const names = (p: InstanceType<typeof Profiler>) => (p as unknown as { collectors: { name: string }[] }).collectors.map((c) => c.name);
    const all = new Profiler({ logger: 'silent', exporters: [], environment: {} });
    expect(names(all)).toEqual(['cpu', 'wall', 'heap', 'lock']);
    const hotspots = new Profiler({ logger: 'silent', exporters: [], environment: { DD_PROFILING_CODEHOTSPOTS_ENABLED: 'true' } });
    expect(names(hotspots)).toEqual(['cpu', 'wall', 'heap', 'lock', 'tracing-correlation']);
    const some = new Profiler({ logger: 'silent', exporters: [], environment: { DD_PROFILING_PROFILERS: 'heap,cpu' } });
    expect(names(some)).toEqual(['cpu', 'heap']);
  });
});
