// What the preload loads, seen from a real process: nothing of Vigil when profiling is off, only
// the packages of the collectors that are on, and the lock ESM hooks (a thread of their own) only
// when a lock library they instrument is installed for the app.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const distRegister = join(__dirname, '..', 'dist', 'register.js');
const distRegisterEsm = join(__dirname, '..', 'dist', 'register.mjs');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_|OTEL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return { ...env, ...extra };
}

/** Runs `app` (a CommonJS file written to `dir`) under the preload; returns the loaded module paths and the hooks flag. */
function loadedBy(env: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'vigil-lazy-')), preload = ['--require', distRegister]) {
  const app = join(dir, 'app.cjs');
  writeFileSync(app, `process.stdout.write(JSON.stringify({ modules: Object.keys(require.cache), builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)), esmHooks: globalThis[Symbol.for('vigil.lock.esm-hooks.v1')] === true }));`);
  const out = mkdtempSync(join(tmpdir(), 'vigil-lazy-out-'));
  const run = spawnSync(process.execPath, [...preload, app], {
    encoding: 'utf8', cwd: dir, timeout: 60_000,
    env: cleanEnv({ DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: `${out}/`, ...env }),
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const { modules, builtins, esmHooks } = JSON.parse(run.stdout) as { modules: string[]; builtins: string[]; esmHooks: boolean };
  const has = (fragment: string) => modules.some((m) => m.includes(fragment));
  return { modules, builtins, esmHooks, has };
}

describe('the preload loads only what is switched on', () => {
  test('DD_PROFILING_ENABLED=false: the preload file alone, no other Vigil package, no native addon', () => {
    const run = loadedBy({ DD_PROFILING_ENABLED: 'false' });
    const vigil = run.modules.filter((m) => /[\\/]packages[\\/]|@vigil|@datadog/.test(m));
    expect(vigil).toEqual([distRegister]);
    // worker_threads alone was +1.8 MB of peak RSS on Node 24, loaded before the switch was read.
    expect(run.builtins).not.toContain('worker_threads');
  });

  test('lock only: no native addon, no sampler package, and no require/import-in-the-middle', () => {
    const run = loadedBy({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'lock' });
    expect(run.has(`${join('lock', 'dist')}`)).toBe(true);
    expect(run.has('@datadog/pprof') || run.has('@datadog+pprof')).toBe(false);
    expect(run.has(join('v8-sampler', 'dist')) || run.has(join('heap', 'dist'))).toBe(false);
    // require-in-the-middle (with debug, which loads tty and net) was 11 ms of start-up, and
    // import-in-the-middle 7 ms, useless without its loader (see the ESM hooks test below).
    expect(run.modules.filter((m) => /in-the-middle|[\\/]debug[\\/]/.test(m))).toEqual([]);
  });

  test('cpu only, writing files: no http, https or tls (the upload transport loads them at its first request)', () => {
    const run = loadedBy({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'cpu' });
    expect(run.has(join('cpu', 'dist'))).toBe(true);
    expect(run.builtins.filter((name) => ['http', 'https', 'tls'].includes(name))).toEqual([]);
    // child_process is core's, for profiling children; without that, the exporter's detached
    // uploader (process.exit() with a network exporter) loads it when it runs.
    const noChildren = loadedBy({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'cpu', VIGIL_PROFILE_CHILDREN: 'false' });
    expect(noChildren.builtins).not.toContain('child_process');
  });

  test('defaults: every collector, but not protobufjs (only the OTLP exporter needs it)', () => {
    const run = loadedBy({ DD_PROFILING_ENABLED: 'true' });
    for (const name of ['cpu', 'wall', 'heap', 'lock']) expect(run.has(join(name, 'dist'))).toBe(true);
    expect(run.has('@datadog+pprof') || run.has('@datadog/pprof')).toBe(true);
    expect(run.has('protobufjs')).toBe(false);
  });

  test('exporters: only the code of those named (the whole exporter package was 112 KB to compile)', () => {
    const exporterFiles = (env: Record<string, string>) => loadedBy({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'lock', ...env })
      .modules.filter((m) => m.includes(join('exporter', 'dist'))).map((m) => m.slice(m.lastIndexOf(join('exporter', 'dist')) + join('exporter', 'dist').length + 1)).sort();
    expect(exporterFiles({})).toEqual(['file.js', 'selection.js']);
    expect(exporterFiles({ DD_PROFILING_EXPORTERS: 'agent' })).toEqual(['agent.js', 'selection.js']);
    expect(exporterFiles({ DD_PROFILING_EXPORTERS: 'pyroscope,otlp' })).toEqual(['otlp.js', 'pyroscope.js', 'selection.js']);
  });

  test('the sampler loads fs/promises (with readline and streams) only to read a source map', () => {
    expect(loadedBy({ DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'cpu' }).builtins).not.toContain('fs/promises');
  });

  test('lock ESM hooks: only through --import, and only where a lock library is installed', () => {
    const withImport = ['--import', distRegisterEsm];
    expect(loadedBy({ DD_PROFILING_ENABLED: 'true' }, undefined, withImport).esmHooks).toBe(false);
    // This package's own folder has async-mutex in node_modules, as an app using it would.
    const appDir = mkdtempSync(join(__dirname, '..', 'node_modules', '.vigil-lazy-'));
    try {
      const hooked = loadedBy({ DD_PROFILING_ENABLED: 'true' }, appDir, withImport);
      expect(hooked.esmHooks).toBe(true);
      expect(hooked.has('import-in-the-middle')).toBe(true);
      // --require is the CommonJS route: lock libraries are instrumented through require, no hook thread.
      const required = loadedBy({ DD_PROFILING_ENABLED: 'true' }, appDir);
      expect(required.esmHooks).toBe(false);
      expect(required.has('import-in-the-middle')).toBe(false);
    } finally {
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});
