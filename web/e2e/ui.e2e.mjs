// End-to-end test of the web UI in real headless Chromium (Debian's, via playwright-core).
//
//   LIVING_MAP_URL=http://127.0.0.1:7017 node --test e2e/ui.e2e.mjs   # against a running service
//   node --test e2e/ui.e2e.mjs                                         # starts e2e/mock-server.mjs itself
//
// Screenshots go to test-artifacts/ at the repository root (ARTIFACTS_DIR to change).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, showLayer as showLayerIn, startMock } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR ?? path.join(here, '../../test-artifacts'));
fs.mkdirSync(ARTIFACTS, { recursive: true });

let base = process.env.LIVING_MAP_URL?.replace(/\/+$/, '');
let mock = null;
let browser = null;
let page = null;
const errors = [];

before(async () => {
  if (!base) {
    mock = await startMock({ MOCK_RATE: '2', MOCK_ENTITIES: '60' });
    base = mock.url;
  }
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location()?.url ?? ''}`.trim()));
});

after(async () => {
  await browser?.close();
  mock?.stop();
});

const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, name) });

/** share of canvas pixels that are clearly not background */
async function inkRatio() {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=map-canvas]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - 7) + Math.abs(d[i + 1] - 11) + Math.abs(d[i + 2] - 22) > 40) ink++;
    return ink / (d.length / 16);
  });
}

async function waitFor(fn, arg, ms = 10000) {
  return page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
}

async function showLayer(layer) {
  await showLayerIn(page, layer);
  await holdStill();
}

/**
 * Positions read while a fit animation runs (the legend's new height refits the map a frame or
 * two after a layer switch; a details panel opening or closing moves it too) are stale by the time
 * a click lands: wait until the view holds still.
 */
async function holdStill() {
  await page.evaluate(() => {
    window.__e2eSettle = { v: '', n: 0 };
  });
  await waitFor(() => {
    const r = window.__livingMap.renderer;
    const v = JSON.stringify(r.view);
    const w = (window.__e2eSettle ??= { v: '', n: 0 });
    w.n = !r.flying && v === w.v ? w.n + 1 : 0;
    w.v = v;
    return w.n >= 4;
  }, undefined, 5000);
}

/** a visible entity of the current layer, preferring big ones; returns {id, x, y, size} in page pixels */
async function visibleEntity(kind) {
  return page.evaluate((kind) => {
    const lm = window.__livingMap;
    const r = lm.renderer;
    const rect = r.canvas.getBoundingClientRect();
    const cands = r.layout.items
      .filter((it) => !kind || it.kind === kind)
      .map((it) => ({ id: it.id, ...lm.screenPos(it.id) }))
      .filter((p) => p.x - p.size / 2 > rect.left + 20 && p.x + p.size / 2 < rect.right - 400 && p.y - p.size / 2 > rect.top + 20 && p.y + p.size / 2 < rect.bottom - 120);
    cands.sort((a, b) => b.size - a.size);
    return cands[0] ?? null;
  }, kind);
}

test('the page loads and connects', async () => {
  const res = await page.goto(base + '/');
  assert.equal(res.status(), 200);
  await waitFor(() => window.__livingMap?.client?.getState().snapshot != null, undefined, 15000);
  await waitFor(() => document.querySelector('[data-testid=connection]')?.textContent?.includes('Live'), undefined, 15000);
  assert.match(await page.title(), /Living Map/);
});

for (const layer of ['city', 'space', 'nodes', 'agents']) {
  test(`layer ${layer} draws`, async () => {
    await showLayer(layer);
    const ink = await inkRatio();
    await shot(`layer-${layer}.png`);
    assert.ok(ink > 0.003, `layer ${layer}: only ${(ink * 100).toFixed(2)}% of the canvas is drawn`);
  });
}

test('keys 1–4 switch layers', async () => {
  await page.mouse.move(5, 5);
  await page.keyboard.press('3');
  await waitFor(() => window.__livingMap.renderer.layout.layer === 'nodes');
  await page.keyboard.press('1');
  await waitFor(() => window.__livingMap.renderer.layout.layer === 'city');
});

test('clicking an entity opens its details', async () => {
  await showLayer('nodes');
  const e = await visibleEntity('node');
  assert.ok(e, 'no visible node');
  await page.mouse.click(e.x, e.y);
  const details = page.locator('[data-testid=details]');
  await details.waitFor({ state: 'visible', timeout: 3000 });
  const text = await details.textContent();
  assert.ok(text.includes(e.id), `details do not name ${e.id}: ${text.slice(0, 200)}`);
  assert.match(text, /CPU/);
  await shot('details-node.png');
  await page.keyboard.press('Escape');
  await details.waitFor({ state: 'detached', timeout: 3000 });
});

test('a live event visibly updates the map within 2 s', async () => {
  await showLayer('nodes');
  const e = await visibleEntity('node');
  assert.ok(e, 'no visible node');
  // the tile's pixels now, then an event that flips its load, then wait for the pixels to change
  const region = { x: Math.round(e.x - e.size / 2), y: Math.round(e.y - e.size / 2), w: Math.round(e.size), h: Math.round(e.size) };
  const sample = () =>
    page.evaluate((g) => {
      const r = window.__livingMap.renderer;
      const rect = r.canvas.getBoundingClientRect();
      const dpr = r.canvas.width / rect.width;
      const d = r.canvas.getContext('2d').getImageData((g.x - rect.left) * dpr, (g.y - rect.top) * dpr, g.w * dpr, g.h * dpr).data;
      return Array.from(d.filter((_, i) => i % 32 === 0));
    }, region);
  const diff = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
  const before = await sample();
  const load = await page.evaluate((id) => {
    const n = window.__livingMap.client.getState().snapshot.layers.nodes.items.find((x) => x.id === id);
    return Math.max(n.metrics.cpu, n.metrics.gpu);
  }, e.id);
  const v = load > 0.5 ? 0.02 : 0.98;
  const name = e.id.replace(/^node:/, '');
  const t0 = Date.now();
  let injected = false;
  for (const url of [process.env.LIVING_MAP_INJECT_URL, `${base}/living-map/events`].filter(Boolean)) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_type: `node.metrics.${name}`, entity_id: e.id, entity_type: 'node', payload: { node_id: e.id, cpu: v, gpu: v, ram: v, ts: new Date().toISOString() } }),
    }).catch(() => null);
    if (res && res.ok) {
      injected = true;
      break;
    }
  }
  if (injected) {
    let changed = 0;
    while (Date.now() - t0 < 2000) {
      changed = diff(before, await sample());
      if (changed > 12) break;
      await page.waitForTimeout(50);
    }
    const ms = Date.now() - t0;
    await shot('live-event.png');
    assert.ok(changed > 12, `node ${e.id} did not change on screen within 2 s (mean diff ${changed.toFixed(1)})`);
    console.log(`# injected node.metrics for ${e.id}: visible after ${ms} ms`);
  } else {
    // No way to inject here: wait for the service's own next event on a visible entity.
    const ms = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const lm = window.__livingMap;
          const r = lm.renderer;
          const ctx = r.canvas.getContext('2d');
          const rect = r.canvas.getBoundingClientRect();
          const dpr = r.canvas.width / rect.width;
          const grab = (p) => ctx.getImageData((p.x - rect.left - p.size / 2 - 30) * dpr, (p.y - rect.top - p.size / 2 - 30) * dpr, (p.size + 60) * dpr, (p.size + 60) * dpr).data;
          const timeout = setTimeout(() => reject(new Error('no event on a visible entity within 30 s')), 30000);
          const off = lm.client.onEvents((batch) => {
            for (const ev of batch) {
              const p = ev.entity_id && lm.screenPos(ev.entity_id);
              if (!p || p.x < rect.left + 40 || p.y < rect.top + 40 || p.x > rect.right - 40 || p.y > rect.bottom - 40) continue;
              off();
              clearTimeout(timeout);
              const before = grab(p);
              const t0 = performance.now();
              const poll = () => {
                const now = grab(p);
                let d = 0;
                for (let i = 0; i < now.length; i += 4) d += Math.abs(now[i] - before[i]) + Math.abs(now[i + 1] - before[i + 1]);
                if (d / (now.length / 4) > 2) return resolve(performance.now() - t0);
                if (performance.now() - t0 > 2000) return reject(new Error('event on ' + ev.entity_id + ' not visible within 2 s'));
                setTimeout(poll, 30);
              };
              poll();
              return;
            }
          });
        }),
    );
    console.log(`# natural event visible after ${Math.round(ms)} ms`);
    assert.ok(ms < 2000);
  }
});

