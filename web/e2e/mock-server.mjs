#!/usr/bin/env node
// A tiny stand-in for the Living Map service: serves the built web UI plus a fake snapshot,
// history, time travel and a WebSocket stream in the contract's shape (seq/epoch, resume,
// basic filters), emitting MOCK_RATE events per second. For UI development, e2e and the bench.
//
//   PORT=7080 MOCK_ENTITIES=60 MOCK_RATE=1 node e2e/mock-server.mjs
//   WEBROOT=../target/classes/webroot (default)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { generateSnapshot, mutate, randomEvent, recompute, rng } from './mock-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.PORT ?? 7080);
const WEBROOT = path.resolve(process.env.WEBROOT ?? path.join(here, '../../target/classes/webroot'));
const N = Number(process.env.MOCK_ENTITIES ?? 60);
const RATE = Number(process.env.MOCK_RATE ?? 1);
const HISTORY_MIN = Number(process.env.MOCK_HISTORY_MIN ?? 30);
const EPOCH = 'mock-' + Date.now().toString(36);
const r = rng(11);

const overrides = {};
for (const k of ['microdaos', 'planets', 'nodes', 'agents']) if (process.env['MOCK_' + k.toUpperCase()]) overrides[k] = Number(process.env['MOCK_' + k.toUpperCase()]);
const state = generateSnapshot(N, 7, overrides);
state.epoch = EPOCH;
state.meta.epoch = EPOCH;
let seq = 0;
const ring = []; // recent event frames {seq, text}
const RING_MAX = 10000;
const history = []; // {id,timestamp,event_type,payload,source_service,entity_id,entity_type,seq}
const HISTORY_MAX = 20000;
const stored = []; // {id, generated_at, seq, epoch, size_bytes, json}
const buckets = new Map(); // minute ISO -> count

function stamp(s, at) {
  s.generated_at = at;
  s.seq = seq;
  s.epoch = EPOCH;
  s.meta = { ...s.meta, generated_at: at, seq, epoch: EPOCH };
}
function storeSnapshot(at) {
  stamp(state, at);
  const json = JSON.stringify(state);
  stored.push({ id: 'snap-' + stored.length, generated_at: at, seq, epoch: EPOCH, size_bytes: json.length, json });
  if (stored.length > 200) stored.shift();
}
function record(ev, ts) {
  seq++;
  const e = { ...ev, timestamp: ts, seq, epoch: EPOCH };
  mutate(state, e);
  const minute = ts.slice(0, 16) + ':00Z';
  buckets.set(minute, (buckets.get(minute) ?? 0) + 1);
  history.push({ id: 'h' + seq, timestamp: ts, event_type: e.event_type, payload: e.payload, source_service: 'mock', entity_id: e.entity_id, entity_type: e.entity_type, seq });
  if (history.length > HISTORY_MAX) history.shift();
  return e;
}

// A past: HISTORY_MIN minutes of events, one stored snapshot a minute.
{
  const now = Date.now();
  const perMin = Math.min(600, Math.max(20, RATE * 60));
  for (let m = HISTORY_MIN; m > 0; m--) {
    storeSnapshot(new Date(now - m * 60000).toISOString());
    for (let i = 0; i < perMin; i++) record(randomEvent(state, r), new Date(now - m * 60000 + (i * 60000) / perMin).toISOString());
  }
  recompute(state);
  storeSnapshot(new Date(now).toISOString());
}

