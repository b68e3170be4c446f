/**
 * Pure, immutable application of Living Map events to a snapshot.
 *
 * `applyEvent(s, e)` never mutates `s`: it returns `s` itself when the event changes nothing,
 * or a new snapshot that shares every untouched layer, array and entity with `s` (structural
 * sharing), so `===` tells a renderer what changed. `applyEvents` applies a batch copying each
 * touched array once, which is what a client receiving hundreds of events per second wants.
 */
import type {
  AgentItem,
  LivingMapEvent,
  MicroDao,
  NodeItem,
  Planet,
  Snapshot,
  SpaceNode,
} from './types.js';

type Obj = Record<string, unknown>;

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** Canonical `type:` id from a raw id (`gpu-1` → `node:gpu-1`; `node:gpu-1` unchanged). */
export function canonicalId(type: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const s = String(raw);
  return s.includes(':') ? s : `${type}:${s}`;
}

/** Entity type named by a subject's first token (`microdao.*` is a microdao, not a dao). */
export function entityTypeOfSubject(subject: string): string {
  const first = subject.split('.')[0];
  switch (first) {
    case 'node':
      return 'node';
    case 'agent':
    case 'usage':
      return 'agent';
    case 'dao':
      return 'dao';
    case 'microdao':
    case 'city':
    case 'messaging':
      return 'microdao';
    default:
      return first;
  }
}

/** The ids an event may refer to, best first: the server's `entity_id`, then payload fields. */
function candidateIds(ev: LivingMapEvent, type: string): string[] {
  const p = (ev.payload ?? {}) as Obj;
  const out: string[] = [];
  const push = (v: unknown, t = type) => {
    const id = canonicalId(t, v);
    if (id && !out.includes(id)) out.push(id);
    if (v !== undefined && v !== null && v !== '' && !out.includes(String(v))) out.push(String(v));
  };
  if (ev.entity_id) push(ev.entity_id);
  const keyByType: Record<string, string[]> = {
    node: ['node_id', 'entity_id', 'id'],
    agent: ['agent_id', 'entity_id', 'id'],
    dao: ['dao_id', 'entity_id', 'id'],
    microdao: ['microdao_id', 'entity_id', 'id'],
  };
  for (const k of keyByType[type] ?? ['entity_id', 'id']) push(p[k]);
  if (typeof p.slug === 'string' && (type === 'microdao' || (type === 'dao' && !p.proposal_id))) {
    push(p.slug);
  }
  if (type === 'node' && !ev.entity_id) {
    // node.metrics.<node>: the subject's last token names the node
    const last = ev.event_type.split('.').slice(2).join('.');
    if (last) push(last);
  }
  return out;
}

/** Does an entity answer to one of these ids (canonical id, name/slug form, upstream UUID)? */
function matches(item: Obj, type: string, ids: string[]): boolean {
  const names = [item.id, item.uuid, item.upstream_id, item.external_id, item[`${type}_id`]];
  if (typeof item.slug === 'string') names.push(`${type}:${item.slug}`, item.slug);
  if (typeof item.name === 'string') names.push(`${type}:${item.name}`);
  for (const n of names) if (n !== undefined && n !== null && ids.includes(String(n))) return true;
  return false;
}

// Index of items by id, cached per array. A copy that keeps the order keeps the index.
const indexCache = new WeakMap<readonly Obj[], Map<string, number>>();
function indexOf(items: readonly Obj[], type: string, ids: string[]): number {
  let idx = indexCache.get(items);
  if (!idx) {
    idx = new Map();
    for (let i = 0; i < items.length; i++) idx.set(String(items[i].id), i);
    indexCache.set(items, idx);
  }
  for (const id of ids) {
    const i = idx.get(id);
    if (i !== undefined && items[i] && String(items[i].id) === id) return i;
  }
  // Fallback: slower match on slug, name or upstream UUID.
  for (let i = 0; i < items.length; i++) if (matches(items[i], type, ids)) return i;
  return -1;
}

/** Copy-on-write draft over a snapshot: each layer and array is copied at most once per batch. */
class Draft {
  private copied = new Set<unknown>();
  /** agent counts are stale: recounted once at the end of the batch, not per event */
  agentsToRecount = false;
  constructor(public s: Snapshot, private readonly original: Snapshot) {}