test('search finds and centres an entity', async () => {
  await showLayer('city');
  const target = await page.evaluate(() => window.__livingMap.client.getState().snapshot.layers.agents.items[0]);
  await page.fill('[data-testid=search]', target.name);
  await page.keyboard.press('Enter');
  await waitFor((id) => window.__livingMap.state().selected === id && window.__livingMap.renderer.layout.layer === 'agents', target.id);
  await page.waitForTimeout(700);
  const p = await page.evaluate((id) => window.__livingMap.screenPos(id), target.id);
  const rect = await page.evaluate(() => JSON.parse(JSON.stringify(window.__livingMap.renderer.canvas.getBoundingClientRect())));
  // centred in the part of the map the details panel leaves free
  const [cx, cy] = await page.evaluate(() => window.__livingMap.renderer.safeCentre());
  assert.ok(Math.abs(p.x - (rect.left + cx)) < 30 && Math.abs(p.y - (rect.top + cy)) < 30, `not centred: ${JSON.stringify(p)} vs ${cx},${cy}`);
  await page.locator('[data-testid=details]').waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
});

test('the URL holds layer, selection and view, and restores them', async () => {
  await showLayer('nodes');
  await page.waitForTimeout(400);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /layer=nodes/);
  assert.match(hash, /view=/);
  const id = await page.evaluate(() => window.__livingMap.renderer.layout.items[0].id);
  const page2 = await browser.context.newPage();
  await page2.goto(`${base}/#layer=nodes&sel=${id}&view=0,0,1.5`);
  await page2.waitForFunction(() => window.__livingMap?.renderer?.layout?.layer === 'nodes', undefined, { timeout: 10000 });
  await page2.locator('[data-testid=details]').waitFor({ state: 'visible', timeout: 5000 });
  const z = await page2.evaluate(() => window.__livingMap.renderer.view.zoom);
  assert.ok(Math.abs(z - 1.5) < 0.01, 'zoom not restored: ' + z);
  await page2.close();
});

