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
    // Version 1.0.0, then a release 2.0.0 deployed to another folder (paths moved) that made LIGHT slower.
    await upload({ wall: gz(wall), events: gz(eventsProfile(startMs)), space: gz(spaceProfile(startMs, (i + 1) * 3 * 1024 * 1024)) }, startMs, 'web-shop', { version: i < 3 ? '1.0.0' : '2.0.0' });
  }
  // Another service sorts first: the page must still open the one the URL names.
  await upload({ wall: gz(wallProfile(T0)) }, T0, 'aaa-batch');
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vigil-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    // A common laptop window, and never full-page screenshots: what a user sees without scrolling is the test.
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requestedUrls.push(r.url()));
  await page.goto(`${viewer.url}/?service=web-shop`);
  await page.waitForFunction(() => Number(document.body.dataset.loads ?? 0) > 0);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
});

/** Whether an element's box lies inside the 1400x900 window without scrolling. */
async function inView(selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  return box !== null && box.width > 0 && box.height > 0 && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1400 && box.y + box.height <= 900;
}

browserTest('first screen: the root frame, the hottest frames and the filled hotspot table are in view at 1400x900', async () => {
  await frameLabel('#flame', HEAVY);
  // ?service= in the URL wins over the first service in the list.
  expect(await page.inputValue('#service')).toBe('web-shop');
  const rootName = await page.$eval('#flame g.frame', (g) => g.getAttribute('name'));
  expect(rootName).toBe('all (wall)');
  expect(await inView('#flame g.frame')).toBe(true);
  expect(await inView(`#flame g.frame[name="${HEAVY}"]`)).toBe(true);
  expect(await page.$$eval('#top-table tbody tr', (trs) => trs.length)).toBeGreaterThanOrEqual(5);
  expect(await inView('#top-table tbody tr:nth-child(5)')).toBe(true);
  expect(await inView('#strip svg.series')).toBe(true);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  mkdirSync(outputDir, { recursive: true });
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outputDir, 'first-screen.png') });
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
  const heavyRow = await page.$$eval('#top-table tbody tr', (trs, h) => trs.find((tr) => tr.firstChild?.firstChild?.textContent === h)?.textContent ?? '', HEAVY);
  expect(heavyRow).toContain('40.0%');
  await page.hover(`#flame g.frame[name="${HEAVY}"]`);
  await page.waitForFunction(() => (document.getElementById('details')?.textContent ?? '').includes('crunchNumbersHeavy'));
  expect(await page.textContent('#details')).toMatch(/crunchNumbersHeavy — \/app\/server\.js: 2\.40 s \(40\.0%\)/);
  mkdirSync(outputDir, { recursive: true });
  await page.waitForTimeout(800); // let the frames finish their transition before the picture
  await page.screenshot({ path: join(outputDir, 'flamegraph.png') });
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
  const diffRows = await page.$$eval('#diff-table tbody tr', (trs) => trs.map((tr) => [tr.firstChild?.textContent, tr.children[4]?.className]));
  expect(diffRows).toEqual(expect.arrayContaining([[LIGHT, 'num slower'], [HEAVY, 'num faster']]));
  await page.waitForTimeout(800); // let the frames finish their transition before the picture
  await page.screenshot({ path: join(outputDir, 'diff.png') });

  // By version: 1.0.0 against 2.0.0 finds the same change without picking times.
  n = await loads();
  await page.selectOption('#compareBy', 'version');
  await page.waitForFunction(() => (document.getElementById('newValue') as HTMLSelectElement).options.length === 2);
  expect(await page.inputValue('#baseValue')).toBe('1.0.0');
  expect(await page.inputValue('#newValue')).toBe('2.0.0');
  await page.click('#runDiff');
  await loadsAfter(n);
  const byVersion = await page.$$eval('#diff-table tbody tr', (trs) => trs.map((tr) => [tr.firstChild?.textContent, tr.children[4]?.textContent]));
  expect(byVersion).toEqual(expect.arrayContaining([[LIGHT, expect.stringMatching(/^\+\d/)], [HEAVY, expect.stringMatching(/^-\d/)]]));
  expect(await page.textContent('#diff-matching')).toMatch(/function name \+ file name/);
  await page.selectOption('#compareBy', 'time');

  n = await loads();
  await page.click('#tabs button[data-tab="leaks"]');
  await loadsAfter(n);
  const leakNames = await page.$$eval('#leaks-table td.fn', (tds) => tds.map((td) => td.textContent));
  expect(leakNames[0]).toBe('leakyAppend');
  expect(pageErrors).toEqual([]);
  expect(dialogs).toEqual([]);
});

