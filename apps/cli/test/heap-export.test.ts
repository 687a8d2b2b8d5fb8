/// <reference lib="dom" />
// Functions passed to page.evaluate/waitForFunction run in the browser, hence the DOM types.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeProfileSync, ProfileBuilder } from '@vigil/core';
import { tempDir, vigil, writeCpuProfile } from './helpers';

const MiB = 1024 * 1024;
const ms = 1_000_000;

/** A heap snapshot named as the file exporter names it (`space_<pid>_<thread>_<time>.pprof`). */
function writeSpace(dir: string, pid: number, minute: number, bytesByFunction: Record<string, number>, root = '/srv/app'): void {
  const b = new ProfileBuilder({
    sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']],
    timeNanos: BigInt(1_700_000_000_000 + minute * 60_000) * 1_000_000n, durationNanos: 60_000_000_000n,
  });
  for (const [name, bytes] of Object.entries(bytesByFunction)) {
    b.addSample([{ name, file: `${root}/${name}.js`, line: 2 }, { name: 'main', file: `${root}/main.js`, line: 1 }], [Math.round(bytes / 1024), bytes]);
  }
  const stamp = `20260101T00${String(minute).padStart(2, '0')}00.000Z`;
  writeFileSync(join(dir, `space_${pid}_0_${stamp}.pprof`), encodeProfileSync(b.build()));
}

describe('in-use heap in vigil top and vigil diff is a level, never a sum or a rate', () => {
  const dir = tempDir();
  // Process 100: the cache grows 10, 20, 30, 40 MiB beside 5 MiB of config. Process 200: 8 MiB, twice.
  [10, 20, 30, 40].forEach((cache, minute) => writeSpace(dir, 100, minute, { cache: cache * MiB, config: 5 * MiB }));
  [0, 1].forEach((minute) => writeSpace(dir, 200, minute, { cache: 8 * MiB }));

  test('top: the mean snapshot of each process, summed over processes, and says so', () => {
    const { code, stdout } = vigil(['top', dir, '--type', 'heap']);
    expect(code).toBe(0);
    // 100: mean 25 + 5 MiB; 200: 8 MiB. The old sum of six snapshots said 136 MiB.
    expect(stdout.split('\n')[0]).toBe('inuse_space (bytes), 38.0MiB, mean of 6 snapshot(s) per process, summed over 2 processes');
    const json = JSON.parse(vigil(['top', dir, '--type', 'heap', '--json']).stdout);
    expect(json).toMatchObject({ sampleType: 'inuse_space', heap: 'mean', snapshots: 6, total: 38 * MiB });
    expect(json.rows[0]).toMatchObject({ name: 'cache', self: 33 * MiB });
  });

  test('top --heap latest: each process newest snapshot', () => {
    const json = JSON.parse(vigil(['top', dir, '--type', 'heap', '--heap', 'latest', '--json']).stdout);
    expect(json).toMatchObject({ heap: 'latest', snapshots: 2, total: 45 * MiB + 8 * MiB });
    expect(vigil(['top', dir, '--heap', 'sum']).stderr).toMatch(/--heap must be one of mean, latest, got "sum"/);
  });

  test('diff compares snapshots (no "per minute"), and matches functions across a moved folder', () => {
    const base = tempDir();
    const next = tempDir();
    [10, 20].forEach((cache, minute) => writeSpace(base, 1, minute, { cache: cache * MiB, config: 5 * MiB }, '/srv/app-1.0'));
    [30, 50].forEach((cache, minute) => writeSpace(next, 2, minute, { cache: cache * MiB, config: 5 * MiB }, '/srv/app-2.0'));
    const { code, stdout } = vigil(['diff', base, next, '--type', 'heap']);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/per minute/);
    expect(stdout.split('\n')[0]).toBe('inuse_space self, base (mean of 2 snapshot(s)) -> new (mean of 2 snapshot(s))');
    const json = JSON.parse(vigil(['diff', base, next, '--type', 'heap', '--json']).stdout);
    expect(json.valuesAre).toBe('snapshot');
    // cache: 15 MiB -> 40 MiB, one row though its path moved; config unchanged, so no row.
    expect(json.rows).toEqual([{ name: 'cache', file: '/srv/app-1.0/cache.js', basePerMinute: 15 * MiB, newPerMinute: 40 * MiB, changePerMinute: 25 * MiB, changeRatio: 25 / 15 }]);
  });
});

describe('vigil export', () => {
  const dir = tempDir();
  const file = join(dir, 'cpu_1_0_20260101T000000.000Z.pprof');
  writeCpuProfile(file, { parseOrders: 700 * ms, renderPage: 200 * ms, 'a;b': 100 * ms });

  test('collapsed: one line per stack, root first, values that add up to the total', () => {
    const { code, stdout } = vigil(['export', file, '--format', 'collapsed']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').sort();
    expect(lines).toEqual([
      'main (main.js);a:b (a:b.js) 100000000',
      'main (main.js);parseOrders (parseOrders.js) 700000000',
      'main (main.js);renderPage (renderPage.js) 200000000',
    ]);
  });

  test('speedscope: the file format speedscope reads, with frames shared and samples root first', () => {
    const out = join(dir, 'cpu.speedscope.json');
    expect(vigil(['export', file, '--format', 'speedscope', '-o', out]).code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(doc.profiles).toHaveLength(1);
    const [profile] = doc.profiles;
    expect(profile).toMatchObject({ type: 'sampled', unit: 'nanoseconds', startValue: 0, endValue: 1000 * ms });
    const names = (sample: number[]) => sample.map((i) => doc.shared.frames[i].name);
    const byLeaf = Object.fromEntries(profile.samples.map((s: number[], i: number) => [names(s).join('>'), profile.weights[i]]));
    expect(byLeaf).toEqual({ 'main>parseOrders': 700 * ms, 'main>renderPage': 200 * ms, 'main>a;b': 100 * ms });
    expect(doc.shared.frames.find((f: { name: string }) => f.name === 'parseOrders')).toEqual({ name: 'parseOrders', file: '/app/parseOrders.js', line: 3 });
  });

  test('html: one self-contained file with the data and the flame graph code inlined, nothing loaded from elsewhere', async () => {
    const out = join(dir, 'flame.html');
    const { code, stderr } = vigil(['export', file, '--format', 'html', '-o', out]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('"name":"parseOrders"');
    if (!existsSync('/usr/bin/chromium')) return console.warn('/usr/bin/chromium not found: the HTML was checked as text only');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${out}`);
      await page.waitForFunction(() => document.querySelectorAll('#flame g.frame').length >= 4);
      const root = await page.locator('#flame g.frame').first().boundingBox();
      expect(root!.y).toBeLessThan(900);
      expect(await page.$$eval('#top tbody tr td:first-child', (tds) => tds.map((td) => td.textContent))).toEqual(['parseOrders', 'renderPage', 'a;b', 'main']);
      expect(requests).toEqual([`file://${out}`]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  test('usage errors: the format is required and checked', () => {
    expect(vigil(['export', file]).stderr).toMatch(/needs --format \(html, speedscope, collapsed\)/);
    expect(vigil(['export', file, '--format', 'svg']).stderr).toMatch(/--format must be one of html, speedscope, collapsed, got "svg"/);
  });
});