  private own<T extends object>(v: T): T {
    if (this.copied.has(v)) return v;
    const c = (Array.isArray(v) ? v.slice() : { ...v }) as T;
    this.copied.add(c);
    if (Array.isArray(v)) {
      const idx = indexCache.get(v as unknown as Obj[]);
      if (idx) indexCache.set(c as unknown as Obj[], idx);
    }
    return c;
  }
  get changed(): boolean {
    return this.s !== this.original;
  }
  root(): Snapshot {
    if (this.s === this.original) this.s = this.own(this.s);
    return this.s;
  }
  layer<K extends keyof Snapshot['layers']>(k: K): Snapshot['layers'][K] {
    const r = this.root();
    const layers = (r.layers = this.own(r.layers));
    return (layers[k] = this.own(layers[k]));
  }
  /** A writable array held by `key` of layer `k`. Indexes stay valid while order is kept. */
  list<K extends keyof Snapshot['layers']>(k: K, key: string): Obj[] {
    const l = this.layer(k) as unknown as Obj;
    const arr = (l[key] as Obj[] | undefined) ?? [];
    return (l[key] = this.own(arr)) as Obj[];
  }
  peek<K extends keyof Snapshot['layers']>(k: K, key: string): Obj[] {
    const l = this.s.layers?.[k] as unknown as Obj | undefined;
    return ((l?.[key] as Obj[] | undefined) ?? []) as Obj[];
  }
  /** Replace item i of a list with a patched copy. */
  patch<K extends keyof Snapshot['layers']>(k: K, key: string, i: number, f: (item: Obj) => Obj): void {
    const arr = this.list(k, key);
    arr[i] = f(arr[i]);
  }
  setLayerField<K extends keyof Snapshot['layers']>(k: K, field: string, value: unknown): void {
    const cur = (this.s.layers?.[k] as unknown as Obj | undefined)?.[field];
    if (cur === value) return;
    (this.layer(k) as unknown as Obj)[field] = value;
  }
  removeAt<K extends keyof Snapshot['layers']>(k: K, key: string, i: number): void {
    const l = this.layer(k) as unknown as Obj;
    const arr = (l[key] as Obj[]).slice();
    arr.splice(i, 1);
    this.copied.add(arr);
    l[key] = arr; // order changed: the index cache of the old array is not carried over
  }
  append<K extends keyof Snapshot['layers']>(k: K, key: string, item: Obj): void {
    this.list(k, key).push(item);
    // pushing keeps existing indexes valid but the cached map lacks the new id
    indexCache.delete(this.peek(k, key));
  }
}

const ONLINE = new Set(['online', 'busy', 'active']);

function countOnline(items: readonly Obj[]): number {
  let n = 0;
  for (const a of items) if (ONLINE.has(String(a.status))) n++;
  return n;
}

function touchSeq(d: Draft, ev: LivingMapEvent): void {
  if (typeof ev.seq !== 'number') return;
  const r = d.root();
  if (typeof r.seq === 'number' && r.seq >= ev.seq) return;
  r.seq = ev.seq;
  if (ev.epoch) r.epoch = ev.epoch;
  r.meta = { ...(r.meta ?? {}), seq: ev.seq, ...(ev.epoch ? { epoch: ev.epoch } : {}) };
}

function spaceNodeFrom(n: NodeItem, prev?: SpaceNode): SpaceNode {
  const m = (n.metrics ?? {}) as NodeItem['metrics'];
  return {
    ...(prev ?? {}),
    id: n.id,
    name: n.name,
    status: n.status,
    cpu: num(m.cpu) ?? prev?.cpu ?? 0,
    gpu: num(m.gpu) ?? prev?.gpu ?? 0,
    memory: num(m.ram) ?? prev?.memory ?? 0,
    alerts: n.alerts ?? prev?.alerts ?? [],
  };
}

/** Keep `space.nodes[]` in step with a changed `nodes.items[]` entry. */
function syncSpaceNode(d: Draft, node: NodeItem): void {
  const list = d.peek('space', 'nodes');
  const i = indexOf(list, 'node', [node.id]);
  if (i >= 0) d.patch('space', 'nodes', i, (prev) => spaceNodeFrom(node, prev as unknown as SpaceNode) as unknown as Obj);
}

const METRIC_KEYS = ['cpu', 'gpu', 'ram', 'disk', 'net_in', 'net_out', 'temperature'];