test('the timeline shows a past state and returns to live', async () => {
  await showLayer('city');
  const slider = page.locator('[data-testid=time-slider]');
  await slider.focus();
  await page.keyboard.press('Home');
  await waitFor(() => {
    const s = window.__livingMap.state();
    return s.time && s.hasPast;
  }, undefined, 10000);
  await page.waitForTimeout(500);
  const st = await page.evaluate(() => window.__livingMap.state());
  assert.ok(Date.parse(st.time) < Date.now() - 1000, 'the time is not in the past');
  assert.match(await page.locator('[data-testid=connection]').textContent(), /Time travel/);
  assert.match(await page.evaluate(() => location.hash), /t=/);
  const ink = await inkRatio();
  assert.ok(ink > 0.003, 'the past map is empty');
  await shot('timeline-past.png');
  await page.click('[data-testid=go-live]');
  await waitFor(() => window.__livingMap.state().time === null && document.querySelector('[data-testid=connection]').textContent.includes('Live'));
});

test('an alert fires: badge on the map, listed in the panel, hidden by the severity filter', async () => {
  await showLayer('nodes');
  const e = await visibleEntity('node');
  assert.ok(e, 'no visible node');
  const name = e.id.replace(/^node:/, '');
  // CPU 99 %: the e2e rules (web/e2e/alert-rules.e2e.yaml, `for: 0s`) fire node_cpu_high at once
  const res = await fetch(`${base}/living-map/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_type: `node.metrics.${name}`, entity_id: e.id, entity_type: 'node', payload: { node_id: e.id, cpu: 0.99, gpu: 0.99, ram: 0.5, ts: new Date().toISOString() } }),
  });
  assert.ok(res.ok, `POST /living-map/events: ${res.status}`);
  const badge = () => page.evaluate((id) => window.__livingMap.badges().find((b) => b.id === id) ?? null, e.id);
  await waitFor((id) => window.__livingMap.badges().some((b) => b.id === id), e.id, 15000);
  const b = await badge();
  assert.equal(b.severity, 'critical');
  assert.ok(b.count >= 1);
  // the badge is really on the canvas: its centre pixel is the critical red
  // the firing flash is over (its ring and swollen disc would change the colours sampled)
  await waitFor((id) => !window.__livingMap.renderer.alertFlashes.has(id), e.id, 10000);
  const px = await page.evaluate((id) => {
    const r = window.__livingMap.renderer;
    const bb = r.badges.find((x) => x.id === id);
    const dpr = r.canvas.width / r.canvas.getBoundingClientRect().width;
    // points inside the badge around its centre: a neighbour's label or an event pulse drawn
    // above shapes may cover some of them, so the point nearest the critical red (#ef4444) is
    // taken (a "reddest" score once picked an orange blend over the true red)
    const ctx = r.canvas.getContext('2d');
    let best = null;
    let bestD = Infinity;
    for (let k = 0; k < 8; k++) {
      const a = (k * Math.PI) / 4;
      const d = ctx.getImageData(Math.round((bb.x + Math.cos(a) * bb.r * 0.6) * dpr), Math.round((bb.y + Math.sin(a) * bb.r * 0.6) * dpr), 1, 1).data;
      const dist = Math.abs(d[0] - 0xef) + Math.abs(d[1] - 0x44) + Math.abs(d[2] - 0x44);
      if (dist < bestD) [best, bestD] = [[d[0], d[1], d[2]], dist];
    }
    return best;
  }, e.id);
  assert.ok(px[0] > 180 && px[1] < 110 && px[2] < 110, `badge pixel is not red: ${px}`);

  await page.click('[data-testid=alerts-toggle]');
  // the critical row: the same node may also have a pending warning listed
  const row = page.locator(`[data-testid=alert-row][data-severity=critical]:has(a[title="${e.id}"])`);
  await row.first().waitFor({ state: 'visible', timeout: 10000 });
  const text = await row.first().textContent();
  assert.match(text, /critical/i);
  assert.match(text, /CPU/);
  assert.match(text, /firing/);
  // the entity link selects it and the details list the alert
  await row.first().locator(`a[title="${e.id}"]`).click();
  await waitFor((id) => window.__livingMap.state().selected === id, e.id);
  // finding 7: the map flies to it but keeps its neighbourhood in view
  await page.waitForTimeout(700);
  const around = await page.evaluate(() => {
    const lm = window.__livingMap;
    const rect = lm.renderer.canvas.getBoundingClientRect();
    return lm.renderer.layout.items.map((it) => lm.screenPos(it.id)).filter((p) => p.x > rect.left + 388 && p.x < rect.right - 408 && p.y > rect.top && p.y < rect.bottom).length;
  });
  assert.ok(around >= 6, `only ${around} entities left in view around the alert`);
  await page.locator('[data-testid=details-alerts]').waitFor({ state: 'visible', timeout: 3000 });
  assert.match(await page.locator('[data-testid=details-alerts]').textContent(), /CPU/);
  await page.waitForTimeout(600);
  await shot('alerts.png');
  await page.keyboard.press('Escape');

  // severity filter: unchecking critical hides the row and the badge
  await page.click('[data-testid=sev-critical] input');
  await row.first().waitFor({ state: 'detached', timeout: 3000 });
  await waitFor((id) => !window.__livingMap.badges().some((b) => b.id === id && b.severity === 'critical'), e.id, 3000);
  await page.click('[data-testid=sev-critical] input');
  await row.first().waitFor({ state: 'visible', timeout: 3000 });
  await waitFor((id) => window.__livingMap.badges().some((b) => b.id === id), e.id, 3000);

  // acknowledge (auth is off by default): the row shows it
  await row.first().locator('[data-testid=ack]').click();
  await waitFor((id) => [...document.querySelectorAll('[data-testid=alert-row]')].some((r) => r.querySelector(`a[title="${id}"]`) && r.textContent.includes('acknowledged')), e.id, 5000);
  await page.click('[data-testid=alerts-toggle]');
  await page.locator('[data-testid=alerts-panel]').waitFor({ state: 'detached', timeout: 3000 });
  // the same node carries its badge on the space layer too (when it is in view there)
  await showLayer('space');
  const onSpace = await page.evaluate((id) => window.__livingMap.screenPos(id) != null, e.id);
  if (onSpace) await waitFor((id) => window.__livingMap.badges().some((b) => b.id === id), e.id, 3000);
});

// ---- issue 15: what users tripped on -------------------------------------------------------

/** page rect of an element, or null */
const rectOf = (sel) => page.evaluate((sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
}, sel);
const overlaps = (a, b) => a.x - a.size / 2 < b.right && a.x + a.size / 2 > b.left && a.y - a.size / 2 < b.bottom && a.y + a.size / 2 > b.top;
/** every item of the layer on the canvas now, in page pixels */
const itemsOnScreen = () => page.evaluate(() => {
  const lm = window.__livingMap;
  const rect = lm.renderer.canvas.getBoundingClientRect();
  return lm.renderer.layout.items
    .map((it) => ({ id: it.id, kind: it.kind, ...lm.screenPos(it.id) }))
    .filter((p) => p.x > rect.left && p.x < rect.right && p.y > rect.top && p.y < rect.bottom);
});
const settle = () => waitFor(() => !window.__livingMap.renderer.flying, undefined, 5000);

for (const layer of ['city', 'space', 'nodes', 'agents']) {
  test(`finding 1: fitted ${layer} layer: nothing under the legend`, async () => {
    await showLayer(layer);
    await page.click('[aria-label="Fit to screen"]');
    await settle();
    const legend = await rectOf('[data-testid=legend]');
    const under = (await itemsOnScreen()).filter((p) => overlaps(p, legend));
    assert.deepEqual(under.map((p) => p.id), [], `under the legend on ${layer}`);
  });
}

test('finding 1: the details panel never hides what was clicked', async () => {
  for (const layer of ['city', 'nodes']) {
    await showLayer(layer);
    // the entity furthest right: where the panel opens
    const items = await itemsOnScreen();
    const e = items.sort((a, b) => b.x - a.x)[0];
    await page.mouse.click(e.x, e.y);
    await page.locator('[data-testid=details]').waitFor({ state: 'visible', timeout: 3000 });
    await settle();
    const panel = await rectOf('[data-testid=details]');
    const p = await page.evaluate((id) => window.__livingMap.screenPos(id), e.id);
    assert.ok(!overlaps(p, panel), `${e.id} at ${JSON.stringify(p)} is under the details panel ${JSON.stringify(panel)}`);
    await shot(`details-clear-${layer}.png`);
    await page.keyboard.press('Escape');
  }
});

test('finding 2: labels are whole names, never cut, never on top of each other', async () => {
  await showLayer('nodes');
  // tiles about 70 px wide, around the middle: names have room, neighbours compete for it
  await page.evaluate(() => {
    const r = window.__livingMap.renderer;
    const b = r.layout.bounds;
    r.setView({ x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2, zoom: 0.92 });
  });
  await page.waitForTimeout(200);
  const { labels, names } = await page.evaluate(() => {
    const r = window.__livingMap.renderer;
    const names = {};
    for (const it of r.layout.items) names[it.id] = String(it.ref.name ?? it.id);
    return { labels: r.labels, names };
  });
  const named = labels.filter((l) => names[l.id] !== undefined);
  assert.ok(named.length >= 3, `only ${named.length} node names drawn`);
  for (const l of named) assert.equal(l.text, names[l.id], `label of ${l.id} is not its whole name`);
  for (const l of labels) assert.ok(!l.text.includes('…'), `cut label ${l.text}`);
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i], b = labels[j];
      assert.ok(!(a.x < b.x + b.w && a.x + a.w > b.x && a.y < b.y + b.h && a.y + a.h > b.y), `labels ${a.text} and ${b.text} overlap`);
    }
  await shot('labels-nodes.png');
});

test('finding 3: the tooltip shows the same values as the details panel', async () => {
  await showLayer('nodes');
  await page.click('[aria-label="Fit to screen"]');
  await settle();
  const e = await visibleEntity('node');
  await page.mouse.click(e.x, e.y);
  await page.locator('[data-testid=details]').waitFor({ state: 'visible', timeout: 6000 });
  await settle();
  const cpuIn = (sel) => page.evaluate((sel) => {
    for (const tr of document.querySelectorAll(sel + ' tr')) if (tr.children[0]?.textContent.trim() === 'CPU') return tr.children[1].textContent.trim();
    return null;
  }, sel);
  const hover = async () => {
    const p = await page.evaluate((id) => window.__livingMap.screenPos(id), e.id);
    await page.mouse.move(p.x + 1, p.y + 1);
    await page.locator('[data-testid=tooltip]').waitFor({ state: 'visible', timeout: 3000 });
  };
  await hover();
  assert.equal(await cpuIn('[data-testid=tooltip]'), await cpuIn('[data-testid=details]'));
  // a new value: both show it, together
  const v = (await cpuIn('[data-testid=details]')) === '37%' ? 0.41 : 0.37;
  const want = `${Math.round(v * 100)}%`;
  // The simulator sends this node's own metrics every few seconds and can replace the posted value
  // before a frame shows it (CI, 2026-12-06: not seen within 5 s once in three runs). So the value
  // is posted again each second, for at most 10 s; the panel must show it at some point.
  let seen = false;
  for (let i = 0; i < 10 && !seen; i++) {
    const res = await fetch(`${base}/living-map/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_type: `node.metrics.${e.id.replace(/^node:/, '')}`, entity_id: e.id, entity_type: 'node', payload: { node_id: e.id, cpu: v, gpu: 0.2, ram: 0.3, ts: new Date().toISOString() } }),
    });
    assert.ok(res.ok);
    seen = await waitFor((want) => [...document.querySelectorAll('[data-testid=details] tr')].some((tr) => tr.textContent.startsWith('CPU') && tr.textContent.endsWith(want)), want, 1000).then(() => true, () => false);
  }
  assert.ok(seen, `the details panel never showed the posted CPU ${want}`);
  await hover();
  // Both read at once: the same value in the tooltip as in the panel, whichever event came last.
  const [inTip, inPanel] = await page.evaluate(() => ['[data-testid=tooltip]', '[data-testid=details]'].map((sel) => {
    for (const tr of document.querySelectorAll(sel + ' tr')) if (tr.children[0]?.textContent.trim() === 'CPU') return tr.children[1].textContent.trim();
    return null;
  }));
  assert.equal(inTip, inPanel);
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');
});

