// A user's first hour, from the packages a release publishes: every publishable package is packed
// with `pnpm pack` (as `changeset publish` does), the tarballs are installed with plain npm into a
// scratch app outside this workspace, and everything below runs from that app with the Node under
// test: the `vigil` command through npx, the zero-code preloads, and a TypeScript app.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const workspaceRoot = join(__dirname, '..', '..', '..');

/** The environment of a user's own shell: no npm_config_* from `pnpm test`, no profiler settings. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_|^(DD|VIGIL)_|^NODE_OPTIONS$/i.test(key)));
  return { ...env, ...extra };
}

/**
 * npm runs on the machine's own Node (scripts/with-node.sh keeps that PATH in HOST_PATH): under
 * Node 24, the machine's npm hung on registry fetches here. Everything it installed then runs on
 * the Node under test, which comes first on PATH for npx and the apps.
 */
function npmEnv(): NodeJS.ProcessEnv {
  return userEnv(process.env.HOST_PATH ? { PATH: process.env.HOST_PATH } : {});
}

/** `pnpm pack` from the pnpm running us when there is one (a nested npx pnpm can stall on its npm_config_*). */
function pack(dir: string, destination: string): string {
  const before = new Set(readdirSync(destination));
  const current = process.env.npm_execpath;
  const [file, args] = current && /pnpm/.test(current) ? [process.execPath, [current, 'pack']] : ['npx', ['-y', 'pnpm@10', 'pack']];
  execFileSync(file, [...args, '--pack-destination', destination], { cwd: dir, stdio: 'ignore', timeout: 120_000, env: userEnv() });
  return join(destination, readdirSync(destination).find((f) => !before.has(f))!);
}

function publishableDirs(): string[] {
  return ['packages', 'apps']
    .flatMap((top) => readdirSync(join(workspaceRoot, top)).map((d) => join(workspaceRoot, top, d)))
    .filter((d) => existsSync(join(d, 'package.json')) && !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private);
}

let app: string;

/** A command in the scratch app (or a folder below it), with the Node under test first on PATH. */
function inApp(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const env = userEnv({ PATH: `${join(process.execPath, '..')}${delimiter}${process.env.PATH}`, ...options.env });
  return spawnSync(file, args, { cwd: options.cwd ?? app, env, encoding: 'utf8', timeout: 120_000 });
}

/** `npx --no vigil`: never falls back to downloading the unrelated npm package named `vigil`. */
const npxVigil = (args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }) => inApp('npx', ['--no', 'vigil', ...args], options);

const APP_JS = `
function checkoutTotals(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}
checkoutTotals(Number(process.argv[2] || 800));
console.log('app done');
`;

beforeAll(() => {
  const tarballs = mkdtempSync(join(tmpdir(), 'vigil-release-'));
  const packed = publishableDirs().map((dir) => pack(dir, tarballs));
  app = mkdtempSync(join(tmpdir(), 'vigil-scratch-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  writeFileSync(join(app, 'app.js'), APP_JS);
  writeFileSync(join(app, 'app.mjs'), APP_JS);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, 'typescript@~5.9.3', '@types/node@^20.19.0'], {
    cwd: app, stdio: 'pipe', timeout: 400_000, env: npmEnv(),
  });
}, 600_000);

test('the release packs the CLI with its bin, and the viewer with its UI', () => {
  const manifest = (name: string) => JSON.parse(readFileSync(join(app, 'node_modules', '@vigil', name, 'package.json'), 'utf8'));
  expect(manifest('cli').bin).toEqual({ vigil: expect.any(String) });
  expect(existsSync(join(app, 'node_modules', '.bin', 'vigil'))).toBe(true);
  expect(existsSync(join(app, 'node_modules', '@vigil', 'viewer', 'ui', 'index.html'))).toBe(true);
  expect(existsSync(join(app, 'node_modules', '@vigil', 'cli', 'src'))).toBe(false);
});

test('npx vigil run -- node app.js, from a folder below the app: profiles written, hotspots printed; then npx vigil top', () => {
  const jobs = join(app, 'jobs');
  mkdirSync(jobs, { recursive: true });
  const run = npxVigil(['run', '--out', 'profiles', '--service', 'scratch', '--', 'node', '../app.js'], { cwd: jobs });
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: 'app done\n' });
  const files = readdirSync(join(jobs, 'profiles'));
  expect(files.some((f) => /^cpu_\d+_0_.*\.pprof$/.test(f))).toBe(true);
  expect(files.some((f) => f.startsWith('wall_'))).toBe(true);
  expect(run.stderr).toMatch(/top cpu hotspots[^\n]*\n[^\n]*\n\s*\S+\s+[\d.]+%\s+checkoutTotals/);

  const top = npxVigil(['top', join(jobs, 'profiles'), '--type', 'cpu', '--json']);
  expect(top.status).toBe(0);
  expect(JSON.parse(top.stdout).rows[0]).toMatchObject({ name: 'checkoutTotals' });
});