browserTest('time series: one bar per period, and dragging a range narrows every view', async () => {
  let n = await loads();
  await page.click('#tabs button[data-tab="flame"]');
  await loadsAfter(n);
  await page.waitForFunction(() => document.querySelectorAll('#strip rect.period').length === 6);
  expect(await page.textContent('#status')).toMatch(/^6 profile/);
  // Drag over the last three periods of the strip.
  const bars = await page.$$eval('#strip rect.period', (rects) => rects.map((r) => {
    const box = r.getBoundingClientRect();
    return { x: box.x, y: box.y, width: box.width, height: box.height };
  }));
  const y = bars[5]!.y + bars[5]!.height / 2;
  n = await loads();
  await page.mouse.move(bars[3]!.x + 3, y);
  await page.mouse.down();
  await page.mouse.move(bars[5]!.x + bars[5]!.width - 3, y, { steps: 8 });
  await page.mouse.up();
  await loadsAfter(n);
  expect(await page.inputValue('#range')).toBe('custom');
  // The strip keeps showing the whole preset range, with the selection drawn on it.
  await page.waitForFunction(() => document.querySelectorAll('#strip rect.period').length === 6 && document.querySelector('#strip .brush rect.selection')?.getAttribute('width') !== null);
  expect(await page.textContent('#status')).toMatch(/^3 profile/);
  // The range holds for the other views too: the hotspots now show only the slow release.
  const lightShare = await page.$$eval('#top-table tbody tr', (trs, l) => trs.find((tr) => tr.firstChild?.firstChild?.textContent === l)?.children[2]?.textContent, LIGHT);
  expect(lightShare).toBe('80.0%');
  await frameLabel('#flame', LIGHT);
  expect(await inView('#flame g.frame')).toBe(true);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outputDir, 'range-selected.png') });

  n = await loads();
  await page.click('#tabs button[data-tab="series"]');
  await loadsAfter(n);
  const sampleTypes = await page.$$eval('#series svg.series', (svgs) => svgs.map((s) => s.getAttribute('data-sample-type')));
  expect(sampleTypes).toEqual(expect.arrayContaining(['wall', 'inuse_space', 'timeline']));
  expect(await page.$$eval('#series svg.series[data-sample-type="wall"] rect.period', (r) => r.length)).toBe(6);
  await page.screenshot({ path: join(outputDir, 'time-series.png') });

  n = await loads();
  await page.click('#series .clearRange, .clearRange');
  await loadsAfter(n);
  expect(await page.inputValue('#range')).not.toBe('custom');
});

browserTest('sandwich: callers above and callees below one function, opened from the hotspot table', async () => {
  let n = await loads();
  await page.click('#tabs button[data-tab="flame"]');
  await loadsAfter(n);
  n = await loads();
  await page.click(`#top-table button[aria-label="Sandwich view of handleCompute"]`);
  await loadsAfter(n);
  expect(await page.inputValue('#sandwichFunction')).toBe('handleCompute');
  await frameLabel('#sandwich-callers', 'processRequest');
  const callers = await frameNames('#sandwich-callers');
  const callees = await frameNames('#sandwich-callees');
  expect(callers).toEqual(expect.arrayContaining(['handleCompute', 'processRequest', '(root)']));
  expect(callers).not.toContain(HEAVY);
  expect(callees).toEqual(['handleCompute', HEAVY]);
  expect(await page.textContent('#sandwich-summary')).toMatch(/^handleCompute — \/app\/server\.js: total 2\.40 s \(40\.0%\)/);
  expect(await inView('#sandwich-callees g.frame')).toBe(true);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outputDir, 'sandwich.png') });
});

browserTest('in-use heap is a level: the mean or latest snapshot, never the sum, and the page says which', async () => {
  // Six snapshots of 5, 8, ... 20 MiB: the peak is 20 MiB, the mean 12.5 MiB, the sum would be 75 MiB.
  let n = await loads();
  await page.click('#tabs button[data-tab="flame"]');
  await loadsAfter(n);
  n = await loads();
  await page.selectOption('#type', 'space');
  await loadsAfter(n);
  expect(await page.isVisible('#heapAgg')).toBe(true);
  await page.waitForFunction(() => (document.getElementById('summary')?.textContent ?? '').includes('inuse_space'));
  expect(await page.textContent('#summary')).toBe('12.5 MiB — inuse_space: mean of 6 snapshot(s) per process, not a sum');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outputDir, 'heap.png') });
  n = await loads();
  await page.selectOption('#heapAgg', 'latest');
  await loadsAfter(n);
  expect(await page.textContent('#summary')).toBe('20.0 MiB — inuse_space: latest snapshot of each process');
  const leaky = await page.$$eval('#top-table tbody tr', (trs) => trs.find((tr) => tr.firstChild?.firstChild?.textContent === 'leakyAppend')?.children[1]?.textContent);
  expect(leaky).toBe('18.0 MiB');
  // Each switch waits for its own load: counting loads after selecting 'mean' could take that
  // load for the wall one, and the check then ran before the wall view (failed once in CI).
  n = await loads();
  await page.selectOption('#heapAgg', 'mean');
  await loadsAfter(n);
  n = await loads();
  await page.selectOption('#type', 'wall');
  await loadsAfter(n);
  await page.waitForSelector('#heapAgg', { state: 'hidden', timeout: 10_000 });
  expect(await page.isVisible('#heapAgg')).toBe(false);
});

browserTest('everything the page loads comes from the viewer itself (works offline, no CDN)', async () => {
  expect(requestedUrls.length).toBeGreaterThan(5);
  expect(requestedUrls.filter((u) => !u.startsWith(`${viewer.url}/`) && !u.startsWith('data:'))).toEqual([]);
  expect(requestedUrls).toEqual(expect.arrayContaining([`${viewer.url}/vendor/d3-flamegraph.min.js`, `${viewer.url}/vendor/d3.min.js`]));
});
