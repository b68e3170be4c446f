#!/usr/bin/env node
// Where the first draw's time goes: a CPU profile (CDP Profiler) from navigation start to the
// first frame with entities, with the WebSocket's timings, at the bench's sizes.
//
//   BENCH_SIZE=100x node bench/ui-fps/profile-first-draw.mjs   (PROFILE_OUT=file.cpuprofile keeps it)
//   BENCH_URL=http://127.0.0.1:7017 node bench/ui-fps/profile-first-draw.mjs   (a running service)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { launch, startMock, QUIET_BROWSER_ARGS } = await import(path.join(here, '../../web/e2e/browser.mjs'));
const X100 = process.env.BENCH_SIZE === '100x';
const env = { MOCK_ENTITIES: X100 ? '27700' : '10000', MOCK_RATE: X100 ? '2000' : '200', MOCK_HISTORY_MIN: '2' };
if (X100) Object.assign(env, { MOCK_MICRODAOS: '1200', MOCK_PLANETS: '500', MOCK_NODES: '6000', MOCK_AGENTS: '20000' });

// BENCH_URL: a running service (bench/ui-fps/service-100x.sh's) instead of the mock
const BENCH_URL = process.env.BENCH_URL?.replace(/\/+$/, '');
const mock = BENCH_URL ? { url: BENCH_URL, stop: () => {} } : await startMock(env);
const { context, close } = await launch(QUIET_BROWSER_ARGS).catch((e) => {
  mock.stop();
  throw e;
});
try {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const net = [];
  let wallBase = null; // CDP monotonic seconds -> ms since navigation start, computed below
  for (const ev of ['Network.webSocketCreated', 'Network.webSocketHandshakeResponseReceived', 'Network.webSocketFrameReceived', 'Network.requestWillBeSent', 'Network.loadingFinished']) {
    cdp.on(ev, (p) => net.push({ ev, t: p.timestamp, len: p.response?.payloadData?.length, url: p.request?.url ?? p.url }));
  }
  await cdp.send('Network.enable');
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  await page.goto(mock.url + '/#layer=nodes');
  await page.waitForFunction(() => window.__livingMap?.renderer?.stats.firstFrameAt > 0, undefined, { timeout: 60000, polling: 20 });
  const { profile } = await cdp.send('Profiler.stop');
  const info = await page.evaluate(() => ({
    firstDraw: window.__livingMap.renderer.stats.firstFrameAt,
    timeOrigin: performance.timeOrigin,
    marks: performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]),
    measures: performance.getEntriesByType('measure').map((m) => [m.name, Math.round(m.startTime), Math.round(m.duration)]),
    res: performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(), Math.round(r.startTime), Math.round(r.responseEnd)]),
    nav: (() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { responseEnd: Math.round(n.responseEnd), dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
    })(),
  }));
  if (process.env.PROFILE_OUT) fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
  console.log('first draw', Math.round(info.firstDraw), 'ms; navigation', info.nav, 'resources', info.res);
  console.log('marks', info.marks, 'measures', info.measures);
  // profile time (µs, monotonic) -> ms since navigation start: the first request's CDP timestamp is ~0
  const navReq = net.find((n) => n.ev === 'Network.requestWillBeSent');
  wallBase = navReq ? navReq.t : 0;
  let frames = 0;
  for (const n of net) if (n.ev.startsWith("Network.webSocket") && (n.ev !== "Network.webSocketFrameReceived" || frames++ < 3)) console.log(n.ev, Math.round((n.t - wallBase) * 1000), 'ms', n.len ?? '', n.url ?? '');
  // self time per function, and per 100 ms bucket the heaviest functions
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const buckets = new Map();
  let t = profile.startTime;
  const base = wallBase * 1e6;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const n = byId.get(profile.samples[i]);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').pop()}:${cf.lineNumber + 1}`;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(key, (self.get(key) ?? 0) + dt);
    const b = Math.floor((t - base) / 1000 / 100) * 100;
    if (!buckets.has(b)) buckets.set(b, new Map());
    const m = buckets.get(b);
    m.set(key, (m.get(key) ?? 0) + dt);
  }
  console.log('\nself time (ms):');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(v.toFixed(1).padStart(8), k);
  // inclusive time of the functions called (directly or not) from the first draw and the snapshot's apply
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const avg = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  for (const root of ['draw', 'onFrame', 'layoutLayer']) {
    const incl = new Map();
    for (const [id, k] of hits) {
      const chain = [];
      let cur = id, under = false;
      while (cur !== undefined) {
        const cf = byId.get(cur).callFrame;
        if (cf.functionName === root) { under = true; break; }
        chain.push(`${cf.functionName || '(anon)'}:${cf.lineNumber + 1}`);
        cur = parent.get(cur);
      }
      if (!under) continue;
      for (const f of new Set(chain)) incl.set(f, (incl.get(f) ?? 0) + k * avg);
      incl.set('(total)', (incl.get('(total)') ?? 0) + k * avg);
    }
    console.log(`\nunder ${root} (inclusive ms):`, [...incl].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
  }
  console.log('\nper 100 ms from navigation start (top 3 self):');
  for (const [b, m] of [...buckets].sort((a, b) => a[0] - b[0])) {
    const top = [...m].filter(([k]) => k !== '(idle) :0').sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(String(b).padStart(6), top.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' | '));
  }
} finally {
  await close();
  mock.stop();
}
