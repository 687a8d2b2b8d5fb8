/// <reference lib="dom" />
// The UI of a viewer that needs a token: opened once with ?token=, everything it loads carries it.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { gz, HEAVY, wallProfile } from './helpers/profiles';
import { datadogUpload, post } from './helpers/uploads';
import { startTestViewer, type TestViewer } from './helpers/viewer';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`${CHROMIUM} not found: skipping the token browser test (apt-get install chromium)`);
const browserTest = hasChromium ? test : test.skip;
const TOKEN = 'ui-token-0123456789';

let viewer: TestViewer;
let context: BrowserContext;

beforeAll(async () => {
  if (!hasChromium) return;
  viewer = await startTestViewer({ token: TOKEN });
  const startMs = Date.now() - 10 * 60_000;
  const u = datadogUpload({ wall: gz(wallProfile(startMs)) }, { startMs, endMs: startMs + 60_000, service: 'guarded-shop' });
  expect((await post(`${viewer.url}/profiling/v1/input`, u.body, { 'Content-Type': u.contentType, Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vigil-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
});

browserTest('without the token the page is refused; opened with ?token= the UI loads its scripts and data and draws the flame graph', async () => {
  const page = await context.newPage();
  const refused = await page.goto(viewer.url);
  expect(refused?.status()).toBe(401);
  const statuses: number[] = [];
  page.on('response', (r) => statuses.push(r.status()));
  const opened = await page.goto(`${viewer.url}/?token=${TOKEN}`);
  expect(opened?.status()).toBe(200);
  await page.waitForFunction((name) => Array.from(document.querySelectorAll('#flame g.frame')).some((g) => g.getAttribute('name') === name), HEAVY);
  expect(await page.inputValue('#service')).toBe('guarded-shop');
  // Scripts, styles and every API call went through with the cookie: nothing was refused.
  expect(statuses.filter((s) => s === 401)).toEqual([]);
  // A later visit without ?token= still works: the cookie stays.
  expect((await page.goto(viewer.url))?.status()).toBe(200);
}, 60_000);
