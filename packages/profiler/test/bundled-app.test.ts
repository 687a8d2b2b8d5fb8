// A bundled app (esbuild, minified, source map beside it) that imports `@vigil/profiler`: the native addon
// must still resolve (it stays external, as bundling guides say), and the CPU hotspot must come
// back under its original name and file through the source map.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeProfile, totalsByFunction } from '@vigil/core';

// esbuild comes with the workspace's build tools (tsup); typed here by the little we use.
interface EsbuildBuild { build(options: Record<string, unknown>): Promise<unknown> }
const esbuild = require(require.resolve('esbuild', { paths: [dirname(require.resolve('tsup'))] })) as EsbuildBuild;

test('a minified esbuild bundle of an app using vigil is profiled, with original names from its source map', async () => {
  // Inside the package, so the bundle resolves @datadog/pprof from the package's node_modules like an app would.
  const appDir = join(__dirname, '..', '.bundle-test');
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(join(appDir, 'src'), { recursive: true });
  writeFileSync(join(appDir, 'src', 'orders.ts'), `
    import { Profiler, cpu, fileExporter } from '@vigil/profiler';
    function priceBundledOrders(ms: number): number {
      let total = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) total += Math.sqrt(total + 1);
      return total;
    }
    const profiler = new Profiler({ service: 'bundled', collectors: [cpu()], exporters: [fileExporter({ directory: process.argv[2]! })], logger: 'warn' });
    profiler.start({ stopOnExit: false, profileChildren: false });
    priceBundledOrders(600);
    profiler.stop();
  `);
  try {
    await esbuild.build({
      entryPoints: [join(appDir, 'src', 'orders.ts')],
      outfile: join(appDir, 'dist', 'app.js'),
      bundle: true, minify: true, sourcemap: true, platform: 'node', format: 'cjs', target: 'node20',
      external: ['@datadog/pprof'],
      logLevel: 'silent',
    });
    // Minified: the hot function's name is gone from the bundle, so finding it proves the source map was used.
    expect(readFileSync(join(appDir, 'dist', 'app.js'), 'utf8').includes('priceBundledOrders')).toBe(false);
    const out = mkdtempSync(join(tmpdir(), 'vigil-bundled-'));
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (/^(DD_|VIGIL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
    const run = spawnSync(process.execPath, [join(appDir, 'dist', 'app.js'), out], { encoding: 'utf8', env, timeout: 60_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const [file] = readdirSync(out);
    const cpuTotals = totalsByFunction(decodeProfile(readFileSync(join(out, file!))), 'cpu');
    const hot = cpuTotals.functions.find((f) => f.name === 'priceBundledOrders');
    expect(hot).toBeDefined();
    expect(hot!.file).toMatch(/src\/orders\.ts$/);
    expect(hot!.self / cpuTotals.total).toBeGreaterThan(0.5);
  } finally {
    rmSync(appDir, { recursive: true, force: true });
  }
});
