#!/usr/bin/env node
// Where the main thread's time goes while panning: a CPU profile (CDP Profiler) of the page
// while the mouse drags one layer's view, and the CPU each process used meanwhile.
//
//   BENCH_URL=http://127.0.0.1:7017 PAN_LAYER=city PAN_ZOOM=6 node bench/ui-fps/profile-pan.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { launch, QUIET_BROWSER_ARGS, showLayer, dragInCircles } = await import(path.join(here, '../../web/e2e/browser.mjs'));
const URL = process.env.BENCH_URL.replace(/\/+$/, '');
const LAYER = process.env.PAN_LAYER ?? 'city';
const ZOOM = Number(process.env.PAN_ZOOM ?? 6);
const MS = Number(process.env.PAN_MS ?? 3000);

const ticks = () => {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const type = /--type=(\S+)/.exec(cmd)?.[1] ?? (cmd.includes('chromium') ? 'browser' : cmd.split(' ')[0].split('/').pop());
      out.set(pid, { type, t: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  return out;
};

const { context, close } = await launch(QUIET_BROWSER_ARGS);
try {
  const page = await context.newPage();
  await page.goto(URL + '/#layer=' + LAYER);
  await page.waitForFunction(() => window.__livingMap?.renderer?.stats.labelsAt > 0, undefined, { timeout: 60000, polling: 50 });
  await showLayer(page, LAYER);
  await page.evaluate((k) => {
    const r = window.__livingMap.renderer;
    const v = r.fitView();
    r.setView({ ...v, zoom: v.zoom * k });
  }, ZOOM);
  if (process.env.PAN_CSS) await page.addStyleTag({ content: process.env.PAN_CSS });
  await page.waitForTimeout(2000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await page.evaluate(() => {
    const w = window;
    w.__pan = { raf: 0, stop: false, t0: performance.now() };
    const loop = () => { if (!w.__pan.stop) { w.__pan.raf++; requestAnimationFrame(loop); } };
    requestAnimationFrame(loop);
  });
  const before = ticks();
  await cdp.send('Profiler.start');
  const start = await dragInCircles(page, MS);
  const { profile } = await cdp.send('Profiler.stop');
  const after = ticks();
  const fps = await page.evaluate(() => { const b = window.__pan; b.stop = true; return b.raf / ((performance.now() - b.t0) / 1000); });
  const secs = (Date.now() - start) / 1000;
  const byType = new Map();
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (!b) continue;
    const d = (a.t - b.t) / 100 / secs;
    if (d > 0.01) byType.set(a.type + ' ' + pid, d);
  }
  console.log(`${LAYER} zoom ${ZOOM}: ${fps.toFixed(1)} fps over ${secs.toFixed(1)} s`);
  console.log('cores used:', [...byType].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '));
  if (process.env.PROFILE_OUT) fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dts = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, k) => {
    const n = byId.get(id);
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    const dt = dts[k] ?? 0;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log(`profile ${(total / 1000).toFixed(0)} ms; self time, top 30:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${(v / 1000).toFixed(1).padStart(7)} ms ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
} finally {
  await close();
}
