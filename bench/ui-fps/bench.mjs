#!/usr/bin/env node
// UI benchmark: time to first draw and frames per second while panning, in headless Chromium,
// against the mock server with a large network and a steady event rate.
//
//   node bench/ui-fps/bench.mjs            (needs target/classes/webroot built and web/node_modules)
//   BENCH_ENTITIES=10000 BENCH_RATE=200 BENCH_PAN_MS=4000 node bench/ui-fps/bench.mjs
//   BENCH_NODES=10000 BENCH_AGENTS=10000   (force layer sizes: a heavier case)
//   BENCH_URL=http://127.0.0.1:7017 node bench/ui-fps/bench.mjs   (a running service instead of the mock;
//     bench/ui-fps/service-100x.sh starts the real jar at 100x and runs this against it)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../web/e2e');
const { launch, startMock, QUIET_BROWSER_ARGS, dragInCircles } = await import(path.join(web, 'browser.mjs'));

// BENCH_SIZE=100x: 100 times DAARION, the sizes of the service's simulator run with
// --sim-microdaos 1200 --sim-daos 500 --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000
const X100 = process.env.BENCH_SIZE === '100x';
const N = process.env.BENCH_ENTITIES ?? (X100 ? '27700' : '10000');
const RATE = process.env.BENCH_RATE ?? (X100 ? '2000' : '200');
const PAN_MS = Number(process.env.BENCH_PAN_MS ?? (X100 ? 2500 : 4000));
const env = { MOCK_ENTITIES: N, MOCK_RATE: RATE, MOCK_HISTORY_MIN: '2' };
if (X100) Object.assign(env, { MOCK_MICRODAOS: '1200', MOCK_PLANETS: '500', MOCK_NODES: '6000', MOCK_AGENTS: '20000' });
if (process.env.BENCH_NODES) env.MOCK_NODES = process.env.BENCH_NODES;
if (process.env.BENCH_AGENTS) env.MOCK_AGENTS = process.env.BENCH_AGENTS;
const LAYERS = (process.env.BENCH_LAYERS ?? 'nodes,agents,space,city').split(',');

