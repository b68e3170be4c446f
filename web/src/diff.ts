/**
 * "What changed" between two instants: GET /living-map/diff?from=ISO&to=ISO (or from_seq/to_seq)
 * answering {from, to, added: [entity], removed: [entity], changed: [{id, type, fields: {path:
 * {from, to}}}], counts}. Fetched here rather than through the client package, which does not
 * know the route yet.
 */
import type { AppConfig } from './config';

export interface DiffEntity {
  id: string;
  type?: string;
  name?: string;
  [k: string]: unknown;
}
export interface DiffChange {
  id: string;
  type?: string;
  fields: Record<string, { from: unknown; to: unknown }>;
}
export interface Diff {
  from: unknown;
  to: unknown;
  added: DiffEntity[];
  removed: DiffEntity[];
  changed: DiffChange[];
  counts: Record<string, unknown>;
  /** entries in the whole diff (the service's counts), however many pages are held here */
  total: number;
  /** every page is held */
  complete: boolean;
}
export interface DiffRange {
  from: string;
  to: string;
}
export type DiffKind = 'added' | 'removed' | 'changed';

/** Entries asked for per page: the service's most (it also cuts a page at about 1 MiB). */
export const PAGE_LIMIT = 5000;

/** Entries fetched at most: every entity at 100x DAARION (27,700), with room. */
export const MAX_ENTRIES = 60000;

/**
 * The whole diff, page after page (`next_cursor`): at 100x DAARION five minutes change 23,000
 * entities, and the first page alone marked only agents on the map (ids in order). The service
 * keeps a computed diff for a minute, so the pages after the first cost no replay. `onPage` sees
 * what is held after each page but the last.
 */
export async function fetchDiff(config: AppConfig, range: DiffRange, signal?: AbortSignal, onPage?: (d: Diff) => void): Promise<Diff> {
  const base = config.baseUrl.replace(/\/+$/, '') + config.apiPrefix;
  let held: Diff | null = null;
  let cursor: string | null = null;
  for (;;) {
    const q = new URLSearchParams({ from: range.from, to: range.to, limit: String(PAGE_LIMIT) });
    if (cursor !== null) q.set('cursor', cursor);
    const res = await fetch(`${base}/diff?${q}`, { headers: { Accept: 'application/json' }, signal });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && (body.message ?? body.error)) || `HTTP ${res.status}`);
    const page = normalise(body);
    held = held ? join(held, page) : page;
    const more = body?.has_more === true;
    const next: unknown = more ? body.next_cursor : null;
    held.complete = !more;
    // a cursor that does not move on would ask for the same page for ever
    cursor = typeof next === 'string' && next !== cursor ? next : null;
    if (cursor === null || heldEntries(held) >= MAX_ENTRIES) return held;
    onPage?.({ ...held });
  }
}

/** Entries held here (of every kind), which may be fewer than the whole diff's. */
export const heldEntries = (d: Pick<Diff, 'added' | 'removed' | 'changed'>) => d.added.length + d.removed.length + d.changed.length;

/** The service's count when it is a number no smaller than what is held; else what is held. */
const counted = (n: unknown, held: number) => (typeof n === 'number' && Number.isFinite(n) && n >= held ? n : held);

function join(a: Diff, b: Diff): Diff {
  return { ...a, added: a.added.concat(b.added), removed: a.removed.concat(b.removed), changed: a.changed.concat(b.changed) };
}

/** Tolerant of missing lists and of entities given as bare ids. */
export function normalise(b: unknown): Diff {
  const o = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const ents = (v: unknown): DiffEntity[] =>
    (Array.isArray(v) ? v : []).map((e) => (typeof e === 'string' ? { id: e } : (e as DiffEntity))).filter((e) => e && typeof e.id === 'string');
  const changed = (Array.isArray(o.changed) ? o.changed : [])
    .filter((c): c is DiffChange => !!c && typeof (c as DiffChange).id === 'string')
    .map((c) => ({ ...c, fields: c.fields && typeof c.fields === 'object' ? c.fields : {} }));
  const counts = o.counts && typeof o.counts === 'object' ? (o.counts as Record<string, unknown>) : {};
  const lists = { added: ents(o.added), removed: ents(o.removed), changed };
  return { from: o.from, to: o.to, ...lists, counts, total: counted(counts.total, heldEntries(lists)), complete: o.has_more !== true };
}

/** How many entries of a kind the whole diff has (the service's counts), not only those held. */
export function countOf(d: Diff, kind: DiffKind): number {
  return counted(d.counts[kind], d[kind].length);
}

/** id → what happened to it, for the map's rings */
export function diffMarks(d: Diff | null): Map<string, DiffKind> {
  const m = new Map<string, DiffKind>();
  if (!d) return m;
  for (const e of d.changed) m.set(e.id, 'changed');
  for (const e of d.added) m.set(e.id, 'added');
  for (const e of d.removed) m.set(e.id, 'removed');
  return m;
}

export const DIFF_COLORS: Record<DiffKind, string> = { added: '#4ade80', removed: '#f87171', changed: '#fbbf24' };

/** A short text of a field's value. */
export function short(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === 'string') return v.length > 24 ? v.slice(0, 23) + '…' : v;
  const s = JSON.stringify(v);
  return s.length > 24 ? s.slice(0, 23) + '…' : s;
}
