import { ProfileBuilder } from '@vigil/core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findLeakSuspects, isProfilerFrame, siteTotals } from '@vigil/heap';
import { commentsOf, profilesIn, runApp } from './run-fixture';

describe('leak suspects', () => {
  it('ranks the one leaking site first within a few periods, in the collector and in findLeakSuspects', async () => {
    const run = await runApp('leak', { env: { TEST_PERIODS: '10' } });
    expect(run.code).toBe(0);
    const spaces = profilesIn(run.outDir, 'space_');
    expect(spaces.length).toBeGreaterThanOrEqual(7);
    // The collector's own history: the first profile naming a suspect names leakyCache first.
    const firstWithSuspect = spaces.findIndex((s) => commentsOf(s.profile).some((c) => c.startsWith('leak suspect #1')));
    expect(firstWithSuspect).toBeGreaterThanOrEqual(0);
    expect(firstWithSuspect).toBeLessThan(8);
    for (const s of spaces.slice(firstWithSuspect)) {
      expect(commentsOf(s.profile).find((c) => c.startsWith('leak suspect #1'))).toMatch(/leakyCache/);
    }
    expect(run.stderr).toMatch(/warn: heap: leak suspect #1: leakyCache/);
    // The CLI/viewer path: consecutive files, in any order.
    const suspects = findLeakSuspects(spaces.map((s) => s.profile).reverse());
    expect(suspects[0]?.name).toBe('leakyCache');
    expect(suspects[0]!.growthBytesPerMinute).toBeGreaterThan(0);
    expect(suspects.some((s) => s.name === 'churnGarbage' || s.name === 'boundedCache')).toBe(false);
  });

  it('reports no suspect for a steady app that churns garbage and keeps a bounded cache', async () => {
    const run = await runApp('steady', { env: { TEST_PERIODS: '10' } });
    expect(run.code).toBe(0);
    const spaces = profilesIn(run.outDir, 'space_');
    expect(spaces.length).toBeGreaterThanOrEqual(7);
    expect(findLeakSuspects(spaces.map((s) => s.profile))).toEqual([]);
    expect(spaces.every((s) => !commentsOf(s.profile).some((c) => c.startsWith('leak suspect')))).toBe(true);
    expect(run.stderr).not.toMatch(/leak suspect/);
  });
});

describe('leak sites', () => {
  test('a leak that allocates through Node\'s own modules is reported at the app frame that called them', () => {
    const b = new ProfileBuilder({ sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']] });
    const app = { name: 'leakyCache', file: '/app/cache.js', line: 3 };
    b.addSample([{ name: 'slice', file: 'node:buffer', line: 662 }, { name: 'toString', file: 'node:buffer', line: 834 }, app], [10, 4_000_000]);
    b.addSample([{ name: 'parse', file: '/app/json.js', line: 9 }], [1, 1_000]);
    b.addSample([{ name: '(external)', file: '' }], [1, 9_000_000]);
    const sites = [...siteTotals(b.build()).values()];
    expect(sites.map((s) => [s.name, s.file, s.line, s.inuseBytes])).toEqual([['leakyCache', '/app/cache.js', 3, 4_000_000], ['parse', '/app/json.js', 9, 1_000]]);
    expect(sites[0]!.heaviestStack[0]).toBe('slice (node:buffer:662)');
  });

  test('memory the profiler itself allocates is not a leak of the app, but app code run beneath our wrappers is', () => {
    const b = new ProfileBuilder({ sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']] });
    const timerWrapper = { name: 'fired', file: join(__dirname, '..', '..', 'wall', 'src', 'io-wait', 'instrument-timers.ts'), line: 20 };
    b.addSample([{ name: 'build', file: join(__dirname, '..', '..', 'core', 'src', 'pprof', 'builder.ts'), line: 9 }], [5, 9_000_000]);
    b.addSample([{ name: 'encode', file: '/srv/app/node_modules/@vigil/exporter/dist/index.js', line: 1 }], [5, 8_000_000]);
    b.addSample([{ name: 'rememberOrder', file: '/srv/app/orders.js', line: 7 }, timerWrapper], [5, 7_000_000]);
    expect([...siteTotals(b.build()).values()].map((site) => site.name)).toEqual(['rememberOrder']);
    expect(isProfilerFrame(timerWrapper)).toBe(true);
    expect(isProfilerFrame({ name: 'leakUntilDeath', file: join(__dirname, 'fixtures', 'workloads.ts') })).toBe(false);
  });

  // Seen as false warnings on the stderr of apps that do not leak: `set` and `push` (V8 built-ins,
  // no file, called by the profiler's own code) and pprof-format's `dedup`.
  test('built-ins are reported at their caller, and memory of the libraries only the profiler uses is the profiler\'s', () => {
    const b = new ProfileBuilder({ sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']] });
    const coreCaller = { name: 'remember', file: join(__dirname, '..', '..', 'core', 'src', 'pprof', 'builder.ts'), line: 30 };
    b.addSample([{ name: 'set', file: '' }, coreCaller], [5, 9_000_000]);
    b.addSample([{ name: 'dedup', file: '/srv/app/node_modules/.pnpm/pprof-format@2.1.0/node_modules/pprof-format/dist/index.js', line: 80 }], [5, 8_000_000]);
    b.addSample([{ name: 'heapProfile', file: '/srv/app/node_modules/@datadog/pprof/out/src/heap-profiler.js', line: 12 }], [5, 7_000_000]);
    b.addSample([{ name: 'push', file: '' }, { name: 'rememberOrder', file: '/srv/app/orders.js', line: 7 }], [5, 6_000_000]);
    expect([...siteTotals(b.build()).values()].map((site) => [site.name, site.file])).toEqual([['rememberOrder', '/srv/app/orders.js']]);
  });
});

// esbuild comes with the workspace's build tools (tsup).
const esbuild = require(require.resolve('esbuild', { paths: [dirname(require.resolve('tsup'))] })) as { buildSync(options: Record<string, unknown>): unknown };

describe('leak suspects in an app that bundles the profiler (CommonJS)', () => {
  test('the app\'s own frames, in its bundle, are not taken for the profiler\'s, and its leak is found', () => {
    const appDir = join(mkdtempSync(join(tmpdir(), 'vigil-heap-bundle-')), 'orders-app');
    mkdirSync(join(appDir, 'src'), { recursive: true });
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'orders-app', version: '1.0.0' }));
    writeFileSync(join(appDir, 'src', 'main.ts'), `
      import { ProfileBuilder } from ${JSON.stringify(join(__dirname, '..', '..', 'core', 'src', 'index.ts'))};
      import { findLeakSuspects, isProfilerFrame } from ${JSON.stringify(join(__dirname, '..', 'src', 'leak-suspects.ts'))};
      // Six heap profiles, a minute apart, in which a site of this very bundle grows by 2 MiB each time.
      const site = { name: 'leakyCache', file: __filename, line: 3 };
      const profiles = [0, 1, 2, 3, 4, 5].map((i) => {
        const b = new ProfileBuilder({ sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']] });
        b.addSample([site], [10 * (i + 1), 2 * 1024 * 1024 * (i + 1)]);
        const profile = b.build();
        profile.timeNanos = BigInt(1_700_000_000_000 + i * 60_000) * 1_000_000n;
        profile.durationNanos = 60_000n * 1_000_000n;
        return profile;
      });
      process.stdout.write(JSON.stringify({ ownFrameIsProfiler: isProfilerFrame(site), suspects: findLeakSuspects(profiles).map((s) => s.name) }));
    `);
    try {
      esbuild.buildSync({
        entryPoints: [join(appDir, 'src', 'main.ts')], outfile: join(appDir, 'dist', 'main.js'),
        bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent',
      });
      const run = spawnSync(process.execPath, [join(appDir, 'dist', 'main.js')], { encoding: 'utf8', timeout: 30_000 });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ ownFrameIsProfiler: false, suspects: ['leakyCache'] });
    } finally {
      rmSync(dirname(appDir), { recursive: true, force: true });
    }
  });
});

