import { describe, expect, it } from 'vitest';
import type { Alert, LivingMapEvent } from '@daarion/living-map-client';
import { ago, applyAlertEventToList, badgeOf, countBySeverity, displayState, visibleAlerts } from './alerts';

const A = (id: string, severity: string, extra: Partial<Alert> = {}): Alert => ({ id, rule: 'r', severity, state: 'firing', since: '2025-11-28T10:00:00Z', entity_id: 'node:' + id, ...extra });
const none = new Set<string>();

describe('alerts panel logic', () => {
  const list = [A('w1', 'warning'), A('i1', 'info'), A('c1', 'critical'), A('r1', 'critical', { state: 'resolved' }), A('w2', 'warning', { since: '2025-11-28T11:00:00Z' })];

  it('lists current alerts, most severe first, newest first within a severity', () => {
    expect(visibleAlerts(list, none).map((a) => a.id)).toEqual(['c1', 'w2', 'w1', 'i1']);
  });

  it('the severity filter hides alerts of unchecked severities', () => {
    expect(visibleAlerts(list, new Set(['warning'])).map((a) => a.id)).toEqual(['c1', 'i1']);
    expect(visibleAlerts(list, new Set(['critical', 'info'])).map((a) => a.id)).toEqual(['w2', 'w1']);
    expect(visibleAlerts(list, new Set(['critical', 'warning', 'info']))).toEqual([]);
    expect(countBySeverity(list)).toEqual({ critical: 1, warning: 2, info: 1 });
  });

  it('state shown: silenced, then acknowledged, then the lifecycle state', () => {
    expect(displayState({ state: 'firing' })).toBe('firing');
    expect(displayState({ state: 'firing', acked: true })).toBe('acknowledged');
    expect(displayState({ state: 'firing', acked: true, silenced: true })).toBe('silenced');
    expect(displayState({ state: 'resolved', acked: true })).toBe('resolved');
  });

  it('badges: count and highest severity of the firing alerts the filter shows', () => {
    const marks = [
      { id: 'a', rule: 'r', severity: 'warning', state: 'firing' },
      { id: 'b', rule: 'r', severity: 'critical', state: 'firing' },
      { id: 'c', rule: 'r', severity: 'info' },
    ];
    expect(badgeOf(marks, none)).toEqual({ severity: 'critical', count: 3 });
    expect(badgeOf(marks, new Set(['critical']))).toEqual({ severity: 'warning', count: 2 });
    expect(badgeOf(marks, new Set(['critical', 'warning', 'info']))).toBeNull();
    expect(badgeOf([], none)).toBeNull();
    expect(badgeOf(undefined, none)).toBeNull();
    expect(badgeOf(['legacy string'], none)).toBeNull();
  });

  it('stream events keep the list live', () => {
    const ev = (kind: string, payload: Record<string, unknown>): LivingMapEvent => ({ event_type: `living_map.alert.${kind}`, timestamp: '2025-11-28T12:00:00Z', entity_id: 'node:x', entity_type: 'node', payload });
    let l: readonly Alert[] = [A('w1', 'warning')];
    l = applyAlertEventToList(l, ev('firing', { id: 'n1', rule: 'node_cpu_high', severity: 'critical', message: 'hot', since: '2025-11-28T12:00:00Z' }));
    expect(l.map((a) => [a.id, a.state, a.entity_id])).toEqual([['w1', 'firing', 'node:w1'], ['n1', 'firing', 'node:x']]);
    l = applyAlertEventToList(l, ev('acknowledged', { id: 'n1', acked_by: 'ops' }));
    expect(l[1]).toMatchObject({ acked: true, acked_by: 'ops', state: 'firing' });
    expect(visibleAlerts(l, none).map(displayState)).toEqual(['acknowledged', 'firing']);
    l = applyAlertEventToList(l, ev('resolved', { id: 'n1', state: 'resolved' }));
    expect(visibleAlerts(l, none).map((a) => a.id)).toEqual(['w1']);
    const same = applyAlertEventToList(l, ev('acknowledged', { id: 'unknown' }));
    expect(same).toBe(l);
    expect(applyAlertEventToList(l, { event_type: 'node.metrics.x', timestamp: '', payload: {} })).toBe(l);
  });

  it('ago', () => {
    const now = Date.parse('2025-11-28T12:00:00Z');
    expect(ago('2025-11-28T11:59:30Z', now)).toBe('30 s');
    expect(ago('2025-11-28T11:55:00Z', now)).toBe('5 min');
    expect(ago('2025-11-28T09:50:00Z', now)).toBe('2 h 10 min');
    expect(ago(undefined, now)).toBe('–');
  });
});
