// Fake DAARION network in the contract's snapshot shape, for the mock server and the benchmark.
// Deterministic for a given seed.

export function rng(seed = 42) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['daarion', 'energy', 'union', 'green', 'grid', 'solar', 'river', 'forest', 'atlas', 'nova', 'helix', 'orbit', 'quanta', 'terra', 'lumen', 'delta', 'kyiv', 'lviv', 'odesa', 'harkiv', 'dnipro', 'polis', 'agora', 'nexus'];
const AGENT_NAMES = ['sofia', 'helion', 'greenfood', 'atlas', 'iris', 'orion', 'vega', 'lyra', 'nova', 'echo', 'sage', 'pixel', 'mira', 'taras', 'olena', 'bohdan'];
const MODELS = ['gpt-4.1-mini', 'qwen2.5-32b', 'llama-3.1-70b', 'mistral-large', 'deepseek-v3'];
const KINDS = ['assistant', 'guardian', 'steward', 'analyst', 'operator'];

/** counts for a total entity count n */
export function sizesFor(n) {
  if (n <= 60) return { microdaos: 8, planets: 4, nodes: 18, agents: 30 };
  const microdaos = Math.max(8, Math.round(n * 0.02));
  const planets = Math.max(4, Math.round(n * 0.01));
  const nodes = Math.round(n * 0.3);
  const agents = Math.max(10, n - microdaos - planets - nodes);
  return { microdaos, planets, nodes, agents };
}

export function generateSnapshot(n = 60, seed = 7, overrides = {}) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const { microdaos, planets, nodes, agents } = { ...sizesFor(n), ...overrides };
  const now = new Date().toISOString();
  const mds = [];
  for (let i = 0; i < microdaos; i++) {
    const slug = i === 0 ? 'daarion' : `${pick(WORDS)}-${pick(WORDS)}-${i}`;
    mds.push({
      id: `microdao:${slug}`, slug, name: slug.split('-').filter((w) => !/^\d+$/.test(w)).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') + (i ? ` ${i}` : ' City'),
      status: r() < 0.8 ? 'active' : r() < 0.5 ? 'warning' : 'inactive',
      agents: 0, nodes: 0, members: Math.floor(Math.pow(10, r() * 3.6)), description: 'A microDAO of the DAARION network',
    });
  }
  const nodeItems = [];
  for (let i = 0; i < nodes; i++) {
    const md = mds[Math.floor(Math.pow(r(), 1.5) * mds.length)];
    const cpu = +(r() * 0.9).toFixed(2), gpu = +(r() * 0.95).toFixed(2), ram = +(0.2 + r() * 0.7).toFixed(2);
    const st = r() < 0.9 ? 'online' : r() < 0.5 ? 'warning' : 'offline';
    nodeItems.push({
      id: `node:${i < 3 ? 'gpu-' + (i + 1) : String(i).padStart(4, '0')}`, name: i < 3 ? `gpu-${i + 1}` : `node-${String(i).padStart(4, '0')}`,
      microdao_id: md.id, status: st,
      metrics: { cpu, gpu, ram, disk: +(r() * 0.8).toFixed(2), net_in: Math.round(r() * 900), net_out: Math.round(r() * 700), temperature: Math.round(40 + r() * 40) },
      alerts: st === 'warning' ? ['GPU temperature high'] : [], uptime_seconds: Math.floor(r() * 3e6), last_seen: now,
    });
    md.nodes++;
  }
  // a CPU-only node the service knows little about (its defaults: GPU 0, uptime 0)
  if (nodeItems.length > 4) Object.assign(nodeItems[4], { uptime_seconds: 0 }, { metrics: { ...nodeItems[4].metrics, gpu: 0 } });
  const agentItems = [];
  for (let i = 0; i < agents; i++) {
    const md = r() < 0.03 ? null : mds[Math.floor(Math.pow(r(), 1.3) * mds.length)];
    const name = i < AGENT_NAMES.length ? AGENT_NAMES[i] : `${pick(AGENT_NAMES)}-${i}`;
    const st = r() < 0.6 ? 'online' : r() < 0.5 ? 'idle' : 'offline';
    const calls = Math.floor(Math.pow(10, r() * 3.5));
    agentItems.push({
      id: `agent:${name}`, name, kind: pick(KINDS), microdao_id: md ? md.id : null, status: st,
      usage: { llm_calls_24h: calls, tokens_24h: calls * Math.floor(300 + r() * 1500), messages_24h: Math.floor(calls * 1.5), avg_response_time_ms: Math.floor(300 + r() * 2500) },
      model: pick(MODELS), last_active: now,
    });
    if (md) md.agents++;
  }
  // an agent with no call in 24 h (the service's default average response is 0 ms)
  if (agentItems.length > 5) agentItems[5].usage = { llm_calls_24h: 0, tokens_24h: 0, messages_24h: 0, avg_response_time_ms: 0 };
  const pls = [];
  let nodeCursor = 0;
  for (let i = 0; i < planets; i++) {
    const slug = i === 0 ? 'daarion-governance' : `${pick(WORDS)}-council-${i}`;
    const orbitCount = Math.min(nodeItems.length - nodeCursor, Math.floor(1 + r() * (nodes / planets) * 1.6));
    const orbits = nodeItems.slice(nodeCursor, nodeCursor + orbitCount).map((x) => x.id);
    nodeCursor += orbitCount;
    pls.push({ id: `dao:${slug}`, slug, name: slug.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' '), type: i === 0 ? 'platform' : 'dao', status: r() < 0.85 ? 'active' : 'warning', orbits, treasury_value: Math.floor(Math.pow(10, 2 + r() * 6)), active_proposals: Math.floor(r() * 6) });
  }
  const snap = {
    generated_at: now, seq: 0, epoch: 'mock-' + seed,
    layers: {
      city: { microdaos_total: mds.length, active_users: mds.reduce((a, m) => a + m.members, 0), active_agents: 0, health: 'green', items: mds },
      space: { planets: pls, nodes: [] },
      nodes: { items: nodeItems, total_cpu: 0, total_gpu: 0, total_ram: 0 },
      agents: { items: agentItems, total_agents: agentItems.length, online_agents: 0, total_llm_calls_24h: agentItems.reduce((a, x) => a + x.usage.llm_calls_24h, 0) },
    },
    meta: { source_services: ['mock'], generated_at: now, version: 'mock', seq: 0, epoch: 'mock-' + seed },
  };
  recompute(snap);
  return snap;
}