// BENCH_URL: measure against a running service (its own data and event rate); else the mock
const BENCH_URL = process.env.BENCH_URL?.replace(/\/+$/, '');
const mock = BENCH_URL ? { url: BENCH_URL, stop: () => {} } : await startMock(env);
// a failed launch must not leave the mock serving (and holding the caller's stdout) forever
const { context, close } = await launch(QUIET_BROWSER_ARGS).catch((e) => {
  mock.stop();
  throw e;
});
const results = [];
try {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const t0 = Date.now();
  await page.goto(mock.url + '/#layer=nodes');
  await page.waitForFunction(() => window.__livingMap?.renderer?.stats.firstFrameAt > 0, undefined, { timeout: 60000, polling: 20 });
  // the first frame shows shapes; its labels come with the next full draw
  await page.waitForFunction(() => window.__livingMap.renderer.stats.labelsAt > 0, undefined, { timeout: 60000, polling: 20 });
  const first = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const s = window.__livingMap.client.getState().snapshot;
    // the app's user timing (living-map:*): where the time to the first frame went
    const at = (n) => performance.getEntriesByName(n)[0];
    const steps = {
      'page loaded': nav?.domContentLoadedEventEnd,
      'early stream connect': at('living-map:early-stream-connect')?.startTime,
      // the worker's steps: request sent, answer's headers, the snapshot's first part handed over
      // (when it comes in two), the whole body in (inflated, decoded)
      'worker created': at('living-map:early-snapshot-created')?.startTime,
      'worker script': at('living-map:early-snapshot-script')?.startTime,
      'worker fetch': at('living-map:early-snapshot-fetch')?.startTime,
      'headers': at('living-map:early-snapshot-headers')?.startTime,
      'part 1': at('living-map:early-snapshot-part1')?.startTime,
      'body': at('living-map:early-snapshot-body')?.startTime,
      'early snapshot (HTTP)': at('living-map:early-snapshot')?.startTime,
      'early stream open': at('living-map:early-stream-open')?.startTime,
      'client connect': at('living-map:stream-connect')?.startTime,
      'client open': at('living-map:stream-open')?.startTime,
      'snapshot frame in JS': at('living-map:snapshot-parsed')?.startTime,
      'parsed': at('living-map:snapshot-parsed') && at('living-map:snapshot-parsed').startTime + at('living-map:snapshot-parsed').duration,
      'laid out': at('living-map:first-layout') && at('living-map:first-layout').startTime + at('living-map:first-layout').duration,
      'draw start': at('living-map:first-draw')?.startTime,
      'draw end': at('living-map:first-draw') && at('living-map:first-draw').startTime + at('living-map:first-draw').duration,
      'labels drawn': window.__livingMap.renderer.stats.labelsAt,
    };
    return {
      // the first frame with entities: the animation frame after the first draw (its canvas is
      // committed with that frame), not the end of the draw's JavaScript
      firstDrawMs: window.__livingMap.renderer.stats.firstFrameAt,
      drawEndMs: window.__livingMap.renderer.stats.firstDrawAt,
      steps,
      domContentLoadedMs: nav?.domContentLoadedEventEnd ?? null,
      entities: s.layers.city.items.length + s.layers.space.planets.length + s.layers.nodes.items.length + s.layers.agents.items.length,
      perLayer: { city: s.layers.city.items.length, planets: s.layers.space.planets.length, nodes: s.layers.nodes.items.length, agents: s.layers.agents.items.length },
    };
  });
  await page.waitForTimeout(2000); // warm-up: let the page settle before measuring
  // BENCH_SHOTS=dir: each layer fitted (zoomed out) and zoomed in, as PNGs, before measuring
  if (process.env.BENCH_SHOTS) {
    const fs = await import('node:fs');
    fs.mkdirSync(process.env.BENCH_SHOTS, { recursive: true });
    const tag = X100 ? '100x' : `${N}`;
    for (const layer of ['city', 'space', 'nodes', 'agents']) {
      await page.click(`[data-layer=${layer}]`);
      await page.waitForFunction((l) => window.__livingMap.renderer.layout?.layer === l, layer);
      for (const [mode, k] of [['out', 1], ['mid', 4], ['in', 14]]) {
        await page.evaluate((k) => {
          const r = window.__livingMap.renderer;
          const v = r.fitView();
          r.setView({ ...v, zoom: v.zoom * k });
        }, k);
        await page.waitForTimeout(1200);
        await page.screenshot({ path: path.join(process.env.BENCH_SHOTS, `${tag}-${layer}-${mode}.png`) });
      }
    }
    await page.click('[data-layer=nodes]');
  }
  const rate = BENCH_URL
    ? `${await page.evaluate(() => document.querySelector('[data-testid=stat-rate] .v')?.textContent ?? '?')}/s measured by the page (service at ${BENCH_URL})`
    : `${RATE}/s asked of the mock`;
  console.log(`entities: ${first.entities} ${JSON.stringify(first.perLayer)}, events: ${rate}`);
  const snapshotAt = await page.evaluate(() => window.__livingMap.firstSnapshotAt ?? 0);
  console.log(`time to first draw (nodes layer, from navigation start to the frame that shows it): ${first.firstDrawMs.toFixed(0)} ms (first snapshot rendered by the app at ${snapshotAt.toFixed(0)} ms; wall ${Date.now() - t0} ms incl. launch)`);
  console.log('  ' + Object.entries(first.steps).map(([k, v]) => `${k} ${v === undefined || v === null ? '?' : Math.round(v)}`).join(', '));

  for (const layer of LAYERS) {
    await page.click(`[data-layer=${layer}]`);
    await page.waitForFunction((l) => window.__livingMap.renderer.layout?.layer === l, layer);
    for (const mode of ['fit', 'zoomed']) {
      await page.evaluate((mode) => {
        const r = window.__livingMap.renderer;
        const v = r.fitView();
        r.setView(mode === 'fit' ? v : { ...v, zoom: v.zoom * 6 });
      }, mode);
      await page.waitForTimeout(300);
      // count animation frames and renderer draws while the mouse drags the map back and forth
      await page.evaluate(() => {
        const w = window;
        w.__bench = { raf: 0, stop: false, draws0: w.__livingMap.renderer.stats.frames, drawMs: [], t0: performance.now() };
        const r = w.__livingMap.renderer;
        const orig = r.draw.bind(r);
        w.__benchOrigDraw = orig;
        r.draw = () => {
          const a = performance.now();
          orig();
          w.__bench.drawMs.push(performance.now() - a);
        };
        const loop = () => {
          if (w.__bench.stop) return;
          w.__bench.raf++;
          requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      });
      await dragInCircles(page, PAN_MS);
      const m = await page.evaluate(() => {
        const w = window;
        const b = w.__bench;
        b.stop = true;
        const secs = (performance.now() - b.t0) / 1000;
        const r = w.__livingMap.renderer;
        r.draw = w.__benchOrigDraw;
        const d = b.drawMs.slice().sort((x, y) => x - y);
        return {
          fps: b.raf / secs,
          drawsPerSec: d.length / secs,
          drawAvg: d.reduce((s, x) => s + x, 0) / Math.max(1, d.length),
          drawP95: d[Math.floor(d.length * 0.95)] ?? 0,
          visible: r.stats.drawnItems,
          items: r.layout.items.length,
        };
      });
      results.push({ layer, mode, ...m });
      console.log(
        `${layer.padEnd(6)} ${mode.padEnd(6)} items ${String(m.items).padStart(5)} visible ${String(m.visible).padStart(5)}  fps ${m.fps.toFixed(1).padStart(5)}  draws/s ${m.drawsPerSec.toFixed(1).padStart(5)}  draw avg ${m.drawAvg.toFixed(2)} ms p95 ${m.drawP95.toFixed(2)} ms`,
      );
    }
  }
  const minFps = Math.min(...results.map((r) => r.fps));
  console.log(`\nfirst draw ${first.firstDrawMs.toFixed(0)} ms (target < 1500); min fps while panning ${minFps.toFixed(1)} (target >= 30)`);
  if (errors.length) console.log('page errors:', errors);
} finally {
  await close();
  mock.stop();
}
