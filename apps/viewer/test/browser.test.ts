/// <reference lib="dom" />
// Functions passed to page.evaluate/waitForFunction run in the browser, hence the DOM types.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { eventsProfile, gz, HEAVY, LIGHT, spaceProfile, wallProfile, XSS_NAME } from './helpers/profiles';
import { datadogUpload, post } from './helpers/uploads';
import { startTestViewer, type TestViewer } from './helpers/viewer';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const outputDir = join(__dirname, '..', 'test-output');
if (!hasChromium) console.warn(`${CHROMIUM} not found: skipping the browser tests (apt-get install chromium)`);
const browserTest = hasChromium ? test : test.skip;

let viewer: TestViewer;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const requestedUrls: string[] = [];
const T0 = Date.now() - 30 * 60_000;

async function upload(profiles: Record<string, Buffer>, startMs: number, service = 'web-shop', extraTags: Record<string, string> = {}) {
  const u = datadogUpload(profiles, { startMs, endMs: startMs + 60_000, service, extraTags });
  const res = await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType });
  expect(res.status).toBe(200);
}

/** Waits until the UI finished one more load than `before`. */
async function loadsAfter(before: number): Promise<number> {
  await page.waitForFunction((n) => Number(document.body.dataset.loads ?? 0) > n, before);
  return Number(await page.evaluate(() => document.body.dataset.loads));
}
const loads = async () => Number(await page.evaluate(() => document.body.dataset.loads ?? 0));

/** Waits for the flame graph frame of `name` to show its label (labels are set after a short transition). */
async function frameLabel(container: string, name: string) {
  await page.waitForFunction(([c, n]) => {
    for (const g of Array.from(document.querySelectorAll(`${c} g.frame`))) {
      if (g.getAttribute('name') === n && g.querySelector('.d3-flame-graph-label')?.textContent === n) return true;
    }
    return false;
  }, [container, name] as const);
}

async function frameNames(container = '#flame'): Promise<string[]> {
  return page.$$eval(`${container} g.frame`, (gs) => gs.map((g) => g.getAttribute('name') ?? ''));
}

beforeAll(async () => {
  if (!hasChromium) return;
  viewer = await startTestViewer();
  for (let i = 0; i < 6; i++) {
    const startMs = T0 + i * 60_000;
    const wall = i < 3 ? wallProfile(startMs) : wallProfile(startMs, { heavyNanos: 100_000_000, lightNanos: 800_000_000 });
    await upload({ wall: gz(wall), events: gz(eventsProfile(startMs)), space: gz(spaceProfile(startMs, (i + 1) * 3 * 1024 * 1024)) }, startMs);
  }
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vigil-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requestedUrls.push(r.url()));
  await page.goto(viewer.url);
  await page.waitForFunction(() => Number(document.body.dataset.loads ?? 0) > 0);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
});

