// Launch Debian's Chromium through playwright-core (no browser download).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/**
 * Headless Chromium (new headless) runs the browser's UI off screen, and at start-up loads the
 * omnibox popup's WebUI in a renderer of its own: seconds of CPU (5 s of main-thread tasks in
 * the first 7 s, traced at 100x) that a benchmark on 2 cores would count against the page.
 */
export const QUIET_BROWSER_ARGS = ['--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup'];

export async function launch(extraArgs = []) {
  if (!CHROMIUM) throw new Error('Chromium not found at /usr/bin/chromium: apt-get install -y chromium (or set CHROMIUM_PATH)');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 900 },
    deviceScaleFactor: 1,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/** Start the mock server on a free port; resolves to {url, stop}. */
export async function startMock(env = {}) {
  const { spawn } = await import('node:child_process');
  const net = await import('node:net');
  // env.PORT pins the port (a test restarting the service on the same origin); else a free one
  const port = env.PORT ? Number(env.PORT) : await new Promise((res) => {
    const s = net.createServer();
    s.listen(0, () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
  const here = path.dirname(new URL(import.meta.url).pathname);
  const child = spawn(process.execPath, [path.join(here, 'mock-server.mjs')], { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    child.stdout.on('data', (d) => String(d).includes('mock living-map on') && res());
    child.on('exit', (c) => rej(new Error('mock server exited ' + c)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM'), child };
}

/**
 * Switches the map to {@code layer} and waits until the renderer has drawn a layout of it (a
 * layer switch lays out the new layer over some frames).
 */
export async function showLayer(page, layer, timeout = 10000) {
  await page.click(`[data-layer=${layer}]`);
  await page.waitForFunction(
    (l) => {
      const r = window.__livingMap?.renderer;
      return r && r.layout && r.layout.layer === l && r.layout.items.length > 0 && r.stats.frames > 0;
    },
    layer,
    { timeout, polling: 50 },
  );
}

/**
 * Drags the map in circles (200 × 120 px around the canvas's centre) for {@code ms}, as the UI
 * benchmarks do, so that their figures compare; resolves to the time the drag started (Date.now()).
 */
export async function dragInCircles(page, ms) {
  const box = await page.locator('[data-testid=map-canvas]').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < ms) {
    const a = (i++ / 30) * Math.PI;
    await page.mouse.move(cx + Math.cos(a) * 200, cy + Math.sin(a) * 120);
  }
  await page.mouse.up();
  return start;
}
