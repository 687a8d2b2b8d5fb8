/// <reference lib="dom" />
// The README's main job, as CI runs it: `pnpm demo --once` on the built workspace must find every
// known hotspot, and the viewer must then show them in a real browser.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewer } from '@vigil/viewer';

const CHROMIUM = '/usr/bin/chromium';
const outputDir = join(__dirname, '..', 'test-output');
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-demo-test-'));
let demo: ReturnType<typeof spawnSync>;

beforeAll(() => {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  // The demo as users run it (30 s of load, 10 s periods): its leak must show in its own run, and
  // the leak check needs a full GC between heap profiles, which a shorter run may not have.
  demo = spawnSync(process.execPath, [join(__dirname, '..', 'dist', 'run-demo.js'), '--once', '--data', dataDir], { encoding: 'utf8', env, timeout: 180_000 });
}, 200_000);

test('pnpm demo --once finds every known hotspot and exits 0', () => {
  const stdout = String(demo.stdout);
  expect({ status: demo.status, found: stdout.includes('every known hotspot was found') }).toEqual({ status: 0, found: true });
  for (const fn of ['computePrimes', 'readSlowBackend', 'rememberSession', 'updateInventory']) expect(stdout).toContain(`found: ${fn}`);
  expect(stdout).toMatch(/load done: \d+ requests, 0 errors/);
});

const browserTest = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) console.warn(`${CHROMIUM} not found: skipping the browser check (apt-get install chromium)`);

browserTest('after the demo, the viewer shows computePrimes in the CPU flame graph; search and the endpoint filter work', async () => {
  const viewer = await startViewer({ port: 0, dataDir });
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vigil-chromium-')), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    const loads = async () => Number(await page.evaluate(() => document.body.dataset.loads ?? 0));
    const nextLoad = (before: number) => page.waitForFunction((n) => Number(document.body.dataset.loads ?? 0) > n, before);
    const frames = () => page.$$eval('#flame g.frame', (gs) => gs.map((g) => g.getAttribute('name') ?? ''));
    // The URL the demo prints, ?service= included.
    await page.goto(`${viewer.url}/?service=vigil-demo`);
    await nextLoad(0);
    expect(await page.inputValue('#service')).toBe('vigil-demo');
    // As in Datadog's format, CPU time travels inside wall.pprof: the `cpu` sample type of the wall profile.
    expect(await page.inputValue('#type')).toBe('wall');
    let n = await loads();
    await page.selectOption('#sampleType', 'cpu');
    await nextLoad(n);
    await page.waitForSelector('#flame g.frame[name="computePrimes"]');
    // The first screen answers "where does the time go": the root frame is in the window, not below it.
    const root = await page.locator('#flame g.frame').first().boundingBox();
    expect(root!.y + root!.height).toBeLessThanOrEqual(900);

    await page.fill('#search', 'computePrimes');
    await page.waitForFunction(() => document.querySelector('#flame g.frame[name="computePrimes"] rect')?.getAttribute('fill')?.toUpperCase() === '#E600E6');

    n = await loads();
    await page.selectOption('#labelKey', 'trace endpoint');
    await nextLoad(n);
    n = await loads();
    await page.selectOption('#labelValue', 'GET /alloc');
    await nextLoad(n);
    await page.waitForSelector('#flame g.frame[name="buildReport"]');
    expect(await frames()).not.toContain('computePrimes');
    n = await loads();
    await page.selectOption('#labelValue', 'GET /cpu');
    await nextLoad(n);
    await page.waitForSelector('#flame g.frame[name="computePrimes"]');
    expect(await frames()).not.toContain('buildReport');

    mkdirSync(outputDir, { recursive: true });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(outputDir, 'demo-flamegraph.png') });

    // The demo's leak is found in the demo's own run (4 periods, the default minimum).
    n = await loads();
    await page.click('#tabs button[data-tab="leaks"]');
    await nextLoad(n);
    const suspects = await page.$$eval('#leaks-table td.fn', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(suspects.some((name) => name === 'rememberSession' || name === '/leak')).toBe(true);
    await page.screenshot({ path: join(outputDir, 'demo-leaks.png') });
  } finally {
    await context.close();
    await viewer.close();
  }
});