browserTest('the flame graph renders with the heavy function, hover shows value and share', async () => {
  await frameLabel('#flame', HEAVY);
  expect(await page.inputValue('#service')).toBe('web-shop');
  expect(await page.inputValue('#type')).toBe('wall');
  const names = await frameNames();
  expect(names).toEqual(expect.arrayContaining([HEAVY, LIGHT, 'handleCompute', 'processRequest']));
  // Hotspot table beside it: heavy first in the first half (3 x 700 ms + 3 x 100 ms of 6 s = 40 %).
  const firstRow = await page.$$eval('#top-table tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
  expect(firstRow[0]).toBe(LIGHT);
  const heavyRow = await page.$$eval('#top-table tbody tr', (trs, h) => trs.find((tr) => tr.firstChild?.textContent === h)?.textContent ?? '', HEAVY);
  expect(heavyRow).toContain('40.0%');
  await page.hover(`#flame g.frame[name="${HEAVY}"]`);
  await page.waitForFunction(() => (document.getElementById('details')?.textContent ?? '').includes('crunchNumbersHeavy'));
  expect(await page.textContent('#details')).toMatch(/crunchNumbersHeavy — \/app\/server\.js: 2\.40 s \(40\.0%\)/);
  mkdirSync(outputDir, { recursive: true });
  await page.waitForTimeout(800); // let the frames finish their transition before the picture
  await page.screenshot({ path: join(outputDir, 'flamegraph.png'), fullPage: true });
});

browserTest('search highlights the heavy function', async () => {
  const fill = () => page.$eval(`#flame g.frame[name="${HEAVY}"] rect`, (r) => r.getAttribute('fill'));
  const before = await fill();
  await page.fill('#search', 'crunchnumbers');
  await page.waitForFunction((h) => document.querySelector(`#flame g.frame[name="${h}"] rect`)?.getAttribute('fill')?.toUpperCase() === '#E600E6', HEAVY);
  expect(before?.toUpperCase()).not.toBe('#E600E6');
  // Nothing else is highlighted.
  const highlighted = await page.$$eval('#flame g.frame', (gs) => gs.filter((g) => g.querySelector('rect')?.getAttribute('fill')?.toUpperCase() === '#E600E6').map((g) => g.getAttribute('name')));
  expect(highlighted).toEqual([HEAVY]);
  await page.screenshot({ path: join(outputDir, 'flamegraph-search.png') });
  await page.fill('#search', '');
});

browserTest('clicking a frame zooms into it', async () => {
  const width = (name: string) => page.$eval(`#flame g.frame[name="${name}"] rect`, (r) => Number(r.getAttribute('width')));
  const before = await width('handleCompute');
  await page.click(`#flame g.frame[name="handleCompute"]`);
  await page.waitForFunction(([n, w]) => Number(document.querySelector(`#flame g.frame[name="${n}"] rect`)?.getAttribute('width')) > (w as number) * 2, ['handleCompute', before] as const);
  expect(await width('handleCompute')).toBeGreaterThan(before * 2);
  await page.click('#resetZoom');
});

browserTest('the endpoint filter changes the graph', async () => {
  let n = await loads();
  await page.selectOption('#labelKey', 'trace endpoint');
  n = await loadsAfter(n);
  await page.selectOption('#labelValue', 'GET /page');
  await loadsAfter(n);
  await frameLabel('#flame', LIGHT);
  const names = await frameNames();
  expect(names).not.toContain(HEAVY);
  expect(names).toContain(XSS_NAME);
  n = await loads();
  await page.selectOption('#labelValue', 'GET /compute');
  await loadsAfter(n);
  await frameLabel('#flame', HEAVY);
  expect(await frameNames()).not.toContain(LIGHT);
  n = await loads();
  await page.selectOption('#labelKey', '');
  await loadsAfter(n);
});

browserTest('a function named like HTML renders as text and runs nothing', async () => {
  await frameLabel('#flame', XSS_NAME);
  const label = await page.$$eval('#flame g.frame', (gs, x) => gs.find((g) => g.getAttribute('name') === x)?.querySelector('.d3-flame-graph-label')?.textContent, XSS_NAME);
  expect(label).toBe(XSS_NAME);
  const cells = await page.$$eval('#top-table td.fn', (tds) => tds.map((td) => td.textContent));
  expect(cells).toContain(XSS_NAME);
  // No element was made from the name: no <img> anywhere, and no alert.
  expect(await page.$$eval('img', (imgs) => imgs.length)).toBe(0);
  // Hovering puts the name into the details line, as text.
  const xssFrame = page.locator('#flame g.frame').filter({ has: page.locator('.d3-flame-graph-label', { hasText: XSS_NAME }) });
  await xssFrame.hover();
  await page.waitForFunction((x) => (document.getElementById('details')?.textContent ?? '').startsWith(x), XSS_NAME);
  expect(await page.$$eval('#details *', (children) => children.length)).toBe(0);
  await page.waitForTimeout(300);
  expect(dialogs).toEqual([]);
  expect(pageErrors).toEqual([]);
});

browserTest('timeline, diff and leak views render', async () => {
  let n = await loads();
  await page.click('#tabs button[data-tab="timeline"]');
  await loadsAfter(n);
  expect(await page.$$eval('#timeline rect.event', (r) => r.length)).toBe(24);
  const summary = await page.$$eval('#timeline-summary tbody tr', (trs) => trs.map((tr) => tr.firstChild?.textContent));
  expect(summary).toEqual(expect.arrayContaining(['gc', 'fs', 'dns']));

  n = await loads();
  await page.click('#tabs button[data-tab="diff"]');
  await loadsAfter(n);
  await frameLabel('#diff-flame', LIGHT);
  const fills = await page.$$eval('#diff-flame g.frame', (gs) => Object.fromEntries(gs.map((g) => [g.getAttribute('name'), g.querySelector('rect')?.getAttribute('fill') ?? ''])));
  // Light got slower (red hue 0), heavy faster (blue hue 215).
  expect(fills[LIGHT]).toMatch(/^rgb\((\d+), (\d+), (\d+)\)$|^hsl\(0,/);
  const hue = (color: string) => page.evaluate((c) => {
    const probe = document.createElement('div');
    probe.style.color = c;
    document.body.appendChild(probe);
    const [r, g, b] = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
    probe.remove();
    return r! > b! ? 'red' : 'blue';
  }, color);
  expect(await hue(fills[LIGHT]!)).toBe('red');
  expect(await hue(fills[HEAVY]!)).toBe('blue');
  const diffRows = await page.$$eval('#diff-table tbody tr', (trs) => trs.map((tr) => [tr.firstChild?.textContent, tr.lastElementChild?.className]));
  expect(diffRows).toEqual(expect.arrayContaining([[LIGHT, 'num slower'], [HEAVY, 'num faster']]));
  await page.waitForTimeout(800); // let the frames finish their transition before the picture
  await page.screenshot({ path: join(outputDir, 'diff.png'), fullPage: true });

  n = await loads();
  await page.click('#tabs button[data-tab="leaks"]');
  await loadsAfter(n);
  const leakNames = await page.$$eval('#leaks-table td.fn', (tds) => tds.map((td) => td.textContent));
  expect(leakNames[0]).toBe('leakyAppend');
  expect(pageErrors).toEqual([]);
  expect(dialogs).toEqual([]);
});

browserTest('everything the page loads comes from the viewer itself (works offline, no CDN)', async () => {
  expect(requestedUrls.length).toBeGreaterThan(5);
  expect(requestedUrls.filter((u) => !u.startsWith(`${viewer.url}/`) && !u.startsWith('data:'))).toEqual([]);
  expect(requestedUrls).toEqual(expect.arrayContaining([`${viewer.url}/vendor/d3-flamegraph.min.js`, `${viewer.url}/vendor/d3.min.js`]));
});