function applyNodeMetrics(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  const ids = candidateIds(ev, 'node');
  const i = indexOf(d.peek('nodes', 'items'), 'node', ids);
  if (i < 0) return;
  let updated: NodeItem | undefined;
  d.patch('nodes', 'items', i, (prev) => {
    const n = prev as unknown as NodeItem;
    const metrics: NodeItem['metrics'] = { ...(n.metrics ?? { cpu: 0, gpu: 0, ram: 0 }) };
    for (const k of METRIC_KEYS) {
      const v = num((p as Obj)[k]);
      if (v !== undefined) metrics[k] = v;
    }
    const status = typeof p.status === 'string' ? p.status : n.status === 'offline' ? 'online' : n.status;
    updated = settleStatus('node', prev, { ...n, metrics, status, last_seen: (p.ts as string) ?? ev.timestamp ?? n.last_seen }) as unknown as NodeItem;
    return updated as unknown as Obj;
  });
  if (updated) syncSpaceNode(d, updated);
}

function recountAgents(d: Draft): void {
  d.agentsToRecount = true;
}

function recountAgentsNow(d: Draft): void {
  const items = d.peek('agents', 'items');
  d.setLayerField('agents', 'online_agents', countOnline(items));
  d.setLayerField('agents', 'total_agents', items.length);
}

function applyAgentEvent(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  const i = indexOf(d.peek('agents', 'items'), 'agent', candidateIds(ev, 'agent'));
  if (i < 0) return;
  d.patch('agents', 'items', i, (prev) => {
    const a = prev as unknown as AgentItem;
    const next: AgentItem = { ...a, last_active: (p.ts as string) ?? ev.timestamp ?? a.last_active };
    if (typeof p.status === 'string') next.status = p.status;
    if (typeof p.model === 'string') next.model = p.model;
    return next as unknown as Obj;
  });
  if (typeof p.status === 'string') recountAgents(d);
}

function emptyUsage(): AgentItem['usage'] {
  return { llm_calls_24h: 0, tokens_24h: 0, messages_24h: 0, avg_response_time_ms: 0 };
}

function applyUsageLlm(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  if (!p.agent_id && !ev.entity_id) return;
  const i = indexOf(d.peek('agents', 'items'), 'agent', candidateIds(ev, 'agent'));
  if (i < 0) return;
  const tokens = num(p.total_tokens) ?? (num(p.prompt_tokens) ?? 0) + (num(p.completion_tokens) ?? 0);
  const latency = num(p.latency_ms);
  d.patch('agents', 'items', i, (prev) => {
    const a = prev as unknown as AgentItem;
    const u = { ...emptyUsage(), ...(a.usage ?? {}) };
    const calls = u.llm_calls_24h;
    u.llm_calls_24h = calls + 1;
    u.tokens_24h = u.tokens_24h + tokens;
    if (latency !== undefined) {
      u.avg_response_time_ms = Math.round(((u.avg_response_time_ms || 0) * calls + latency) / (calls + 1));
    }
    return { ...a, usage: u, last_active: (p.timestamp as string) ?? ev.timestamp ?? a.last_active } as unknown as Obj;
  });
  const total = num((d.s.layers.agents as unknown as Obj).total_llm_calls_24h) ?? 0;
  d.setLayerField('agents', 'total_llm_calls_24h', total + 1);
}

function applyUsageAgent(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  const i = indexOf(d.peek('agents', 'items'), 'agent', candidateIds(ev, 'agent'));
  if (i < 0) return;
  d.patch('agents', 'items', i, (prev) => {
    const a = prev as unknown as AgentItem;
    return { ...a, last_active: (p.timestamp as string) ?? ev.timestamp ?? a.last_active } as unknown as Obj;
  });
}

function applyMessage(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  if (p.sender_type !== 'agent' || !p.sender_id) return;
  const i = indexOf(d.peek('agents', 'items'), 'agent', [canonicalId('agent', p.sender_id)!]);
  if (i < 0) return;
  d.patch('agents', 'items', i, (prev) => {
    const a = prev as unknown as AgentItem;
    const u = { ...emptyUsage(), ...(a.usage ?? {}) };
    u.messages_24h += 1;
    return { ...a, usage: u } as unknown as Obj;
  });
}