test('npx vigil serve takes the upload of npx vigil run --upload, and serves its UI', async () => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-serve-data-'));
  const serve = spawn('npx', ['--no', 'vigil', 'serve', '--port', '0', '--data-dir', data], {
    cwd: app, env: userEnv({ PATH: `${join(process.execPath, '..')}${delimiter}${process.env.PATH}` }), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (d) => {
        out += d;
        const found = /vigil viewer listening on (http:\/\/\S+)/.exec(out);
        if (found) resolve(found[1]!);
      });
      serve.stderr.on('data', (d) => (out += d));
      serve.once('exit', (code) => reject(new Error(`vigil serve exited ${code}: ${out}`)));
      // Fail with what it printed (and reach the finally that ends it) rather than hang to jest's timeout.
      setTimeout(() => reject(new Error(`vigil serve printed no URL within 30 s: ${out}`)), 30_000).unref();
    });
    const run = npxVigil(['run', '--out', 'uploaded', '--service', 'uploaded-app', '--upload', url, '--', 'node', 'app.js']);
    expect(run.status).toBe(0);
    const services = (await (await fetch(`${url}/api/services`)).json()) as { services: { name: string; types: { type: string }[] }[] };
    const uploaded = services.services.find((s) => s.name === 'uploaded-app');
    // The agent protocol carries CPU time inside wall.pprof, as dd-trace does.
    expect(uploaded?.types.map((t) => t.type)).toEqual(expect.arrayContaining(['wall', 'space']));
    const top = (await (await fetch(`${url}/api/top?service=uploaded-app&sampleType=cpu`)).json()) as { functions: { name: string }[] };
    expect(top.functions[0]?.name).toBe('checkoutTotals');
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect((await fetch(`${url}/vendor/d3-flamegraph.min.js`)).status).toBe(200);
  } finally {
    // npx starts the CLI as its child: end the whole group this test started.
    // It may already have exited (the failure is then the promise's): no group left to end.
    if (serve.pid && serve.exitCode === null) process.kill(-serve.pid, 'SIGTERM');
  }
});

test.each([
  ['--require', 'app.js', 'CommonJS'],
  ['--import', 'app.mjs', 'ESM'],
])('node %s @vigil/profiler/register %s (%s): zero-code profiles to a folder', (flag, file) => {
  const out = join(app, `preload-${flag.slice(2)}`);
  const result = inApp(process.execPath, [flag, '@vigil/profiler/register', file, '600'], {
    env: { DD_PROFILING_ENABLED: 'true', DD_SERVICE: 'preloaded', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: `${out}/` },
  });
  expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: 'app done\n', stderr: '' });
  const top = npxVigil(['top', out, '--type', 'cpu', '--json']);
  expect(JSON.parse(top.stdout).rows[0]).toMatchObject({ name: 'checkoutTotals' });
});

test('a strict TypeScript app (nodenext) type-checks against the published types and profiles itself', () => {
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, outDir: 'built', skipLibCheck: false, types: ['node'] },
    files: ['typed-app.mts'],
  }));
  writeFileSync(join(app, 'typed-app.mts'), `
import { Profiler, type Exporter, type ProfileBatch } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { fileExporter } from '@vigil/exporter';
import { lock, Mutex } from '@vigil/lock';
import { COLLECTOR_NAMES, type CollectorName } from '@vigil/profiler';

const seen: string[] = [];
const recorder: Exporter = {
  name: 'recorder',
  async export(batch: ProfileBatch) {
    for (const p of batch.profiles) seen.push(p.type);
    return { ok: true };
  },
  async shutdown() {},
};
function typedHotspot(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}
const profiler = new Profiler({ service: 'typed', collectors: [cpu(), lock({ capturePct: 100 })], exporters: [recorder, fileExporter({ directory: './typed-profiles' })] });
profiler.start();
const mutex = new Mutex();
await mutex.runExclusive(async () => typedHotspot(400));
await profiler.stop();
console.log(JSON.stringify({ seen: [...new Set(seen)].sort(), defaults: COLLECTOR_NAMES.includes('cpu' satisfies CollectorName) }));
`);
  const tsc = inApp(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  expect({ status: tsc.status, stdout: tsc.stdout }).toEqual({ status: 0, stdout: '' });
  const run = inApp(process.execPath, [join('built', 'typed-app.mjs')]);
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ seen: ['cpu', 'lock'], defaults: true });
  expect(readdirSync(join(app, 'typed-profiles')).some((f) => f.startsWith('cpu_'))).toBe(true);
});
