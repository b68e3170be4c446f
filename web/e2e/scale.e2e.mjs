// The map at 100× DAARION in real headless Chromium, against the real service started with
// --sim-microdaos 1200 --sim-daos 500 --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000
// (27,700 entities, 2,000 events/s).
//
//   LIVING_MAP_SCALE_URL=http://127.0.0.1:7017 node --test e2e/scale.e2e.mjs
//
// scripts/e2e.sh starts that service after the default suite and runs this file against it
// (E2E_SKIP_SCALE=1 skips it; LIVING_MAP_SCALE_URL points it at a service already running at
// 100×, started with web/e2e/alert-rules.scale.yaml for the microDAO alert). Without
// LIVING_MAP_SCALE_URL every test here is skipped.
//
// For each layer: zoomed out (fitted) the map draws groups, not thousands of entities; a click
// on a group opens it into its entities; screenshots 100x-<layer>-out.png and -in.png go to the
// e2e artifacts folder. One microDAO is marked inactive: the fitted city names it over its group.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, QUIET_BROWSER_ARGS, showLayer as showLayerIn } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR ?? path.join(here, '../../test-artifacts'));
const base = process.env.LIVING_MAP_SCALE_URL?.replace(/\/+$/, '');
const skip = base ? false : 'LIVING_MAP_SCALE_URL is not set (scripts/e2e.sh starts a service at 100x)';
/** the simulator at 100× has 27,700 entities; a few may still be on their way */
const MIN_ENTITIES = 27000;
/** how long the simulator may take to bring every entity in (polls of 27,700 entities) */
const LOAD_TIMEOUT_MS = Number(process.env.SCALE_LOAD_TIMEOUT_MS ?? 60000);
const LAYERS = ['city', 'space', 'nodes', 'agents'];

let browser = null;
let page = null;
const errors = [];
/** the microDAO this test marks inactive */
let troubled = null;

before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch(QUIET_BROWSER_ARGS);
  page = await browser.context.newPage();
  const t0 = Date.now();
  // when, in seconds since the browser started: a failure then points into the service's log
  page.on('pageerror', (e) => errors.push(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${m.text()} ${m.location()?.url ?? ''}`.trim()));
  console.log(`# browser started at ${new Date(t0).toISOString()}`);
});

after(async () => {
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, name) });

async function waitFor(fn, arg, ms = 10000) {
  return page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
}

/**
 * The view holds still and the scene on screen was drawn for it: the renderer spaces its full
 * draws (in between it shows the last one moved and scaled), so a screenshot or a pixel read
 * right after a view change could show the previous scene.
 */
async function settled() {
  await page.evaluate(() => {
    window.__e2eSettle = { v: '', n: 0 };
  });
  await waitFor(
    () => {
      const r = window.__livingMap.renderer;
      const v = JSON.stringify(r.view);
      const w = window.__e2eSettle;
      w.n = !r.flying && v === w.v && JSON.stringify(r.baseView) === v ? w.n + 1 : 0;
      w.v = v;
      return w.n >= 3;
    },
    undefined,
    15000,
  );
}

async function showLayer(layer) {
  await showLayerIn(page, layer);
}

