/**
 * Pure, immutable application of Living Map events to a snapshot.
 *
 * `applyEvent(s, e)` never mutates `s`: it returns `s` itself when the event changes nothing,
 * or a new snapshot that shares every untouched layer, array and entity with `s` (structural
 * sharing), so `===` tells a renderer what changed. `applyEvents` applies a batch copying each
 * touched array once, which is what a client receiving hundreds of events per second wants.
 */
import type {
  LivingMapEvent,
  NodeItem,
  Snapshot,
  SpaceNode,
} from './types.js';

type Obj = Record<string, unknown>;

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/**
 * A new entity of a type as the service creates it (Java `EntityTypes.blank`): what a reducer
 * starts from when an event names an entity the snapshot does not have yet.
 */
export function blankEntity(type: string, id: string): Record<string, unknown> {
  const short = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  const d: Record<string, unknown> = { id, name: short };
  switch (type) {
    case 'microdao':
      return { ...d, slug: short, status: 'active', agents: 0, nodes: 0, members: 0, description: '' };
    case 'dao':
      return { ...d, slug: short, type: 'dao', status: 'active', orbits: [], treasury_value: 0, active_proposals: 0 };
    case 'node':
      return {
        ...d,
        microdao_id: null,
        status: 'online',
        metrics: { cpu: 0, gpu: 0, ram: 0, disk: 0, net_in: 0, net_out: 0, temperature: 0 },
        alerts: [],
        uptime_seconds: 0,
        last_seen: null,
      };
    case 'agent':
      return {
        ...d,
        kind: 'assistant',
        microdao_id: null,
        status: 'offline',
        usage: { llm_calls_24h: 0, tokens_24h: 0, messages_24h: 0, avg_response_time_ms: 0 },
        model: null,
        last_active: null,
      };
    case 'channel':
      return { ...d, microdao_id: null, status: 'active', messages_24h: 0, last_message_at: null };
    default:
      return { ...d, status: 'unknown' };
  }
}

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

// The reducers below mirror the service's (state/Reducers.java), which is the authority: the
// snapshot a client fetches after an event equals what it computed from that event. The shared
// golden table src/test/resources/golden/reducers.json (golden.test.ts, ReducersGoldenTest) holds
// them together; a change on either side updates it.

/** A JSON number the service can store: it reads metrics, counters and latencies only from numbers. */
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What the service's `JsonObject.getString` gives: a string as is, any other value as its text. */
function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A stored counter: 0 when absent or not a number; fractions are dropped as Java's longValue does. */
const count = (o: unknown, k: string): number => Math.trunc(finite((o as Obj | undefined)?.[k]) ?? 0);

/** DAARION sends NUMERIC values as strings ("1002500.00000000"): Java `Double.parseDouble` syntax. */
function decimal(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : undefined;
}

/** The time an event happened: the payload's `ts`, `timestamp` or `created_at`, else the event's. */
function timestampOf(p: Obj, ev: LivingMapEvent): string {
  for (const k of ['ts', 'timestamp', 'created_at']) {
    const v = p[k];
    if (typeof v === 'string' && v.trim() !== '') return v;
  }
  return ev.timestamp;
}

const ENTITY_TYPES = new Set(['microdao', 'dao', 'node', 'agent', 'channel']);

/** Java `EntityIds.canonical`: `03` of type node is `node:03`; an id with a known type prefix stays. */
function canonical(type: string, raw: string): string {
  const colon = raw.indexOf(':');
  if (raw.startsWith(`${type}:`) || (colon > 0 && ENTITY_TYPES.has(raw.slice(0, colon)))) return raw;
  return `${type}:${raw}`;
}

/** How the snapshot shows a stored microDAO reference (SnapshotBuilder; the client knows no aliases). */
const microdaoRef = (raw: string): string => (raw.startsWith('microdao:') ? raw : `microdao:${raw}`);

/**
 * The entity an event names, as the service computes it (`EntityIds.of`) when the event does not
 * carry it: the first of entity_id, id, node_id, agent_id, dao_id, microdao_id, channel_id.
 */
function entityIdOf(ev: LivingMapEvent): string | undefined {
  if (ev.entity_id) return ev.entity_id;
  const p = (ev.payload ?? {}) as Obj;
  const subjectType = ev.event_type.split('.')[0];
  const keys: [string, string | null][] = [
    ['entity_id', null], ['id', null], ['node_id', 'node'], ['agent_id', 'agent'],
    ['dao_id', 'dao'], ['microdao_id', 'microdao'], ['channel_id', 'channel'],
  ];
  for (const [k, t] of keys) {
    const raw = p[k];
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    const v = String(raw).trim();
    if (!v) continue;
    const colon = v.indexOf(':');
    if (t === null) {
      if (colon > 0 && ENTITY_TYPES.has(v.slice(0, colon))) return v;
      if (!ENTITY_TYPES.has(subjectType)) continue;
      return canonical(subjectType, v);
    }
    return canonical(t, v);
  }
  return undefined;
}

