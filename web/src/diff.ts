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
}
export interface DiffRange {
  from: string;
  to: string;
}
export type DiffKind = 'added' | 'removed' | 'changed';

export async function fetchDiff(config: AppConfig, range: DiffRange, signal?: AbortSignal): Promise<Diff> {
  const base = config.baseUrl.replace(/\/+$/, '') + config.apiPrefix;
  const q = new URLSearchParams({ from: range.from, to: range.to });
  const res = await fetch(`${base}/diff?${q}`, { headers: { Accept: 'application/json' }, signal });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error((body && (body.message ?? body.error)) || `HTTP ${res.status}`);
  return normalise(body);
}

/** Tolerant of missing lists and of entities given as bare ids. */
export function normalise(b: unknown): Diff {
  const o = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const ents = (v: unknown): DiffEntity[] =>
    (Array.isArray(v) ? v : []).map((e) => (typeof e === 'string' ? { id: e } : (e as DiffEntity))).filter((e) => e && typeof e.id === 'string');
  const changed = (Array.isArray(o.changed) ? o.changed : [])
    .filter((c): c is DiffChange => !!c && typeof (c as DiffChange).id === 'string')
    .map((c) => ({ ...c, fields: c.fields && typeof c.fields === 'object' ? c.fields : {} }));
  return { from: o.from, to: o.to, added: ents(o.added), removed: ents(o.removed), changed, counts: (o.counts as Record<string, unknown>) ?? {} };
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