test('100x: the service brings in every entity', { skip }, async () => {
  // bounded poll on the service's entity count (the simulator's polls bring 27,700 entities in
  // over some seconds): the page is loaded once they are all there
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  let n = 0;
  while (Date.now() < deadline) {
    const h = await fetch(`${base}/living-map/health`)
      .then((r) => r.json())
      .catch(() => null);
    n = h?.checks?.state?.entities ?? 0;
    if (n >= MIN_ENTITIES) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(n >= MIN_ENTITIES, `the service holds ${n} entities after ${LOAD_TIMEOUT_MS} ms (want >= ${MIN_ENTITIES})`);
});

test('100x: the map loads 27,000 entities', { skip }, async () => {
  const res = await page.goto(base + '/#layer=city');
  assert.equal(res.status(), 200);
  await waitFor(
    (min) => {
      const s = window.__livingMap?.client?.getState().snapshot;
      if (!s) return false;
      const L = s.layers;
      return L.city.items.length + L.space.planets.length + L.nodes.items.length + L.agents.items.length >= min;
    },
    MIN_ENTITIES,
    30000,
  );
  const counts = await page.evaluate(() => {
    const L = window.__livingMap.client.getState().snapshot.layers;
    return { city: L.city.items.length, planets: L.space.planets.length, nodes: L.nodes.items.length, agents: L.agents.items.length };
  });
  const total = counts.city + counts.planets + counts.nodes + counts.agents;
  console.log(`# entities in the page: ${total} ${JSON.stringify(counts)}`);
  assert.ok(total >= MIN_ENTITIES, `only ${total} entities in the page`);
  // the stream worker handed the service's snapshot over in two parts (the layers before the
  // agents drawn first), and the parts were joined: nothing is left marked as on its way
  const parts = await page.evaluate(() => ({
    first: performance.getEntriesByName('living-map:early-snapshot-part1').length,
    partial: window.__livingMap.client.getState().snapshot.meta.partial ?? null,
  }));
  assert.deepEqual(parts, { first: 1, partial: null }, 'the snapshot came whole, or its parts were not joined');
});

test('100x: a microDAO in trouble is marked inactive (and alerts)', { skip }, async () => {
  await showLayer('city');
  // a microDAO away from the middle of the map, in a group of its own size band
  troubled = await page.evaluate(() => {
    const items = window.__livingMap.renderer.layout.items.slice().sort((a, b) => Math.hypot(b.x, b.y) - Math.hypot(a.x, a.y));
    const it = items[Math.floor(items.length / 3)];
    return { id: it.id, name: String(it.ref.name) };
  });
  // the id comes from the payload (entity_id first); the simulator's next poll says "active"
  // again, while the e2e rule microdao_inactive keeps its alert firing for 10 minutes
  const res = await fetch(`${base}/living-map/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_type: 'microdao.event.updated', payload: { entity_id: troubled.id, microdao_id: troubled.id, changes: { is_active: false } } }),
  });
  assert.ok(res.ok, `POST /living-map/events: ${res.status}`);
  assert.equal((await res.json()).accepted, true);
  await waitFor(
    (id) => {
      const m = window.__livingMap.client.getState().snapshot.layers.city.items.find((x) => x.id === id);
      return m && (m.status === 'inactive' || (Array.isArray(m.alerts) && m.alerts.length > 0));
    },
    troubled.id,
    15000,
  );
});

for (const layer of LAYERS) {
  test(`100x ${layer}: groups when fitted, entities when a group is opened`, { skip }, async () => {
    await showLayer(layer);
    await page.evaluate(() => {
      const r = window.__livingMap.renderer;
      r.setView(r.fitView());
      r.fitted = true;
    });
    if (layer === 'city' && troubled) {
      // the microDAO marked inactive is drawn and named over its group (the alert may take a
      // moment to reach the page when the poll has already said "active" again)
      await waitFor((id) => window.__livingMap.renderer.attention.some((a) => a.id === id), troubled.id, 15000);
    }
    await settled();
    const out = await page.evaluate(() => {
      const r = window.__livingMap.renderer;
      const L = r.layout;
      const i = r.insets;
      // where the fitted layout lies on the canvas, against the area the overlays leave free
      const [x0, y0] = r.worldToScreen(L.bounds.minX, L.bounds.minY);
      const [x1, y1] = r.worldToScreen(L.bounds.maxX, L.bounds.maxY);
      const free = { x0: i.left, y0: i.top, x1: r.width - i.right, y1: r.height - i.bottom };
      return {
        aggregated: r.isAggregated(),
        drawn: r.stats.drawnItems,
        groups: L.groups.size,
        items: L.items.length,
        labels: r.labels.map((l) => l.text),
        attention: r.attention,
        box: { x0, y0, x1, y1 },
        free,
        planets: L.items.filter((it) => it.kind === 'planet').length,
        noOwner: L.groups.get('~no-owner')?.members.length ?? 0,
        groupBadges: r.groupBadges.length,
      };
    });
    await shot(`100x-${layer}-out.png`);
    console.log(`# ${layer} fitted: ${out.items} entities in ${out.groups} groups, ${out.drawn} drawn, ${out.labels.length} labels, ${out.groupBadges} group alert badges, layout box ${JSON.stringify(out.box, (k, v) => (typeof v === 'number' ? Math.round(v) : v))} in free ${JSON.stringify(out.free)}`);
    assert.ok(out.items > 450, `${layer}: only ${out.items} entities laid out`);
    assert.equal(out.aggregated, true, `${layer} fitted at 100x draws its entities, not groups`);
    assert.ok(out.groups > 1 && out.drawn <= out.groups && out.drawn * 4 < out.items, `${layer} fitted: ${out.drawn} shapes for ${out.items} entities in ${out.groups} groups`);
    // the fitted layout uses the free area: it fills its width or its height, centred in it
    const bw = out.box.x1 - out.box.x0, bh = out.box.y1 - out.box.y0;
    const fw = out.free.x1 - out.free.x0, fh = out.free.y1 - out.free.y0;
    assert.ok(bw >= 0.85 * fw || bh >= 0.85 * fh, `${layer} fitted uses ${Math.round(bw)}x${Math.round(bh)} px of a free ${fw}x${fh}`);
    assert.ok(Math.abs((out.box.x0 + out.box.x1) / 2 - (out.free.x0 + out.free.x1) / 2) < 0.05 * fw, `${layer} fitted is not centred across the free area: ${JSON.stringify(out.box)}`);
    if (layer === 'space') assert.ok(out.planets >= 450, `space shows ${out.planets} planets (want >= 450)`);
    if (layer === 'nodes') assert.ok(out.noOwner * 2 < out.items, `${out.noOwner} of ${out.items} nodes have no owner`);
    if (layer === 'city') {
      assert.ok(out.groups <= 60, `city fitted shows ${out.groups} groups: a carpet again`);
      // Seen in CI: absent from one frame's attention list after it had been there, drawn again in
      // the screenshot taken right after (a poll saying "active" again while the alert's mark
      // follows; not investigated further): it must be back within 5 s, named.
      let labels = out.labels;
      if (!out.attention.some((x) => x.id === troubled.id)) {
        const back = await waitFor((id) => window.__livingMap.renderer.attention.some((x) => x.id === id), troubled.id, 5000)
          .then(() => true)
          .catch(() => false);
        assert.ok(back, `the troubled microDAO ${troubled.id} is not drawn over its group (waited 5 s)`);
        await settled();
        labels = await page.evaluate(() => window.__livingMap.renderer.labels.map((l) => l.text));
      }
      assert.ok(
        labels.some((t) => t.startsWith(troubled.name + ' · ')),
        `the troubled microDAO's name is not on the map: ${labels.filter((t) => t.includes(' · ')).slice(0, 10).join(' | ')}`,
      );
    }

    // a click on a group (the troubled microDAO's, in the city; else the biggest in the free
    // area) opens it: the map flies in until it draws entities
    const target = await page.evaluate((want) => {
      const r = window.__livingMap.renderer;
      const L = r.layout;
      const rect = r.canvas.getBoundingClientRect();
      const i = r.insets;
      let best = null;
      for (const g of L.groups.values()) {
        const [sx, sy] = r.worldToScreen(g.x, g.y);
        if (sx < i.left + 20 || sx > r.width - i.right - 20 || sy < i.top + 20 || sy > r.height - i.bottom - 20) continue;
        const score = want && g.members.some((m) => m.id === want) ? Infinity : g.members.length;
        if (!best || score > best.score) best = { id: g.id, x: rect.left + sx, y: rect.top + sy, score };
      }
      return best;
    }, layer === 'city' ? troubled?.id : null);
    assert.ok(target, `${layer}: no group in the free area to click`);
    await page.mouse.click(target.x, target.y);
    await waitFor(() => window.__livingMap.renderer.flying, undefined, 3000).catch(() => {});
    await settled();
    const inside = await page.evaluate(() => {
      const r = window.__livingMap.renderer;
      return { aggregated: r.isAggregated(), drawn: r.stats.drawnItems, zoom: r.view.zoom, labels: r.labels.length };
    });
    await shot(`100x-${layer}-in.png`);
    console.log(`# ${layer} opened ${target.id}: ${inside.drawn} entities drawn, ${inside.labels} labels, zoom ${inside.zoom.toFixed(3)}`);
    assert.equal(inside.aggregated, false, `${layer}: opening group ${target.id} still draws groups`);
    assert.ok(inside.drawn > 0 && inside.drawn < out.items, `${layer} opened: ${inside.drawn} entities drawn`);
    if (layer === 'city') {
      // the troubled microDAO, opened: drawn as itself, with its alert badge once the alert fired
      const st = await page.evaluate((id) => {
        const lm = window.__livingMap;
        const m = lm.client.getState().snapshot.layers.city.items.find((x) => x.id === id);
        return { status: m.status, alerts: Array.isArray(m.alerts) ? m.alerts.length : 0, pos: lm.screenPos(id) };
      }, troubled.id);
      assert.ok(st.pos && st.pos.size > 10, `the troubled microDAO is not visible when its group is opened: ${JSON.stringify(st.pos)}`);
      // The alert may reach the page after the badges above were read (its mark comes with a later
      // event, then the next spaced draw shows it; seen in CI, the screenshot taken right after
      // showed the badge): wait for the draw, bounded.
      if (st.alerts) {
        const badged = await waitFor((id) => window.__livingMap.renderer.badges.some((x) => x.id === id), troubled.id, 5000)
          .then(() => true)
          .catch(() => false);
        assert.ok(badged, 'the troubled microDAO has an alert but no badge when its group is opened (waited 5 s)');
      }
    }
  });
}

// scripts/e2e.sh starts the 100x service with --ws-compression true. The browser negotiates
// permessage-deflate and inflates every message with one window for the connection; the service
// compresses each message on its own, once for all sockets. A message it got wrong (a bad
// back-reference, a missing RSV1) would fail the socket (1002) or garble the JSON.
test('100x: a browser socket with permessage-deflate reads the snapshot and every event after it', { skip }, async () => {
  const r = await page.evaluate(async (url) => {
    const ws = new WebSocket(url);
    const got = { ext: null, first: null, seqs: [], other: 0, closed: null, bad: null };
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 20000);
      ws.onopen = () => {
        got.ext = ws.extensions;
      };
      ws.onclose = (e) => {
        got.closed = e.code;
        clearTimeout(t);
        resolve();
      };
      ws.onmessage = (e) => {
        let m;
        try {
          m = JSON.parse(e.data);
        } catch (err) {
          got.bad = String(e.data).slice(0, 200);
          clearTimeout(t);
          resolve();
          return;
        }
        if (!got.first) {
          got.first = { kind: m.kind, seq: m.seq, nodes: m.data?.layers?.nodes?.items?.length ?? 0 };
        } else if (m.kind === 'event') {
          got.seqs.push(m.seq);
        } else {
          got.other++;
        }
        if (got.seqs.length >= 3000) {
          clearTimeout(t);
          resolve();
        }
      };
    });
    ws.close();
    return got;
  }, base.replace(/^http/, 'ws') + '/living-map/stream');
  assert.equal(r.bad, null, `a message that is not JSON: ${r.bad}`);
  assert.equal(r.closed, null, `the socket closed with ${r.closed}`);
  assert.match(r.ext ?? '', /^permessage-deflate/, `extensions: '${r.ext}'`);
  assert.equal(r.first?.kind, 'snapshot');
  assert.ok(r.first.nodes >= 5000, `the snapshot holds ${r.first.nodes} nodes`);
  assert.ok(r.seqs.length >= 3000, `${r.seqs.length} events in 20 s`);
  assert.equal(r.seqs[0], r.first.seq + 1, 'the events start right after the snapshot');
  const gap = r.seqs.findIndex((s, i) => i > 0 && s !== r.seqs[i - 1] + 1);
  assert.equal(gap, -1, `a gap at ${gap}: ${r.seqs[gap - 1]} then ${r.seqs[gap]}`);
  console.log(`# deflate socket: ${r.ext}; snapshot seq ${r.first.seq}, then ${r.seqs.length} events in order`);
});

test('100x: no errors in the page', { skip }, () => {
  assert.deepEqual(
    errors.filter((e) => !/favicon/.test(e)),
    [],
  );
});
