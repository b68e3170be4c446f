/** Alert logic of the UI (issue 9): severities, the panel's list and filter, badges. Pure. */
import type { Alert, AlertMark, LivingMapEvent } from '@daarion/living-map-client';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_COLORS: Record<string, string> = {
  critical: '#ef4444',
  warning: '#f59e0b',
  info: '#3b82f6',
};
export const severityColor = (s: unknown) => SEVERITY_COLORS[String(s)] ?? SEVERITY_COLORS.info;

/** Lower is more severe; unknown severities sort last. */
export const severityRank = (s: unknown) => {
  const i = SEVERITIES.indexOf(String(s) as Severity);
  return i < 0 ? SEVERITIES.length : i;
};

/** What the panel shows as the alert's state: silenced and acknowledged win over firing. */
export function displayState(a: Pick<Alert, 'state' | 'acked' | 'silenced'>): string {
  if (a.state !== 'firing' && a.state !== 'pending') return a.state;
  if (a.silenced) return 'silenced';
  if (a.acked) return 'acknowledged';
  return a.state;
}

/** A severity is shown unless the filter hides it (unknown severities count as info). */
export const severityShown = (hidden: ReadonlySet<string>, s: unknown) => {
  const k = SEVERITIES.includes(String(s) as Severity) ? String(s) : 'info';
  return !hidden.has(k);
};

/** The panel's list: current alerts whose severity is shown, most severe first, then newest. */
export function visibleAlerts(alerts: readonly Alert[], hidden: ReadonlySet<string>): Alert[] {
  return alerts
    .filter((a) => (a.state === 'firing' || a.state === 'pending') && severityShown(hidden, a.severity))
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || String(b.since ?? '').localeCompare(String(a.since ?? '')) || a.id.localeCompare(b.id));
}

/** Current alerts per severity (for the chips' counts), whatever the filter. */
export function countBySeverity(alerts: readonly Alert[]): Record<string, number> {
  const c: Record<string, number> = { critical: 0, warning: 0, info: 0 };
  for (const a of alerts) if (a.state === 'firing' || a.state === 'pending') c[SEVERITIES.includes(a.severity as Severity) ? a.severity : 'info']++;
  return c;
}

/** The badge of an entity: count and highest severity of its firing alerts that the filter shows. */
export function badgeOf(marks: unknown, hidden: ReadonlySet<string>): { severity: string; count: number } | null {
  if (!Array.isArray(marks) || marks.length === 0) return null;
  let best: string | null = null;
  let count = 0;
  for (const m of marks as AlertMark[]) {
    if (!m || typeof m !== 'object' || (m.state && m.state !== 'firing')) continue;
    if (!severityShown(hidden, m.severity)) continue;
    count++;
    if (best === null || severityRank(m.severity) < severityRank(best)) best = String(m.severity);
  }
  return count && best !== null ? { severity: best, count } : null;
}

/**
 * Keep the panel's list live: a `living_map.alert.*` event replaces, resolves or acknowledges the
 * alert of its id. Returns the same array when the event changes nothing.
 */
export function applyAlertEventToList(list: readonly Alert[], e: LivingMapEvent): readonly Alert[] {
  if (!e.event_type.startsWith('living_map.alert.')) return list;
  const p = (e.payload ?? {}) as Partial<Alert>;
  if (!p.id) return list;
  const kind = e.event_type.slice('living_map.alert.'.length);
  const i = list.findIndex((a) => a.id === p.id);
  const prev = i >= 0 ? list[i] : undefined;
  let next: Alert;
  if (kind === 'firing') next = { ...prev, ...p, entity_id: p.entity_id ?? e.entity_id, entity_type: p.entity_type ?? e.entity_type, state: 'firing' } as Alert;
  else if (kind === 'resolved') next = { ...prev, ...p, state: 'resolved' } as Alert;
  else if (kind === 'acknowledged') {
    if (!prev) return list;
    next = { ...prev, acked: true, acked_by: p.acked_by ?? null, acked_at: p.acked_at ?? e.timestamp };
  } else return list;
  if (i < 0) return kind === 'resolved' ? list : [...list, next];
  const out = list.slice();
  out[i] = next;
  return out;
}

/** Short "since" text: `5 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function ago(since: string | null | undefined, now = Date.now()): string {
  const t = since ? Date.parse(since) : NaN;
  if (!Number.isFinite(t)) return '–';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d`;
}