function applyDaoEvent(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  const kind = ev.event_type.split('.').slice(2).join('.');
  const ids = candidateIds(ev, 'dao');
  const planets = d.peek('space', 'planets');
  const i = indexOf(planets, 'dao', ids);
  if (kind === 'created') {
    if (i >= 0) return;
    const id = canonicalId('dao', ev.entity_id ?? p.slug ?? p.dao_id)!;
    const planet: Planet = {
      id,
      name: String(p.name ?? p.slug ?? id),
      type: 'dao',
      status: 'active',
      orbits: [],
      treasury_value: 0,
      active_proposals: 0,
      ...(p.dao_id ? { uuid: String(p.dao_id) } : {}),
      ...(p.slug ? { slug: String(p.slug) } : {}),
    };
    d.append('space', 'planets', planet as unknown as Obj);
    return;
  }
  if (i < 0) return;
  if (kind === 'deleted') {
    d.removeAt('space', 'planets', i);
    return;
  }
  d.patch('space', 'planets', i, (prev) => {
    const pl = { ...(prev as unknown as Planet) };
    const active = num(pl.active_proposals) ?? 0;
    const explicit = num(p.active_proposals) ?? num(p.active_proposals_count);
    if (explicit !== undefined) pl.active_proposals = explicit;
    else if (kind === 'proposal_activated' || (kind === 'proposal_created' && p.status === 'active'))
      pl.active_proposals = active + 1;
    else if (kind === 'proposal_closed') pl.active_proposals = Math.max(0, active - 1);
    if (kind === 'treasury_updated') {
      const b = num(p.new_balance) ?? num(p.treasury_value);
      const delta = num(p.delta);
      if (b !== undefined) pl.treasury_value = b;
      else if (delta !== undefined) pl.treasury_value = (num(pl.treasury_value) ?? 0) + delta;
    }
    if (kind === 'member_added') pl.members = (num(pl.members) ?? 0) + 1;
    if (kind === 'member_removed') pl.members = Math.max(0, (num(pl.members) ?? 0) - 1);
    if (kind === 'updated' && p.changes && typeof p.changes === 'object') Object.assign(pl, p.changes);
    if (kind === 'updated' && typeof p.name === 'string') pl.name = p.name;
    return pl as unknown as Obj;
  });
}

function applyMicrodaoEvent(d: Draft, ev: LivingMapEvent): void {
  const p = ev.payload ?? {};
  const kind = ev.event_type.split('.').slice(2).join('.');
  const items = d.peek('city', 'items');
  const i = indexOf(items, 'microdao', candidateIds(ev, 'microdao'));
  if (kind === 'created') {
    if (i >= 0) return;
    const slug = p.slug ? String(p.slug) : undefined;
    const id = canonicalId('microdao', ev.entity_id ?? slug ?? p.microdao_id)!;
    const m: MicroDao = {
      id,
      slug,
      name: String(p.name ?? slug ?? id),
      status: 'active',
      agents: 0,
      nodes: 0,
      members: num(p.member_count) ?? 1,
      description: (p.description as string) ?? null,
      ...(p.microdao_id ? { uuid: String(p.microdao_id) } : {}),
    };
    d.append('city', 'items', m as unknown as Obj);
    d.setLayerField('city', 'microdaos_total', d.peek('city', 'items').length);
    return;
  }
  if (i < 0) return;
  if (kind === 'deleted') {
    d.removeAt('city', 'items', i);
    d.setLayerField('city', 'microdaos_total', d.peek('city', 'items').length);
    return;
  }
  d.patch('city', 'items', i, (prev) => {
    const m = { ...(prev as unknown as MicroDao) };
    if (kind === 'member_added') m.members = (num(m.members) ?? 0) + 1;
    else if (kind === 'member_removed') m.members = Math.max(0, (num(m.members) ?? 0) - 1);
    else if (kind === 'treasury_updated') {
      const b = num(p.new_balance);
      if (b !== undefined) m.treasury = { ...((m.treasury as Obj) ?? {}), [String(p.token_symbol ?? 'DAARION')]: b };
    } else if (kind === 'updated') {
      if (p.changes && typeof p.changes === 'object') Object.assign(m, p.changes);
      if (typeof p.name === 'string') m.name = p.name;
      if (typeof p.is_active === 'boolean') m.status = p.is_active ? 'active' : 'inactive';
    }
    const members = num(p.member_count) ?? num(p.members);
    if (members !== undefined) m.members = members;
    return m as unknown as Obj;
  });
}

/** Where an entity of a type lives in the snapshot. */
const HOME: Record<string, [keyof Snapshot['layers'], string]> = {
  microdao: ['city', 'items'],
  dao: ['space', 'planets'],
  node: ['nodes', 'items'],
  agent: ['agents', 'items'],
};

function entityOf(ev: LivingMapEvent): Obj | undefined {
  const p = (ev.payload ?? {}) as Obj;
  const e = (p.entity ?? p.data ?? p.item) as Obj | undefined;
  if (e && typeof e === 'object') return e;
  if (typeof p.id === 'string') return p;
  return undefined;
}