/** derived fields: space.nodes from nodes, totals */
export function recompute(s) {
  const L = s.layers;
  L.space.nodes = L.nodes.items.map((n) => ({ id: n.id, name: n.name, status: n.status, cpu: n.metrics.cpu, gpu: n.metrics.gpu, memory: n.metrics.ram, alerts: n.alerts }));
  L.agents.online_agents = L.agents.items.filter((a) => a.status === 'online' || a.status === 'busy').length;
  L.agents.total_agents = L.agents.items.length;
  L.city.active_agents = L.agents.online_agents;
  const k = L.nodes.items.length || 1;
  L.nodes.total_cpu = +(L.nodes.items.reduce((a, n) => a + n.metrics.cpu, 0) / k).toFixed(3);
  L.nodes.total_gpu = +(L.nodes.items.reduce((a, n) => a + n.metrics.gpu, 0) / k).toFixed(3);
  L.nodes.total_ram = +(L.nodes.items.reduce((a, n) => a + n.metrics.ram, 0) / k).toFixed(3);
}

/** a random event in the contract's shapes: {event_type, payload, entity_id, entity_type} */
export function randomEvent(s, r) {
  const L = s.layers;
  const x = r();
  const ts = new Date().toISOString();
  if (x < 0.55 && L.nodes.items.length) {
    const n = L.nodes.items[Math.floor(r() * L.nodes.items.length)];
    const j = (v) => Math.max(0, Math.min(1, +(v + (r() - 0.5) * 0.5).toFixed(2)));
    return { event_type: `node.metrics.${n.name}`, entity_id: n.id, entity_type: 'node', payload: { node_id: n.id, cpu: j(n.metrics.cpu), gpu: j(n.metrics.gpu), ram: j(n.metrics.ram), temperature: Math.round(40 + r() * 45), ts } };
  }
  if (x < 0.7 && L.agents.items.length) {
    const a = L.agents.items[Math.floor(r() * L.agents.items.length)];
    const st = ['online', 'idle', 'offline', 'busy'][Math.floor(r() * 4)];
    return { event_type: 'agent.event.status', entity_id: a.id, entity_type: 'agent', payload: { agent_id: a.id, status: st, microdao_id: a.microdao_id, ts } };
  }
  if (x < 0.9 && L.agents.items.length) {
    const a = L.agents.items[Math.floor(r() * L.agents.items.length)];
    const pt = Math.floor(100 + r() * 900), ct = Math.floor(50 + r() * 400);
    return { event_type: 'usage.llm', entity_id: a.id, entity_type: 'agent', payload: { event_id: 'u' + Math.floor(r() * 1e9), timestamp: ts, actor_id: 'user:93', actor_type: 'human', agent_id: a.id, microdao_id: a.microdao_id, model: a.model, provider: 'openai', prompt_tokens: pt, completion_tokens: ct, total_tokens: pt + ct, latency_ms: Math.floor(300 + r() * 2000), success: true } };
  }
  if (x < 0.95 && L.space.planets.length) {
    const p = L.space.planets[Math.floor(r() * L.space.planets.length)];
    const kinds = ['proposal_activated', 'proposal_closed', 'vote_cast', 'treasury_updated'];
    const k = kinds[Math.floor(r() * kinds.length)];
    const payload = { dao_id: p.id, slug: p.slug, ts };
    if (k === 'treasury_updated') { payload.token_symbol = 'DAARION'; payload.new_balance = String(Math.floor(p.treasury_value * (0.9 + r() * 0.2))); }
    if (k.startsWith('proposal')) payload.proposal_id = 'p' + Math.floor(r() * 1e6);
    return { event_type: `dao.event.${k}`, entity_id: p.id, entity_type: 'dao', payload };
  }
  const m = L.city.items[Math.floor(r() * L.city.items.length)];
  return { event_type: r() < 0.7 ? 'microdao.event.member_added' : 'microdao.event.member_removed', entity_id: m.id, entity_type: 'microdao', payload: { microdao_id: m.id, slug: m.slug, member_id: 'm' + Math.floor(r() * 1e6), role: 'member', ts } };
}