const clients = new Set();
function matchSubject(pattern, subject) {
  const p = pattern.split('.'), s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const LAYER_OF = { microdao: 'city', dao: 'space', node: 'nodes', agent: 'agents' };
function passes(c, e) {
  const f = c.filters;
  if (f.types && !f.types.includes(e.entity_type)) return false;
  if (f.layers && !f.layers.includes(LAYER_OF[e.entity_type])) return false;
  if (f.entities && !f.entities.includes(e.entity_id)) return false;
  if (f.events && !f.events.some((p) => matchSubject(p, e.event_type))) return false;
  return true;
}
function publish(ev) {
  const e = record(ev, new Date().toISOString());
  const text = JSON.stringify({ kind: 'event', ...e });
  ring.push({ seq: e.seq, text, e });
  if (ring.length > RING_MAX) ring.shift();
  for (const c of clients) if (passes(c, e) && c.ws.readyState === 1) c.ws.send(text);
  return e;
}
function snapshotFrame(reason) {
  stamp(state, new Date().toISOString());
  return JSON.stringify({ kind: 'snapshot', data: state, seq, epoch: EPOCH, ...(reason ? { reason } : {}) });
}

let carry = 0;
setInterval(() => {
  carry += RATE / 10;
  while (carry >= 1) {
    carry -= 1;
    publish(randomEvent(state, r));
  }
}, 100).unref?.();
setInterval(() => storeSnapshot(new Date().toISOString()), 60000);
setInterval(() => {
  const t = JSON.stringify({ kind: 'ping', timestamp: new Date().toISOString() });
  for (const c of clients) if (c.ws.readyState === 1) c.ws.send(t);
}, 15000);

// ---- HTTP -----------------------------------------------------------------------------------
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type, 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}
function serveStatic(res, rel) {
  const file = path.join(WEBROOT, rel);
  if (!file.startsWith(WEBROOT) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return false;
  send(res, 200, fs.readFileSync(file), TYPES[path.extname(file)] ?? 'application/octet-stream');
  return true;
}
function entityById(id) {
  const L = state.layers;
  const lists = [['microdao', 'city', L.city.items], ['dao', 'space', L.space.planets], ['node', 'nodes', L.nodes.items], ['agent', 'agents', L.agents.items]];
  for (const [type, layer, arr] of lists) {
    const e = arr.find((x) => x.id === id);
    if (e) return { type, layer, e };
  }
  return null;
}
function snapshotAt(at) {
  const t = Date.parse(at);
  let best = null;
  for (const s of stored) if (Date.parse(s.generated_at) <= t) best = s;
  return best;
}

// A crude stand-in for the service's alert rules: a posted node.metrics event with CPU above
// 90 % fires a critical alert on that node (once per node), as `for: 0s` rules would.
const alerts = [];
function mockAlert(ev, id, type) {
  // RAM above 95 %: a pending alert (the e2e rules' node_ram_high waits an hour before firing)
  const ram = Number(ev.payload?.ram);
  if (String(ev.event_type).startsWith('node.metrics') && ram > 0.95 && id && !alerts.some((a) => a.entity_id === id && a.rule === 'node_ram_high')) {
    const now = new Date().toISOString();
    alerts.push({ id: 'mock-' + (alerts.length + 1), rule: 'node_ram_high', state: 'pending', severity: 'warning', message: `${id} RAM at ${Math.round(ram * 100)}%`, since: now, entity_id: id, entity_type: type, key: id, value: ram, labels: {}, active_at: now, starts_at: null, ends_at: null, acked: false, silenced: false });
  }
  const cpu = Number(ev.payload?.cpu);
  if (!String(ev.event_type).startsWith('node.metrics') || !(cpu > 0.9) || !id) return;
  if (alerts.some((a) => a.entity_id === id && a.state === 'firing')) return;
  const now = new Date().toISOString();
  const a = { id: 'mock-' + (alerts.length + 1), rule: 'node_cpu_high', state: 'firing', severity: 'critical', message: `${id} CPU at ${Math.round(cpu * 100)}%`, since: now, entity_id: id, entity_type: type, key: id, value: cpu, labels: {}, active_at: now, starts_at: now, ends_at: null, acked: false, silenced: false };
  alerts.push(a);
  publish({ event_type: 'living_map.alert.firing', payload: a, entity_id: id, entity_type: type });
}

// GET /living-map/diff in the shape worker `scale` builds on the service: {from, to, added,
// removed, changed: [{id, type, fields: {path: {from, to}}}], counts}, between the states at two
// instants (the stored snapshot at or before each; the live state for "now").
function entitiesOf(snap) {
  const L = snap.layers;
  const m = new Map();
  for (const [type, arr] of [['microdao', L.city.items], ['dao', L.space.planets], ['node', L.nodes.items], ['agent', L.agents.items]]) for (const e of arr) m.set(e.id, { type, e });
  return m;
}
function flatten(o, prefix, out) {
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, p, out);
    else out[p] = v;
  }
  return out;
}
function stateAt(iso) {
  const t = Date.parse(iso);
  if (t >= Date.now() - 1000) return JSON.parse(JSON.stringify(state));
  const s = snapshotAt(iso);
  return s ? JSON.parse(s.json) : null;
}
function diffRoute(q) {
  const from = q.get('from'), to = q.get('to');
  if (!from || !to) return [400, { error: 'bad_request', message: 'from and to are required (ISO-8601 instants)' }];
  if (Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) return [400, { error: 'bad_request', message: 'from and to must be ISO-8601 instants' }];
  if (Date.parse(from) > Date.parse(to)) return [400, { error: 'bad_request', message: 'from is after to' }];
  const a = stateAt(from), b = stateAt(to);
  if (!a || !b) return [404, { error: 'not_found', message: 'no stored state at ' + (!a ? from : to) }];
  const ea = entitiesOf(a), eb = entitiesOf(b);
  const added = [], removed = [], changed = [];
  for (const [id, x] of eb) if (!ea.has(id)) added.push({ ...x.e, type: x.type });
  for (const [id, x] of ea) if (!eb.has(id)) removed.push({ ...x.e, type: x.type });
  for (const [id, x] of eb) {
    const y = ea.get(id);
    if (!y) continue;
    const fa = flatten(y.e, '', {}), fb = flatten(x.e, '', {});
    const fields = {};
    for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      if (k === 'last_seen' || k === 'last_active') continue;
      if (JSON.stringify(fa[k]) !== JSON.stringify(fb[k])) fields[k] = { from: fa[k] ?? null, to: fb[k] ?? null };
    }
    if (Object.keys(fields).length) changed.push({ id, type: x.type, fields });
  }
  return [200, { from: { at: from, seq: a.seq }, to: { at: to, seq: b.seq }, added, removed, changed, counts: { added: added.length, removed: removed.length, changed: changed.length } }];
}