function typeOf(ev: LivingMapEvent, e?: Obj): string | undefined {
  const p = (ev.payload ?? {}) as Obj;
  const t = ev.entity_type ?? (p.entity_type as string) ?? (p.type as string) ?? (e?.type as string);
  if (t && HOME[t]) return t;
  const id = String(ev.entity_id ?? e?.id ?? p.id ?? '');
  const prefix = id.split(':')[0];
  return HOME[prefix] ? prefix : undefined;
}

function mergeEntity(prev: Obj, next: Obj): Obj {
  const out: Obj = { ...prev, ...next };
  for (const k of ['metrics', 'usage']) {
    if (prev[k] && next[k] && typeof prev[k] === 'object' && typeof next[k] === 'object') {
      out[k] = { ...(prev[k] as Obj), ...(next[k] as Obj) };
    }
  }
  return out;
}

function applyEntityEvent(d: Draft, ev: LivingMapEvent): void {
  const action = ev.event_type.split('.').pop();
  const e = entityOf(ev);
  const type = typeOf(ev, e);
  if (!type) return;
  const [layer, key] = HOME[type];
  const id = String(ev.entity_id ?? e?.id ?? (ev.payload as Obj)?.id ?? '');
  const ids = [id, String(e?.id ?? '')].filter(Boolean);
  const i = indexOf(d.peek(layer, key), type, ids);
  if (action === 'removed') {
    if (i < 0) return;
    d.removeAt(layer, key, i);
    if (type === 'node') {
      const j = indexOf(d.peek('space', 'nodes'), 'node', ids);
      if (j >= 0) d.removeAt('space', 'nodes', j);
    }
  } else {
    if (!e) return;
    const entity: Obj = { ...e };
    delete entity.type;
    if (!entity.id) entity.id = id;
    if (i >= 0) d.patch(layer, key, i, (prev) => mergeEntity(prev, entity));
    else d.append(layer, key, entity);
    if (type === 'node') {
      const node = d.peek('nodes', 'items')[indexOf(d.peek('nodes', 'items'), 'node', ids)] as unknown as NodeItem;
      const sn = d.peek('space', 'nodes');
      const j = indexOf(sn, 'node', ids);
      if (j >= 0) syncSpaceNode(d, node);
      else d.append('space', 'nodes', spaceNodeFrom(node) as unknown as Obj);
    }
  }
  if (type === 'agent') recountAgents(d);
  if (type === 'microdao') d.setLayerField('city', 'microdaos_total', d.peek('city', 'items').length);
}

// ---- alerts (issue 9, docs/ALERTS.md) ------------------------------------------------------

const ALERT_MARK_KEYS = ['id', 'rule', 'severity', 'message', 'since', 'labels'];
/** Types whose healthy status shows `warning` while a warning or critical alert fires. */
const OVERLAID = new Set(['node', 'dao', 'microdao']);
const HEALTHY = new Set(['online', 'active']);
/** Where the client keeps an entity's status without its alerts (as the server does). */
export const STATUS_WITHOUT_ALERTS = 'status_without_alerts';

function alertMark(p: Obj): Obj {
  const m: Obj = {};
  for (const k of ALERT_MARK_KEYS) if (k in p) m[k] = p[k];
  m.state = 'firing';
  return m;
}

/** The status an entity would have without its alerts. */
function baseStatus(type: string, item: Obj): unknown {
  if (STATUS_WITHOUT_ALERTS in item) return item[STATUS_WITHOUT_ALERTS];
  // a snapshot from the server shows the overlay without the base: `warning` with a warning or
  // critical alert listed was put there by the alerts, over a healthy status
  const marks = (Array.isArray(item.alerts) ? item.alerts : []) as Obj[];
  if (OVERLAID.has(type) && item.status === 'warning' && marks.some((m) => m && m.severity !== 'info')) {
    return type === 'node' ? 'online' : 'active';
  }
  return item.status;
}

/** Re-apply the overlay after a writer changed `status` of an entity with alerts listed. */
function settleStatus(type: string, prevItem: Obj, item: Obj): Obj {
  const marks = (Array.isArray(item.alerts) ? item.alerts : []) as Obj[];
  if (!marks.length || item.status === prevItem.status) return item;
  const base = item.status;
  return { ...item, [STATUS_WITHOUT_ALERTS]: base, status: shownStatus(type, base, marks) };
}

function shownStatus(type: string, base: unknown, marks: readonly Obj[]): unknown {
  if (!OVERLAID.has(type) || (base != null && !HEALTHY.has(String(base)))) return base;
  return marks.some((m) => m.severity !== 'info') ? 'warning' : base;
}