/** Where an entity of a type lives in the snapshot. */
const HOME: Record<string, [keyof Snapshot['layers'], string]> = {
  microdao: ['city', 'items'],
  dao: ['space', 'planets'],
  node: ['nodes', 'items'],
  agent: ['agents', 'items'],
  channel: ['city', 'channels'],
};

/** After an entity of this type was added, changed or removed: the snapshot's derived parts. */
function afterChange(d: Draft, type: string, id: string): void {
  if (type === 'agent') recountAgents(d);
  else if (type === 'microdao') d.setLayerField('city', 'microdaos_total', d.peek('city', 'items').length);
  else if (type === 'node') {
    const items = d.peek('nodes', 'items');
    const i = indexOf(items, 'node', [id]);
    const j = indexOf(d.peek('space', 'nodes'), 'node', [id]);
    if (i < 0) {
      if (j >= 0) d.removeAt('space', 'nodes', j);
    } else if (j >= 0) syncSpaceNode(d, items[i] as unknown as NodeItem);
    else d.append('space', 'nodes', spaceNodeFrom(items[i] as unknown as NodeItem) as unknown as Obj);
  }
}

/**
 * Java `existingOrNew` then `put`: `f` changes the entity found by `ids` (best first; a new blank
 * one with id `newId` when none answers) and the result replaces it.
 */
function upsert(d: Draft, type: string, ids: string[], newId: string, f: (item: Obj) => Obj): void {
  const [layer, key] = HOME[type];
  const i = ids.length ? indexOf(d.peek(layer, key), type, ids) : -1;
  let id = newId;
  if (i >= 0) {
    id = String(d.peek(layer, key)[i].id);
    d.patch(layer, key, i, (prev) => f(prev));
  } else {
    d.append(layer, key, f(blankEntity(type, newId)));
  }
  afterChange(d, type, id);
}

function remove(d: Draft, type: string, id: string): void {
  const [layer, key] = HOME[type] ?? [];
  if (!layer) return;
  const i = indexOf(d.peek(layer, key), type, [id]);
  if (i < 0) return;
  d.removeAt(layer, key, i);
  afterChange(d, type, id);
}

function countOnline(items: readonly Obj[]): number {
  let n = 0;
  for (const a of items) if (a.status === 'online') n++;
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
    cpu: num(m.cpu) ?? 0,
    gpu: num(m.gpu) ?? 0,
    memory: num(m.ram) ?? 0,
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
/** Load at or above which a node shows `warning` (Reducers.HOT_LOAD). */
const HOT_LOAD = 0.9;
/** Temperature in °C at or above which a node shows `warning` (Reducers.HOT_TEMPERATURE). */
const HOT_TEMPERATURE = 85;

function nodeStatus(m: Obj): string {
  const v = (k: string) => finite(m[k]) ?? 0;
  return v('cpu') >= HOT_LOAD || v('gpu') >= HOT_LOAD || v('temperature') >= HOT_TEMPERATURE ? 'warning' : 'online';
}

function applyNodeMetrics(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const id = entityIdOf(ev);
  if (!id) return;
  upsert(d, 'node', candidateIds(ev, 'node'), id, (prev) => {
    const metrics: Obj = { ...((prev.metrics as Obj) ?? {}) };
    for (const k of METRIC_KEYS) {
      const v = finite(p[k]);
      if (v !== undefined) metrics[k] = v;
    }
    return settleStatus('node', prev, { ...prev, metrics, last_seen: timestampOf(p, ev), status: nodeStatus(metrics) });
  });
}

function recountAgents(d: Draft): void {
  d.agentsToRecount = true;
}

function recountAgentsNow(d: Draft): void {
  const items = d.peek('agents', 'items');
  d.setLayerField('agents', 'online_agents', countOnline(items));
  d.setLayerField('agents', 'total_agents', items.length);
  let calls = 0;
  for (const a of items) calls += count(a.usage, 'llm_calls_24h');
  d.setLayerField('agents', 'total_llm_calls_24h', calls);
}

/** The contract's agent statuses are online, offline and idle; busy is a kind of online. */
function agentStatus(raw: string): string {
  if (raw === 'offline' || raw === 'idle') return raw;
  return raw.toLowerCase() === 'offline' ? 'offline' : 'online';
}

function applyAgentEvent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const id = entityIdOf(ev);
  if (!id) return;
  upsert(d, 'agent', candidateIds(ev, 'agent'), id, (prev) => {
    const next: Obj = { ...prev, last_active: timestampOf(p, ev) };
    const status = text(p.status);
    if (status !== undefined) next.status = agentStatus(status);
    const microdao = text(p.microdao_id);
    if (microdao !== undefined && prev.microdao_id == null) next.microdao_id = microdaoRef(microdao);
    return next;
  });
}