// relations in the service's shape (Relations.java): [{type, relation, target, target_type, direction}]
function relationsOf(id, f) {
  const L = state.layers;
  const out = [];
  const rel = (type, relation, target, target_type, direction) => out.push({ type, relation, target, target_type, direction });
  if (f.type === 'microdao') {
    for (const a of L.agents.items) if (a.microdao_id === id) rel('member_of', 'has_member', a.id, 'agent', 'in');
    for (const n of L.nodes.items) if (n.microdao_id === id) rel('owns', 'owns', n.id, 'node', 'out');
  } else if (f.type === 'agent' && f.e.microdao_id) rel('member_of', 'member_of', f.e.microdao_id, 'microdao', 'out');
  else if (f.type === 'node') {
    if (f.e.microdao_id) rel('owns', 'owned_by', f.e.microdao_id, 'microdao', 'in');
    for (const p of L.space.planets) if ((p.orbits ?? []).includes(id)) rel('orbits', 'orbits', p.id, 'dao', 'out');
  } else if (f.type === 'dao') for (const n of f.e.orbits ?? []) rel('orbits', 'orbited_by', n, 'node', 'in');
  return out;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname.replace(/\/+$/, '') || '/';
  const q = url.searchParams;
  if (req.method === 'OPTIONS') return send(res, 204, '');
  const wantsHtml = (req.headers.accept ?? '').includes('text/html');
  if ((p === '/' || p === '/living-map') && (wantsHtml || p === '/')) return serveStatic(res, 'index.html') || send(res, 404, { error: 'webroot not built: ' + WEBROOT });
  if (req.method === 'POST' && (p === '/living-map/events' || p === '/mock/emit')) {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        const ev = JSON.parse(body);
        const id = ev.entity_id ?? ev.payload?.node_id ?? ev.payload?.agent_id;
        const type = ev.entity_type ?? String(id ?? '').split(':')[0];
        const out = publish({ event_type: ev.event_type, payload: ev.payload ?? {}, entity_id: id, entity_type: type });
        mockAlert(ev, id, type);
        // a posted event is a test's: stored at once, so that time travel and the diff see it
        storeSnapshot(new Date().toISOString());
        send(res, 202, out);
      } catch (e) {
        send(res, 400, { error: String(e) });
      }
    });
    return;
  }
  const ackMatch = req.method === 'POST' && p.match(/^\/living-map\/alerts\/([^/]+)\/ack$/);
  if (ackMatch) {
    const a = alerts.find((x) => x.id === decodeURIComponent(ackMatch[1]));
    if (!a) return send(res, 404, { error: 'not_found' });
    Object.assign(a, { acked: true, acked_by: 'admin', acked_at: new Date().toISOString() });
    publish({ event_type: 'living_map.alert.acknowledged', payload: { id: a.id, rule: a.rule, acked_by: a.acked_by, acked_at: a.acked_at }, entity_id: a.entity_id, entity_type: a.entity_type });
    return send(res, 200, a);
  }
  if (p === '/living-map/alerts') {
    const st = q.get('state');
    const items = alerts.filter((a) => !st || st === 'all' || a.state === st || (st === 'active' && (a.state === 'pending' || a.state === 'firing')));
    return send(res, 200, { items, total: items.length, has_more: false });
  }
  if (p === '/living-map/diff') {
    const [st, body] = diffRoute(q);
    return send(res, st, body);
  }
  if (p === '/mock/kick') {
    for (const c of clients) c.ws.terminate();
    return send(res, 200, { kicked: true });
  }
  switch (p) {
    case '/living-map/health':
      return send(res, 200, { status: 'ok', service: 'living-map-service', version: 'mock', time: new Date().toISOString() });
    case '/living-map/snapshot': {
      if (q.get('at')) {
        const s = snapshotAt(q.get('at'));
        if (!s) return send(res, 404, { error: 'no snapshot stored before ' + q.get('at') });
        return send(res, 200, s.json);
      }
      stamp(state, new Date().toISOString());
      return send(res, 200, JSON.stringify(state));
    }
    case '/living-map/snapshots':
      return send(res, 200, { items: stored.map(({ json, ...s }) => s).reverse() });
    case '/living-map/history/stats': {
      const since = Date.parse(q.get('since') ?? 0) || 0, until = Date.parse(q.get('until') ?? '') || Date.now();
      const items = [...buckets].filter(([k]) => Date.parse(k) >= since - 60000 && Date.parse(k) <= until).map(([start, count]) => ({ start, count }));
      return send(res, 200, { bucket: q.get('bucket') ?? '1m', items, total: items.reduce((a, b) => a + b.count, 0) });
    }
    case '/living-map/history': {
      let items = history.slice().reverse();
      const since = q.get('since') ? Date.parse(q.get('since')) : null;
      const until = q.get('until') ? Date.parse(q.get('until')) : null;
      if (since !== null && Number.isNaN(since)) return send(res, 400, { error: 'bad since' });
      if (since !== null) items = items.filter((h) => Date.parse(h.timestamp) >= since);
      if (until !== null) items = items.filter((h) => Date.parse(h.timestamp) < until);
      if (q.get('entity_id')) items = items.filter((h) => h.entity_id === q.get('entity_id'));
      if (q.get('event_type')) items = items.filter((h) => h.event_type === q.get('event_type'));
      const limit = Math.min(1000, Number(q.get('limit') ?? 200));
      return send(res, 200, { items: items.slice(0, limit), total: items.length, has_more: items.length > limit });
    }
    case '/living-map/entities': {
      const out = [];
      for (const [type, layer, arr] of [['microdao', 'city', state.layers.city.items], ['dao', 'space', state.layers.space.planets], ['node', 'nodes', state.layers.nodes.items], ['agent', 'agents', state.layers.agents.items]])
        for (const e of arr) out.push({ id: e.id, type, label: e.name, status: e.status, layer });
      return send(res, 200, { items: out.slice(0, Number(q.get('limit') ?? 100)) });
    }
  }
  if (p.startsWith('/living-map/entities/')) {
    const id = decodeURIComponent(p.slice('/living-map/entities/'.length));
    const f = entityById(id);
    if (!f) return send(res, 404, { error: 'unknown entity ' + id });
    const recent = history.filter((h) => h.entity_id === id).slice(-10).reverse();
    return send(res, 200, { id, type: f.type, layer: f.layer, data: f.e, recent_events: recent, relations: relationsOf(id, f) });
  }
  const rel = p.startsWith('/living-map/') ? p.slice('/living-map'.length) : p;
  if (serveStatic(res, rel)) return;
  send(res, 404, { error: 'not found: ' + p });
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.replace(/\/+$/, '') !== '/living-map/stream') return sock.destroy();
  wss.handleUpgrade(req, sock, head, (ws) => {
    const split = (k) => (url.searchParams.get(k) ? url.searchParams.get(k).split(',').filter(Boolean) : undefined);
    const c = { ws, filters: { layers: split('layers'), types: split('types'), entities: split('entities'), events: split('events') } };
    const since = url.searchParams.get('since_seq');
    const ep = url.searchParams.get('epoch');
    if (since !== null) {
      const s = Number(since);
      const oldest = ring.length ? ring[0].seq : seq + 1;
      if (ep === EPOCH && s >= oldest - 1 && s <= seq) {
        for (const f of ring) if (f.seq > s && passes(c, f.e)) ws.send(f.text);
      } else ws.send(snapshotFrame('resync'));
    } else ws.send(snapshotFrame());
    clients.add(c);
    ws.on('close', () => clients.delete(c));
    ws.on('error', () => clients.delete(c));
  });
});

server.listen(PORT, () => console.log(`mock living-map on http://localhost:${server.address().port} (entities=${N}, rate=${RATE}/s, webroot=${WEBROOT})`));