/**
 * `living_map.alert.firing|resolved|acknowledged`: the entity's `alerts` list gains, loses or
 * marks the alert, and a healthy node, DAO planet or microDAO shows `warning` while a warning or
 * critical alert fires on it, as the server's snapshot does.
 */
function applyAlertEvent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const kind = ev.event_type.slice('living_map.alert.'.length);
  const alertId = p.id == null ? undefined : String(p.id);
  const entityId = ev.entity_id ?? (p.entity_id as string | undefined);
  if (!alertId || !entityId) return;
  const type = String(ev.entity_type ?? p.entity_type ?? String(entityId).split(':')[0]);
  const home = HOME[type];
  if (!home) return;
  const [layer, key] = home;
  const i = indexOf(d.peek(layer, key), type, [String(entityId)]);
  if (i < 0) return;
  const prev = d.peek(layer, key)[i];
  const marks = (Array.isArray(prev.alerts) ? prev.alerts : []) as Obj[];
  const at = marks.findIndex((m) => m && m.id === alertId);
  let next: Obj[];
  if (kind === 'firing') {
    next = marks.filter((_, j) => j !== at);
    next.push(alertMark(p));
  } else if (kind === 'resolved') {
    if (at < 0) return;
    next = marks.filter((_, j) => j !== at);
  } else if (kind === 'acknowledged') {
    if (at < 0) return;
    next = marks.slice();
    next[at] = { ...marks[at], acked: true, acked_by: p.acked_by ?? null, acked_at: p.acked_at ?? ev.timestamp ?? null };
  } else return;
  let updated: Obj | undefined;
  d.patch(layer, key, i, (item) => {
    const e: Obj = { ...item, alerts: next };
    // the status without alerts: kept while alerts are listed, restored when the last one goes
    const base = baseStatus(type, item);
    if (next.length) {
      e[STATUS_WITHOUT_ALERTS] = base;
      e.status = shownStatus(type, base, next);
    } else {
      delete e[STATUS_WITHOUT_ALERTS];
      e.status = base;
    }
    updated = e;
    return e;
  });
  if (type === 'node' && updated) syncSpaceNode(d, updated as unknown as NodeItem);
}

function applyOne(d: Draft, ev: LivingMapEvent): void {
  const t = ev.event_type ?? '';
  if (t.startsWith('node.metrics')) applyNodeMetrics(d, ev);
  else if (t.startsWith('agent.event.')) applyAgentEvent(d, ev);
  else if (t === 'usage.llm' || t.startsWith('usage.llm.')) applyUsageLlm(d, ev);
  else if (t === 'usage.agent' || t.startsWith('usage.agent.')) applyUsageAgent(d, ev);
  else if (t.startsWith('dao.event.')) applyDaoEvent(d, ev);
  else if (t.startsWith('microdao.event.')) applyMicrodaoEvent(d, ev);
  else if (t === 'messaging.message.created') applyMessage(d, ev);
  else if (t.startsWith('living_map.entity.')) applyEntityEvent(d, ev);
  else if (t.startsWith('living_map.alert.')) applyAlertEvent(d, ev);
  touchSeq(d, ev);
}

/**
 * Apply one event and return the resulting snapshot. Pure: `snapshot` is not modified.
 * Returns the same object when the event changes nothing and carries no newer `seq`.
 */
export function applyEvent(snapshot: Snapshot, event: LivingMapEvent): Snapshot {
  return applyEvents(snapshot, [event]);
}

/** Apply events in order; each touched array is copied once for the whole batch. */
export function applyEvents(snapshot: Snapshot, events: readonly LivingMapEvent[]): Snapshot {
  const d = new Draft(snapshot, snapshot);
  for (const ev of events) {
    try {
      applyOne(d, ev);
    } catch {
      // a malformed event changes nothing
    }
  }
  if (d.agentsToRecount) recountAgentsNow(d);
  return d.s;
}

/** The position (`seq`, `epoch`) a snapshot was cut at: top level first, then `meta`. */
export function snapshotPosition(s: Snapshot | null | undefined): { seq?: number; epoch?: string } {
  if (!s) return {};
  const seq = typeof s.seq === 'number' ? s.seq : typeof s.meta?.seq === 'number' ? s.meta.seq : undefined;
  const epoch = (s.epoch as string | undefined) ?? (s.meta?.epoch as string | undefined);
  return { seq, epoch };
}