/** usage.*: the agent is the payload's `agent_id` (not the event's entity). */
function usageTarget(ev: LivingMapEvent): { ids: string[]; id: string } | undefined {
  const raw = text((ev.payload ?? {}).agent_id);
  if (raw === undefined) return undefined;
  const id = canonical('agent', raw);
  const ids = ev.entity_id && ev.entity_id.startsWith('agent:') ? [ev.entity_id, id] : [id];
  return { ids, id: ids[0] };
}

function applyUsageLlm(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const t = usageTarget(ev);
  if (!t) return;
  const latency = finite(p.latency_ms);
  const model = text(p.model);
  upsert(d, 'agent', t.ids, t.id, (prev) => {
    const u: Obj = { ...((prev.usage as Obj) ?? {}) };
    const calls = count(u, 'llm_calls_24h') + 1;
    u.llm_calls_24h = calls;
    u.tokens_24h = count(u, 'tokens_24h') + Math.trunc(finite(p.total_tokens) ?? 0);
    if (latency !== undefined) {
      const avg = finite(u.avg_response_time_ms) ?? 0;
      u.avg_response_time_ms = avg + (latency - avg) / calls;
    }
    const next: Obj = { ...prev, usage: u, last_active: timestampOf(p, ev) };
    if (model !== undefined) next.model = model;
    return next;
  });
  recountAgents(d);
}

function applyUsageAgent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const t = usageTarget(ev);
  if (!t) return;
  upsert(d, 'agent', t.ids, t.id, (prev) => {
    const u: Obj = { ...((prev.usage as Obj) ?? {}) };
    u.invocations_24h = count(u, 'invocations_24h') + 1;
    return { ...prev, usage: u, last_active: timestampOf(p, ev) };
  });
}

function applyMessage(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const at = timestampOf(p, ev);
  const channel = text(p.channel_id);
  if (channel !== undefined) {
    const id = canonical('channel', channel);
    upsert(d, 'channel', [id], id, (prev) => {
      const next: Obj = { ...prev, messages_24h: count(prev, 'messages_24h') + 1, last_message_at: at };
      const microdao = text(p.microdao_id);
      if (microdao !== undefined && prev.microdao_id == null) next.microdao_id = microdaoRef(microdao);
      return next;
    });
  }
  const sender = text(p.sender_id);
  if (text(p.sender_type) !== 'agent' || sender === undefined) return;
  const i = indexOf(d.peek('agents', 'items'), 'agent', [canonical('agent', sender)]);
  if (i < 0) return; // a message does not invent an agent
  d.patch('agents', 'items', i, (prev) => {
    const u: Obj = { ...((prev.usage as Obj) ?? {}) };
    u.messages_24h = count(u, 'messages_24h') + 1;
    return { ...prev, usage: u, last_active: at };
  });
}

const putText = (o: Obj, k: string, v: unknown) => {
  const t = text(v);
  if (t !== undefined) o[k] = t;
};