// By-id indexes of the entity arrays, so that applying an event costs O(1) as in the service (a
// scan of 20,000 agents per event at 2,000 events/s took a good part of a core from the browser
// the benchmark measures). Rebuilt when the array is replaced (recompute) or an id is missing.
const indexes = new WeakMap();
function byId(arr, id) {
  let m = indexes.get(arr);
  if (!m || (!m.has(id) && m.size !== arr.length)) {
    m = new Map(arr.map((x) => [x.id, x]));
    indexes.set(arr, m);
  }
  return m.get(id);
}
const ONLINE = (st) => st === 'online' || st === 'busy';

/** mutable application in the mock (the client has its own, immutable one) */
export function mutate(s, ev) {
  const L = s.layers;
  const p = ev.payload;
  const t = ev.event_type;
  const find = (arr) => byId(arr, ev.entity_id);
  if (t === 'living_map.entity.added' && p.entity_type === 'node' && p.entity && !find(L.nodes.items)) {
    // a node joins (the service's reconciler event, as replayed by its reducers)
    const n = { microdao_id: null, status: 'online', metrics: { cpu: 0, gpu: 0, ram: 0 }, alerts: [], ...p.entity, id: p.entity_id };
    delete n.type;
    L.nodes.items.push(n);
    L.space.nodes.push({ id: n.id, name: n.name, status: n.status, cpu: n.metrics.cpu, gpu: n.metrics.gpu, memory: n.metrics.ram, alerts: [] });
    return;
  }
  if (t.startsWith('node.metrics')) {
    const n = find(L.nodes.items);
    if (!n) return;
    for (const k of ['cpu', 'gpu', 'ram', 'disk', 'temperature']) if (typeof p[k] === 'number') n.metrics[k] = p[k];
    if (n.status === 'offline') n.status = 'online';
    const sn = byId(L.space.nodes, n.id);
    if (sn) Object.assign(sn, { cpu: n.metrics.cpu, gpu: n.metrics.gpu, memory: n.metrics.ram, status: n.status });
  } else if (t.startsWith('agent.event')) {
    const a = find(L.agents.items);
    if (a && p.status) {
      L.agents.online_agents += (ONLINE(p.status) ? 1 : 0) - (ONLINE(a.status) ? 1 : 0);
      a.status = p.status;
    }
  } else if (t === 'usage.llm') {
    const a = find(L.agents.items);
    if (a) { a.usage.llm_calls_24h++; a.usage.tokens_24h += p.total_tokens; }
    L.agents.total_llm_calls_24h++;
  } else if (t.startsWith('dao.event')) {
    const pl = find(L.space.planets);
    if (!pl) return;
    if (t.endsWith('proposal_activated')) pl.active_proposals++;
    if (t.endsWith('proposal_closed')) pl.active_proposals = Math.max(0, pl.active_proposals - 1);
    if (t.endsWith('treasury_updated')) pl.treasury_value = Number(p.new_balance);
  } else if (t.startsWith('microdao.event')) {
    const m = find(L.city.items);
    if (!m) return;
    if (t.endsWith('member_added')) m.members++;
    if (t.endsWith('member_removed')) m.members = Math.max(0, m.members - 1);
  }
}