test('finding 4: UPDATED moves while live; events/s states its window', async () => {
  const read = () => page.locator('[data-testid=stat-updated] .v').textContent();
  const before = await read();
  await waitFor((b) => document.querySelector('[data-testid=stat-updated] .v').textContent !== b, before, 8000);
  assert.match(await page.locator('[data-testid=stat-rate]').textContent(), /10 s avg/);
});

test('finding 5: in time travel the feed holds past events and the map draws no rings', async () => {
  await showLayer('nodes');
  const slider = page.locator('[data-testid=time-slider]');
  await slider.focus();
  await page.keyboard.press('Home');
  await waitFor(() => window.__livingMap.state().hasPast, undefined, 10000);
  await waitFor(() => document.querySelector('[data-testid=feed-title]').textContent.startsWith('Events up to'));
  const t = await page.evaluate(() => document.querySelector('[data-testid=feed-title]').dataset.time);
  // live events keep arriving; none reaches the list or the map
  await fetch(`${base}/living-map/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event_type: 'node.metrics.gpu-1', entity_id: 'node:gpu-1', entity_type: 'node', payload: { node_id: 'node:gpu-1', cpu: 0.5, gpu: 0.5, ram: 0.5 } }) });
  await page.waitForTimeout(600);
  const ts = await page.evaluate(() => [...document.querySelectorAll('[data-testid=event-feed] li[data-ts]')].map((li) => li.dataset.ts));
  for (const x of ts) assert.ok(Date.parse(x) <= Date.parse(t) + 1, `feed shows ${x}, after ${t}`);
  assert.equal(await page.evaluate(() => window.__livingMap.renderer.pulseCount), 0);
  // playback too
  try {
    await page.click('[data-testid=play]');
    await page.waitForTimeout(1200);
    assert.equal(await page.evaluate(() => window.__livingMap.renderer.pulseCount), 0);
    // read together: playback moves on meanwhile
    const [t2, ts2] = await page.evaluate(() => [document.querySelector('[data-testid=feed-title]').dataset.time, [...document.querySelectorAll('[data-testid=event-feed] li[data-ts]')].map((li) => li.dataset.ts)]);
    for (const x of ts2) assert.ok(Date.parse(x) <= Date.parse(t2) + 1, `playback feed shows ${x}, after ${t2}`);
    await shot('timetravel-feed.png');
  } finally {
    await page.click('[data-testid=go-live]');
  }
  await waitFor(() => document.querySelector('[data-testid=feed-title]').textContent === 'Live events');
});

test('finding 6: planet names are drawn whole, on top; no unexplained badge', async () => {
  await showLayer('space');
  const planet = await visibleEntity('planet');
  await page.evaluate((id) => {
    const r = window.__livingMap.renderer;
    const it = r.layout.byId.get(id);
    r.setView({ x: it.x, y: it.y, zoom: 2 });
  }, planet.id);
  await page.waitForTimeout(200);
  const { label, name, badges } = await page.evaluate((id) => {
    const r = window.__livingMap.renderer;
    return { label: r.labels.find((l) => l.id === id), name: r.layout.byId.get(id).ref.name, badges: r.badges };
  }, planet.id);
  assert.ok(label, 'planet name not drawn');
  assert.equal(label.text, name);
  assert.deepEqual(badges.filter((b) => b.id === planet.id), [], 'a badge on a planet without alerts');
  await shot('space-planet.png');
});

test('finding 9: what is unknown reads unknown, not 0', async () => {
  const pick = await page.evaluate(() => {
    const L = window.__livingMap.client.getState().snapshot.layers;
    const node = L.nodes.items.find((n) => !(n.uptime_seconds > 0));
    const agent = L.agents.items.find((a) => a.usage && a.usage.llm_calls_24h === 0);
    return { node: node?.id ?? null, agent: agent?.id ?? null };
  });
  assert.ok(pick.node || pick.agent, 'no entity with unknown values to look at');
  const row = (k) => page.evaluate((k) => [...document.querySelectorAll('[data-testid=details] .fields tr')].find((tr) => tr.children[0].textContent === k)?.children[1].textContent, k);
  if (pick.node) {
    await page.fill('[data-testid=search]', pick.node);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=details]').waitFor({ state: 'visible' });
    assert.equal(await row('Uptime'), 'unknown');
    assert.doesNotMatch(await row('GPU'), /^0%$/);
  }
  if (pick.agent) {
    await page.fill('[data-testid=search]', pick.agent);
    await page.keyboard.press('Enter');
    await waitFor((id) => window.__livingMap.state().selected === id, pick.agent);
    assert.notEqual(await row('Avg response'), '0 ms');
  }
  await page.keyboard.press('Escape');
});

test('finding 8: each related entity is listed once, under a readable heading', async () => {
  await showLayer('city');
  const md = await page.evaluate(() => {
    const L = window.__livingMap.client.getState().snapshot.layers;
    return L.city.items.find((m) => L.agents.items.some((a) => a.microdao_id === m.id) && L.nodes.items.some((n) => n.microdao_id === m.id)).id;
  });
  await page.fill('[data-testid=search]', md);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=details]').waitFor({ state: 'visible' });
  // the server's detail (with its relations) has arrived when the raw JSON shows them
  await waitFor(() => document.querySelector('[data-testid=details] details:last-of-type pre')?.textContent.includes('"relations"'), undefined, 5000);
  const rel = await page.evaluate(() => [...document.querySelectorAll('[data-testid=relation]')].map((s) => ({ h: s.querySelector('h3').textContent, ids: [...s.querySelectorAll('a')].map((a) => decodeURIComponent(a.getAttribute('href').replace('#sel=', ''))) })));
  const all = rel.flatMap((r) => r.ids);
  assert.equal(new Set(all).size, all.length, `listed twice: ${JSON.stringify(rel)}`);
  for (const r of rel) assert.doesNotMatch(r.h, /_|HAS|OWNS/, `raw relation name ${r.h}`);
  assert.ok(rel.some((r) => /Agents/.test(r.h)) && rel.some((r) => /Nodes/.test(r.h)));
  await page.keyboard.press('Escape');
});

test('finding 10: an agent dot is hit from 10 px away', async (t) => {
  await showLayer('agents');
  // Dots are drawn (and clicked) only above the zoom where agents show as groups; this map's fit
  // zoom sits near that threshold, on either side of it from one run to the next.
  for (let i = 0; i < 6 && (await page.evaluate(() => window.__livingMap.renderer.isAggregated())); i++) {
    await page.click('[aria-label="Zoom in"]');
    await holdStill();
  }
  assert.equal(await page.evaluate(() => window.__livingMap.renderer.isAggregated()), false, 'agents still drawn as groups');
  // Points 6 px outside a dot's edge, straight across and on the diagonal, each further from
  // every other dot's edge than that; dots of every size on screen (a dot wider than 12 px was
  // once missed straight across: the hit box was cut at its own half-width, and a point once fell
  // under the legend).
  const tried = [];
  let moved = 0;
  for (let i = 0; i < 6; i++) {
    await holdStill();
    const target = await page.evaluate((tried) => {
      const lm = window.__livingMap;
      const pts = lm.renderer.layout.items.map((it) => ({ id: it.id, ...lm.screenPos(it.id) }));
      const rect = lm.renderer.canvas.getBoundingClientRect();
      for (const p of pts.slice().sort((a, b) => b.size - a.size)) {
        if (p.size > 16 || p.x < rect.left + 60 || p.x > rect.right - 460 || p.y < rect.top + 60 || p.y > rect.bottom - 200) continue;
        for (const k of [0, 1]) {
          if (tried.includes(Math.round(p.size) + ':' + k)) continue;
          const d = p.size / 2 + 6;
          const cx = p.x + Math.cos((k * Math.PI) / 4) * d, cy = p.y + Math.sin((k * Math.PI) / 4) * d;
          // and on the map itself, not under the legend, a banner or a panel
          if (document.elementFromPoint(cx, cy) !== lm.renderer.canvas) continue;
          if (pts.every((q) => q === p || Math.hypot(q.x - cx, q.y - cy) - q.size / 2 > 8)) return { id: p.id, size: p.size, k, cx, cy, view: JSON.stringify(lm.renderer.view) };
        }
      }
      return null;
    }, tried);
    if (!target) break;
    await page.mouse.click(target.cx, target.cy);
    const hit = await waitFor((id) => window.__livingMap.state().selected === id, target.id, 3000).then(
      () => true,
      () => false,
    );
    if (!hit) {
      const seen = await page.evaluate(() => ({ selected: window.__livingMap.state().selected, view: JSON.stringify(window.__livingMap.renderer.view) }));
      // The map refits when an overlay changes size (an alert firing grows the legend): a click
      // aimed at positions read before that proves nothing either way. Aim again, a few times.
      if (seen.view !== target.view && ++moved <= 5) continue;
      assert.fail(`a click 6 px from the edge of ${target.id} (${target.size.toFixed(1)} px wide, ${target.k ? 'diagonal' : 'straight across'}) did not select it: ${JSON.stringify({ ...seen, before: target.view })}`);
    }
    tried.push(Math.round(target.size) + ':' + target.k);
    await page.keyboard.press('Escape');
    await waitFor(() => window.__livingMap.state().selected == null, undefined, 3000);
  }
  const zoom = await page.evaluate(() => window.__livingMap.renderer.view.zoom);
  t.diagnostic(`zoom ${zoom.toFixed(3)}; tried (px wide:diagonal) ${tried.join(' ')}; the view moved under ${moved} click(s)`);
  assert.ok(tried.length > 0, 'no isolated agent dot');
});

test('finding 11: pending alerts are listed', async () => {
  await showLayer('nodes');
  // a node of the test's own, which the simulator's metrics will not bring back under the threshold
  const e = { id: 'node:e2e-pending-' + Date.now().toString(36) };
  const add = await fetch(`${base}/living-map/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_type: 'living_map.entity.added', entity_id: e.id, entity_type: 'node', payload: { entity_id: e.id, entity_type: 'node', entity: { id: e.id, type: 'node', name: e.id.slice(5), status: 'online', metrics: { cpu: 0.2, gpu: 0.1, ram: 0.3 } } } }),
  });
  assert.ok(add.ok, `POST /living-map/events: ${add.status}`);
  const res = await fetch(`${base}/living-map/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_type: `node.metrics.${e.id.replace(/^node:/, '')}`, entity_id: e.id, entity_type: 'node', payload: { node_id: e.id, cpu: 0.3, gpu: 0.3, ram: 0.99, ts: new Date().toISOString() } }),
  });
  assert.ok(res.ok);
  await page.click('[data-testid=alerts-toggle]');
  const row = page.locator(`[data-testid=alert-row]:has(a[title="${e.id}"])`).filter({ hasText: 'pending' });
  // the panel reloads its list every 30 s and on reconnection; reopening is quicker to wait for
  const t0 = Date.now();
  while (!(await row.count()) && Date.now() - t0 < 35000) await page.waitForTimeout(500);
  assert.ok(await row.count(), 'the pending alert is not listed');
  await shot('alerts-pending.png');
  await page.click('[data-testid=alerts-toggle]');
});

test('finding 12: shrinking the window fits the map again', async () => {
  await showLayer('nodes');
  await page.click('[aria-label="Fit to screen"]');
  await settle();
  await page.setViewportSize({ width: 1100, height: 650 });
  try {
    await page.waitForTimeout(300);
    await settle();
    const canvas = await rectOf('[data-testid=map-canvas]');
    const out = (await page.evaluate(() => {
      const lm = window.__livingMap;
      return lm.renderer.layout.items.map((it) => ({ id: it.id, ...lm.screenPos(it.id) }));
    })).filter((p) => p.x < canvas.left || p.x > canvas.right || p.y < canvas.top || p.y > canvas.bottom);
    assert.deepEqual(out.map((p) => p.id), [], 'off screen after the resize');
  } finally {
    await page.setViewportSize({ width: 1600, height: 900 });
  }
});

test('what changed: the last 5 minutes on the map and in a list, with a shareable URL', async () => {
  await showLayer('nodes');
  const id = 'node:e2e-new-' + Date.now().toString(36);
  const res = await fetch(`${base}/living-map/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    // a node joins: the reconciler's event, which the service's reducers and the client both apply
    body: JSON.stringify({ event_type: 'living_map.entity.added', entity_id: id, entity_type: 'node', payload: { entity_id: id, entity_type: 'node', entity: { id, type: 'node', name: id.slice(5), status: 'online', metrics: { cpu: 0.4, gpu: 0.1, ram: 0.3 } } } }),
  });
  assert.ok(res.ok, `POST /living-map/events: ${res.status}`);
  await waitFor((id) => window.__livingMap.renderer.layout.byId.has(id), id, 10000);
  await page.waitForTimeout(300);
  await page.click('[data-testid=diff-toggle]');
  await page.locator('[data-testid=diff-panel]').waitFor({ state: 'visible' });
  await page.click('[data-testid=diff-last-5]');
  await page.locator('[data-testid=diff-counts]').waitFor({ state: 'visible', timeout: 10000 });
  const added = page.locator(`[data-testid=diff-row][data-kind=added]:has(a[title="${id}"])`);
  await added.waitFor({ state: 'visible', timeout: 5000 });
  assert.ok((await page.locator('[data-testid=diff-row][data-kind=changed]').count()) > 0, 'no changed entity listed');
  const changedText = await page.locator('[data-testid=diff-row][data-kind=changed]').first().textContent();
  assert.match(changedText, /→/);
  // on the map: the added node is ringed
  const marks = await page.evaluate(() => [...window.__livingMap.renderer.diffMarks.entries()]);
  assert.ok(marks.some(([k, v]) => k === id && v === 'added'));
  const counts = await page.locator('[data-testid=diff-counts]').textContent();
  await page.waitForTimeout(400);
  await shot('diff.png');
  // the URL holds the range: another page opens the same comparison
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /diff=[^&]+~/);
  const page2 = await browser.context.newPage();
  await page2.goto(`${base}/${hash}`);
  await page2.locator('[data-testid=diff-counts]').waitFor({ state: 'visible', timeout: 15000 });
  assert.equal(await page2.locator('[data-testid=diff-counts]').textContent(), counts);
  await page2.close();
  // a bad range is a message, not a crash
  await page.fill('[data-testid=diff-from]', '2020-01-01T00:00:00');
  await page.fill('[data-testid=diff-to]', '2020-01-01T00:00:01');
  await page.click('[data-testid=diff-apply]');
  await page.locator('[data-testid=diff-error]').waitFor({ state: 'visible', timeout: 10000 });
  await page.click('[data-testid=diff-toggle]');
  await page.locator('[data-testid=diff-panel]').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => window.__livingMap.renderer.diffMarks.size), 0);
});

test('screenshots: each layer zoomed out and zoomed in', async () => {
  for (const layer of ['city', 'space', 'nodes', 'agents']) {
    await showLayer(layer);
    for (const [mode, k] of [['out', 1], ['in', 3]]) {
      await page.evaluate((k) => {
        const r = window.__livingMap.renderer;
        const v = r.fitView();
        r.setView({ ...v, zoom: v.zoom * k });
      }, k);
      await page.waitForTimeout(500);
      await shot(`default-${layer}-${mode}.png`);
    }
  }
});

test('no errors in the page', () => {
  // the diff test asks for a range with no stored state on purpose: its 4xx is the browser's line
  assert.deepEqual(errors.filter((e) => !/favicon/.test(e) && !/status of 4\d\d.*\/living-map\/diff\?/.test(e)), []);
});
