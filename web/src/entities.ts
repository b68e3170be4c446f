/** Lookups across the snapshot: what an id is, where it is drawn, what it relates to. */
import type { LayerName, Snapshot } from '@daarion/living-map-client';

export interface EntityRef {
  id: string;
  type: 'microdao' | 'dao' | 'node' | 'agent';
  name: string;
  status: string;
  layers: LayerName[];
  ref: Record<string, unknown>;
}

export function indexEntities(s: Snapshot | null): Map<string, EntityRef> {
  const m = new Map<string, EntityRef>();
  if (!s) return m;
  const L = s.layers;
  for (const e of L.city?.items ?? []) m.set(e.id, { id: e.id, type: 'microdao', name: e.name, status: e.status, layers: ['city'], ref: e as never });
  for (const e of L.space?.planets ?? []) m.set(e.id, { id: e.id, type: 'dao', name: e.name, status: e.status, layers: ['space'], ref: e as never });
  for (const e of L.nodes?.items ?? []) m.set(e.id, { id: e.id, type: 'node', name: e.name, status: e.status, layers: ['nodes', 'space'], ref: e as never });
  for (const e of L.space?.nodes ?? []) if (!m.has(e.id)) m.set(e.id, { id: e.id, type: 'node', name: e.name, status: e.status, layers: ['space'], ref: e as never });
  for (const e of L.agents?.items ?? []) m.set(e.id, { id: e.id, type: 'agent', name: e.name, status: e.status, layers: ['agents'], ref: e as never });
  return m;
}

/**
 * One entity of the snapshot by id, found without building an index (the tooltip asks for one
 * id per render). Nodes resolve to the nodes layer's full record, as in indexEntities.
 */
export function findEntity(s: Snapshot | null, id: string): EntityRef | null {
  if (!s) return null;
  const L = s.layers;
  const type = id.slice(0, id.indexOf(':'));
  const tries: [EntityRef['type'], LayerName[], { id: string; name: string; status: string }[] | undefined][] = [
    ['microdao', ['city'], L.city?.items],
    ['dao', ['space'], L.space?.planets],
    ['node', ['nodes', 'space'], L.nodes?.items],
    ['node', ['space'], L.space?.nodes],
    ['agent', ['agents'], L.agents?.items],
  ];
  // the id's prefix names its list in the usual case; all lists are tried otherwise
  tries.sort((a, b) => Number(b[0] === type) - Number(a[0] === type));
  for (const [t, layers, arr] of tries) {
    const e = arr?.find((x) => x.id === id);
    if (e) return { id: e.id, type: t, name: e.name, status: e.status, layers, ref: e as never };
  }
  return null;
}

export function search(index: Map<string, EntityRef>, q: string, limit = 8): EntityRef[] {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  const exact: EntityRef[] = [];
  const prefix: EntityRef[] = [];
  const contains: EntityRef[] = [];
  for (const e of index.values()) {
    const name = e.name.toLowerCase();
    const id = e.id.toLowerCase();
    if (name === s || id === s) exact.push(e);
    else if (name.startsWith(s) || id.startsWith(s) || id.split(':')[1]?.startsWith(s)) prefix.push(e);
    else if (name.includes(s) || id.includes(s)) contains.push(e);
    if (exact.length >= limit) break;
  }
  return [...exact, ...prefix, ...contains].slice(0, limit);
}

export interface Relation {
  label: string;
  ids: string[];
}

/** Relations the snapshot itself tells (the server may add more in `/entities/{id}`). */
export function relationsOf(s: Snapshot | null, e: EntityRef): Relation[] {
  if (!s) return [];
  const L = s.layers;
  const out: Relation[] = [];
  const md = (id: unknown) => (id ? [String(id)] : []);
  if (e.type === 'microdao') {
    out.push({ label: 'Nodes', ids: (L.nodes?.items ?? []).filter((n) => n.microdao_id === e.id).map((n) => n.id) });
    out.push({ label: 'Agents', ids: (L.agents?.items ?? []).filter((a) => a.microdao_id === e.id).map((a) => a.id) });
  } else if (e.type === 'dao') {
    out.push({ label: 'Orbiting nodes', ids: ((e.ref.orbits as string[]) ?? []).slice() });
    if (e.ref.microdao_id) out.push({ label: 'microDAO', ids: md(e.ref.microdao_id) });
  } else if (e.type === 'node') {
    const full = (L.nodes?.items ?? []).find((n) => n.id === e.id);
    out.push({ label: 'microDAO', ids: md(full?.microdao_id) });
    out.push({ label: 'Orbits DAO', ids: (L.space?.planets ?? []).filter((p) => (p.orbits ?? []).includes(e.id)).map((p) => p.id) });
  } else if (e.type === 'agent') {
    out.push({ label: 'microDAO', ids: md(e.ref.microdao_id) });
  }
  return out.filter((r) => r.ids.length);
}
