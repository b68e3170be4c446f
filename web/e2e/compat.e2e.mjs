// End-to-end, real headless Chromium: a page written to the ORIGINAL `useLivingMapFull` contract
// (e2e/compat/OriginalContractPage.tsx; only its import names our package) stays drawn through a
// service restart, its badge is green while the stream is open, and "Last updated" follows events.
//
//   node --test e2e/compat.e2e.mjs
//
// Builds the page with Vite into a temporary directory and serves it from e2e/mock-server.mjs
// (so the hook, given no options, talks to the page's origin), then stops the mock and starts it
// again on the same port with a new epoch: the hook must resume, get a resync snapshot, and never
// show the error screen or lose the map meanwhile. It always uses its own mock (LIVING_MAP_URL is
// for ui.e2e.mjs): restarting a jar costs far more than this test needs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, startMock } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR ?? path.join(here, '../../test-artifacts'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
const MOCK_ENV = { MOCK_RATE: '4', MOCK_ENTITIES: '40', MOCK_HISTORY_MIN: '1' };

let webroot = null;
let mock = null;
let browser = null;
let page = null;
const errors = [];
const sockets = []; // every WebSocket the page opened: {url, closed}

async function buildPage() {
  const { build } = await import('vite');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-compat-page-'));
  const r = (p) => path.resolve(here, p);
  await build({
    configFile: false,
    logLevel: 'warn',
    root: r('compat'),
    base: './',
    esbuild: { jsx: 'automatic' },
    resolve: {
      alias: [
        { find: /^@daarion\/living-map-client\/react$/, replacement: r('../packages/living-map-client/src/react.ts') },
        { find: /^@daarion\/living-map-client$/, replacement: r('../packages/living-map-client/src/index.ts') },
      ],
    },
    build: { outDir: out, emptyOutDir: true, target: 'es2020', reportCompressedSize: false },
  });
  return out;
}

async function stopMock(m) {
  const exited = new Promise((res) => (m.child.exitCode !== null ? res() : m.child.once('exit', res)));
  m.stop();
  await exited;
}

before(async () => {
  webroot = await buildPage();
  mock = await startMock({ ...MOCK_ENV, WEBROOT: webroot });
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text()) && errors.push(m.text()));
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), closed: false };
    sockets.push(s);
    ws.on('close', () => (s.closed = true));
  });
});

after(async () => {
  await browser?.close();
  if (mock) await stopMock(mock);
  if (webroot) fs.rmSync(webroot, { recursive: true, force: true });
});

const waitFor = (fn, arg, ms = 15000) => page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
const statusText = () => page.locator('[data-testid=status]').textContent();
const generatedAt = () => page.locator('[data-testid=updated]').getAttribute('data-generated-at');

/** share of sampled canvas pixels that differ clearly from the page's map background */
const inkRatio = () =>
  page.evaluate(() => {
    const c = document.querySelector('[data-testid=canvas]');
    if (!c) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 16) if (d[i + 3] > 0 && Math.abs(d[i] - 15) + Math.abs(d[i + 1] - 15) + Math.abs(d[i + 2] - 30) > 40) ink++;
    return ink / (d.length / 16);
  });

test('a page written to the original contract: green while open, stays drawn through a service restart', async () => {
  await page.goto(mock.url + '/');
  await waitFor(() => document.querySelector('[data-testid=status]')?.textContent === 'Connected');
  assert.equal(await page.locator('[data-testid=status]').getAttribute('class'), 'green');
  await waitFor(() => document.querySelectorAll('[data-testid=items] li').length > 0);
  assert.ok((await inkRatio()) > 0.05, 'the map is not drawn');
  assert.equal(await page.locator('[data-testid=sources]').textContent(), 'Sources: mock');

  // "Last updated" follows the events (the mock publishes MOCK_RATE events a second)
  const g0 = await generatedAt();
  await waitFor((g) => document.querySelector('[data-testid=updated]').getAttribute('data-generated-at') !== g, g0, 5000);
  assert.ok(Date.parse(await generatedAt()) > Date.parse(g0), 'generated_at did not advance');

  // the service goes down: the badge leaves green, the map stays, no error screen
  const port = new URL(mock.url).port;
  const before = sockets.length;
  await stopMock(mock);
  mock = null;
  await waitFor(() => document.querySelector('[data-testid=status]')?.textContent !== 'Connected');
  // wait until a reconnect attempt has failed against the stopped service
  const deadline = Date.now() + 15000;
  while (!(sockets.length > before && sockets.slice(before).some((s) => s.closed)) && Date.now() < deadline) await page.waitForTimeout(50);
  assert.ok(sockets.slice(before).some((s) => s.closed), 'no reconnect attempt was made while the service was down');
  assert.notEqual(await statusText(), 'Connected');
  assert.equal(await page.locator('[data-testid=error]').count(), 0, 'the error screen is up while a snapshot is held');
  assert.ok((await inkRatio()) > 0.05, 'the map went blank while the service was down');
  await page.screenshot({ path: path.join(ARTIFACTS, 'compat-service-down.png') });

  // it comes back (new epoch): the hook resumes, takes the resync snapshot, goes green again
  mock = await startMock({ ...MOCK_ENV, WEBROOT: webroot, PORT: port });
  await waitFor(() => document.querySelector('[data-testid=status]')?.textContent === 'Connected', undefined, 20000);
  const g1 = await generatedAt();
  await waitFor((g) => document.querySelector('[data-testid=updated]').getAttribute('data-generated-at') !== g, g1, 5000);
  assert.ok((await inkRatio()) > 0.05, 'the map is not drawn after the restart');
  await page.screenshot({ path: path.join(ARTIFACTS, 'compat-after-restart.png') });

  const m = await page.evaluate(() => window.__compat);
  assert.ok(m.frames > 10, `too few animation frames observed (${m.frames})`);
  assert.equal(m.blankFrames, 0, `the map was missing in ${m.blankFrames} frames: ${m.blankSamples.join('; ')}`);
  assert.ok(m.statuses.includes('Connected') && m.statuses.some((s) => s !== 'Connected'), `statuses seen: ${m.statuses}`);
  assert.equal(m.statuses[m.statuses.length - 1], 'Connected');
  console.log(`# statuses seen: ${m.statuses.join(' → ')}; ${m.frames} frames, ${sockets.length} sockets`);
});

test('no errors in the page', () => {
  assert.deepEqual(errors, []);
});
