// The reason for the package split: a user installs only what they need, from the published
// tarballs, with plain npm, outside this workspace.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const packagesDir = join(__dirname, '..', '..');
const tarballs = mkdtempSync(join(tmpdir(), 'vigil-tarballs-'));
const packed = new Map<string, string>();

/**
 * `pnpm pack` (npm pack would leave `workspace:` versions in). Under `pnpm test`, the pnpm running
 * us is reused: a nested `npx pnpm` inherits pnpm's npm_config_* variables and can stall there.
 */
function packCommand(): { file: string; args: string[] } {
  const current = process.env.npm_execpath; // read before userShellEnv() drops it for the children
  if (current && /pnpm/.test(current)) return { file: process.execPath, args: [current, 'pack'] };
  return { file: 'npx', args: ['-y', 'pnpm@10', 'pack'] };
}

/** The environment of a user's own shell: none of the npm_config_* that `pnpm test` hands its scripts. */
function userShellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key)));
}

function pack(dir: string): string {
  const before = new Set(readdirSync(tarballs));
  const command = packCommand();
  execFileSync(command.file, [...command.args, '--pack-destination', tarballs], { cwd: join(packagesDir, dir), stdio: 'ignore', timeout: 60_000, env: userShellEnv() });
  const tarball = readdirSync(tarballs).find((f) => !before.has(f))!;
  return join(tarballs, tarball);
}

function tarballManifest(tgz: string): Record<string, unknown> {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

function freshProject(deps: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...deps.map((d) => packed.get(d)!)], { cwd: dir, stdio: 'pipe', timeout: 240_000, env: userShellEnv() });
  return dir;
}

function run(dir: string, file: string, source: string) {
  writeFileSync(join(dir, file), source);
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
}

// Installing from the registry runs the machine's npm. Under another Node (scripts/with-node.sh,
// which sets HOST_PATH) that npm ran on Node 24 and its registry fetches hung here (ETIMEDOUT in
// CI, cause not found); the install tests therefore run in the pass on the machine's own Node,
// whatever its version, and the tarball checks in every pass. apps/cli/test/npm-install.test.ts
// installs the whole release under the other Node versions.
const npmRunsNatively = process.env.HOST_PATH === undefined;
const installTest = npmRunsNatively ? test : test.skip;
if (!npmRunsNatively) console.warn("selective installs with npm run in the machine's own Node pass only (npm on Node 24 hung on the registry here)");

beforeAll(() => {
  for (const dir of ['core', 'v8-sampler', 'cpu', 'wall', 'heap', 'lock', 'exporter', 'tracing-correlation', 'profiler']) packed.set(dir, pack(dir));
}, 240_000);

test('every package packs with exports, types, files, engines, a README, and no workspace-only versions', () => {
  for (const [dir, tgz] of packed) {
    const manifest = tarballManifest(tgz);
    expect(JSON.stringify(manifest)).not.toMatch(/workspace:/);
    expect(manifest).toMatchObject({ exports: expect.any(Object), engines: { node: expect.any(String) } });
    expect(manifest.types ?? (manifest.exports as Record<string, unknown>)['.']).toBeDefined();
    const files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/README.md');
    expect(files.some((f) => f.startsWith('package/dist/') && f.endsWith('.d.ts'))).toBe(true);
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
    if (dir !== 'profiler') expect((manifest.dependencies as Record<string, string>)['@vigil/core'] ?? '^0.1.0').toMatch(/^\^\d/);
  }
});

installTest('@vigil/core + @vigil/lock + @vigil/exporter alone: lock profiles to files, and no native addon installed', () => {
  const dir = freshProject(['core', 'lock', 'exporter']);
  expect(existsSync(join(dir, 'node_modules', '@datadog', 'pprof'))).toBe(false);
  const result = run(dir, 'app.mjs', `
    import { Profiler } from '@vigil/core';
    import { lock, Mutex } from '@vigil/lock';
    import { fileExporter } from '@vigil/exporter';
    const profiler = new Profiler({ service: 'selective', collectors: [lock({ capturePct: 100 })], exporters: [fileExporter({ directory: './profiles' })] });
    profiler.start();
    const inventory = new Mutex();
    async function reserveStock() { await inventory.runExclusive(() => new Promise((r) => setTimeout(r, 10))); }
    await Promise.all(Array.from({ length: 8 }, reserveStock));
    await profiler.stop();
  `);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const files = readdirSync(join(dir, 'profiles'));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^lock_\d+_0_.*\.pprof$/);
});

installTest('@vigil/core + @vigil/cpu + a user-written collector and exporter', () => {
  const dir = freshProject(['core', 'v8-sampler', 'cpu']);
  const result = run(dir, 'app.cjs', `
    const { Profiler, ProfileBuilder, totalsByFunction } = require('@vigil/core');
    const { cpu } = require('@vigil/cpu');
    let ticks = 0;
    const tickCollector = {
      name: 'ticks',
      start() {},
      collectSync() {
        const b = new ProfileBuilder({ sampleTypes: [['ticks', 'count']] });
        b.addSample([{ name: 'tick', file: 'app.cjs', line: 1 }], [ticks]);
        return { profiles: [{ type: 'ticks', profile: b.build() }], errors: [] };
      },
      async collect(period) { return this.collectSync(period); },
      async stop() {},
    };
    const seen = [];
    const consoleExporter = {
      name: 'console',
      async export(batch) {
        for (const p of batch.profiles) {
          const type = p.type === 'cpu' ? 'cpu' : 'ticks';
          const top = totalsByFunction(p.profile, type).functions.filter((f) => f.self > 0)[0];
          seen.push(p.type + ':' + top.name);
        }
        return { ok: true };
      },
      async shutdown() {},
    };
    function spinHard(ms) { const end = Date.now() + ms; while (Date.now() < end) ticks++; }
    const profiler = new Profiler({ collectors: [cpu(), tickCollector], exporters: [consoleExporter] });
    profiler.start();
    spinHard(500);
    profiler.stop().then(() => console.log(JSON.stringify(seen.sort())));
  `);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(['cpu:spinHard', 'ticks:tick']);
});