function applyDaoEvent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const kind = ev.event_type.slice('dao.event.'.length);
  const id = entityIdOf(ev);
  const planets = d.peek('space', 'planets');
  if (kind === 'created') {
    const slug = text(p.slug);
    const known = id !== undefined && indexOf(planets, 'dao', [id]) >= 0;
    const newId = known || slug === undefined ? id : `dao:${slug}`;
    if (!newId) return;
    upsert(d, 'dao', [newId], newId, (prev) => {
      const pl = { ...prev };
      putText(pl, 'name', p.name);
      if (slug !== undefined) pl.slug = slug;
      const microdao = text(p.microdao_id);
      if (microdao !== undefined) pl.microdao_id = microdaoRef(microdao);
      return pl;
    });
    return;
  }
  if (!id) return;
  if (kind === 'deleted') return remove(d, 'dao', id);
  const i = indexOf(planets, 'dao', candidateIds(ev, 'dao'));
  // a DAO not yet known is not invented from a side event: the next poll brings it
  if (i < 0) return;
  const proposal = text(p.proposal_id);
  d.patch('space', 'planets', i, (prev) => {
    const pl = { ...prev };
    const active = count(pl, 'active_proposals');
    // The service counts the ids of open proposals, which the snapshot does not show: a client
    // that sees a proposal opened twice, or closed without having been open, counts it anyway.
    if (proposal !== undefined && (kind === 'proposal_activated' || (kind === 'proposal_created' && text(p.status) === 'active'))) {
      pl.active_proposals = active + 1;
    } else if (proposal !== undefined && kind === 'proposal_closed') pl.active_proposals = Math.max(0, active - 1);
    else if (kind === 'treasury_updated') {
      // the service sums the balances of all tokens; the snapshot shows only the sum, so a
      // client assumes one token
      const b = decimal(p.new_balance);
      if (b !== undefined) pl.treasury_value = b;
    } else if (kind === 'updated') {
      const changes = p.changes;
      if (changes && typeof changes === 'object' && !Array.isArray(changes)) {
        putText(pl, 'name', (changes as Obj).name);
        putText(pl, 'description', (changes as Obj).description);
      }
      putText(pl, 'name', p.name);
    }
    return pl;
  });
}

/** microdao-service gives a new microDAO the id microdao:<first 8 hex of its UUID>. */
function microdaoIdForNew(uuid: string | undefined, slug: string | undefined, fallback: string | undefined): string | undefined {
  if (uuid !== undefined && uuid.length > 8 && uuid[8] === '-') return `microdao:${uuid.slice(0, 8)}`;
  if (slug !== undefined) return `microdao:${slug}`;
  return fallback;
}

function applyMicrodaoEvent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const kind = ev.event_type.slice('microdao.event.'.length);
  const id = entityIdOf(ev);
  const items = d.peek('city', 'items');
  if (kind === 'created') {
    const known = id !== undefined && indexOf(items, 'microdao', [id]) >= 0;
    const newId = known ? id : microdaoIdForNew(text(p.microdao_id), text(p.slug), id);
    if (!newId) return;
    upsert(d, 'microdao', [newId], newId, (prev) => {
      const m: Obj = { ...prev, status: 'active' };
      putText(m, 'name', p.name);
      putText(m, 'slug', p.slug);
      return m;
    });
    return;
  }
  if (!id) return;
  if (kind === 'deleted') return remove(d, 'microdao', id);
  const i = indexOf(items, 'microdao', candidateIds(ev, 'microdao'));
  if (i < 0) return;
  d.patch('city', 'items', i, (prev) => {
    const m = { ...prev };
    if (kind === 'member_added') m.members = count(m, 'members') + 1;
    else if (kind === 'member_removed') m.members = Math.max(0, count(m, 'members') - 1);
    else if (kind === 'updated') {
      const changes = p.changes;
      if (changes && typeof changes === 'object' && !Array.isArray(changes)) {
        const c = changes as Obj;
        putText(m, 'name', c.name);
        putText(m, 'description', c.description);
        if (typeof c.is_active === 'boolean') m.status = c.is_active ? 'active' : 'inactive';
      }
    }
    // treasury_updated: the service keeps the balances out of the snapshot
    return m;
  });
}

/**
 * `living_map.entity.*`: what the service's reconciler did (replayed by the service's reducers
 * when the state is rebuilt from history). `added` puts the entity as sent, `updated` lays its
 * `changes` over it, `removed` removes it; `meta` and `aliases` change nothing the snapshot shows.
 */
function applyEntityEvent(d: Draft, ev: LivingMapEvent): void {
  const p = (ev.payload ?? {}) as Obj;
  const action = ev.event_type.slice('living_map.entity.'.length);
  const id = text(p.entity_id);
  const type = text(p.entity_type);
  if (id === undefined || type === undefined || !HOME[type]) return;
  if (action === 'removed') return remove(d, type, id);
  if (action === 'added') {
    const e = p.entity;
    if (e !== undefined && (e === null || typeof e !== 'object' || Array.isArray(e))) throw new Error('entity is not an object');
    const entity: Obj = e ? { ...(e as Obj) } : blankEntity(type, id);
    if (entity.id === undefined) entity.id = id;
    upsert(d, type, [id], id, () => entity);
  } else if (action === 'updated') {
    const changes = p.changes ?? {};
    if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) throw new Error('changes is not an object');
    upsert(d, type, [id], id, (prev) => ({ ...prev, ...(changes as Obj) }));
  }
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
