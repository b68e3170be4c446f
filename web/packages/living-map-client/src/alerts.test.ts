import { describe, expect, it } from 'vitest';
import { applyEvent, applyEvents } from './apply.js';
import type { LivingMapEvent } from './types.js';
import { deepFreeze, snap } from './fixtures.test-helpers.js';

const alertEv = (kind: string, payload: Record<string, unknown>, seq = 11): LivingMapEvent => ({
  event_type: `living_map.alert.${kind}`,
  timestamp: '2025-11-28T10:33:00Z',
  entity_id: payload.entity_id as string,
  entity_type: payload.entity_type as string,
  seq,
  payload,
});
const firing = (extra: Record<string, unknown> = {}) => ({
  id: 'a1',
  rule: 'node_cpu_high',
  state: 'firing',
  severity: 'warning',
  message: 'node-03 CPU at 99%',
  since: '2025-11-28T10:32:00Z',
  entity_id: 'node:03',
  entity_type: 'node',
  key: 'node:03',
  value: 0.99,
  labels: { team: 'infra' },
  ...extra,
});

describe('living_map.alert.* events', () => {
  it('firing lists the alert on the node and its space view and shows warning, immutably', () => {
    const s = deepFreeze(snap());
    const n = applyEvent(s, alertEv('firing', firing()));
    const node = n.layers.nodes.items[0];
    expect(node.alerts).toEqual([{ id: 'a1', rule: 'node_cpu_high', severity: 'warning', message: 'node-03 CPU at 99%', since: '2025-11-28T10:32:00Z', labels: { team: 'infra' }, state: 'firing' }]);
    expect(node.status).toBe('warning');
    expect(n.layers.space.nodes[0].alerts).toEqual(node.alerts);
    expect(n.layers.space.nodes[0].status).toBe('warning');
    expect(n.layers.agents).toBe(s.layers.agents);
    expect(s.layers.nodes.items[0].alerts).toEqual([]);
    expect(n.seq).toBe(11);
  });

  it('firing twice with the same id keeps one entry; resolved removes it and restores the status', () => {
    const s = deepFreeze(snap());
    const n = applyEvents(s, [alertEv('firing', firing(), 11), alertEv('firing', firing({ message: 'again' }), 12)]);
    expect(n.layers.nodes.items[0].alerts).toHaveLength(1);
    expect((n.layers.nodes.items[0].alerts[0] as { message: string }).message).toBe('again');
    const r = applyEvent(n, alertEv('resolved', firing({ state: 'resolved' }), 13));
    expect(r.layers.nodes.items[0].alerts).toEqual([]);
    expect(r.layers.nodes.items[0].status).toBe('online');
    expect(r.layers.space.nodes[0].status).toBe('online');
    expect('status_without_alerts' in r.layers.nodes.items[0]).toBe(false);
  });

  it('info alerts and unhealthy entities keep their status; agents keep theirs', () => {
    const s = deepFreeze(snap());
    const info = applyEvent(s, alertEv('firing', firing({ severity: 'info' })));
    expect(info.layers.nodes.items[0].status).toBe('online');
    const off = applyEvent(s, alertEv('firing', firing({ id: 'a2', entity_id: 'node:gpu-1', key: 'node:gpu-1', severity: 'critical' })));
    expect(off.layers.nodes.items[1].status).toBe('offline');
    expect(off.layers.nodes.items[1].alerts).toHaveLength(1);
    const ag = applyEvent(s, alertEv('firing', firing({ id: 'a3', entity_id: 'agent:sofia', entity_type: 'agent', rule: 'llm_errors' })));
    expect(ag.layers.agents.items[0].status).toBe('online');
    expect(ag.layers.agents.items[0].alerts).toHaveLength(1);
    const md = applyEvent(s, alertEv('firing', firing({ id: 'a4', entity_id: 'microdao:energy', entity_type: 'microdao', severity: 'critical' })));
    expect(md.layers.city.items[1].status).toBe('warning');
    const dao = applyEvent(s, alertEv('firing', firing({ id: 'a5', entity_id: 'dao:daarion-governance', entity_type: 'dao' })));
    expect(dao.layers.space.planets[0].status).toBe('warning');
  });

  it('acknowledged marks the listed alert; unknown ids and entities change nothing', () => {
    const s = deepFreeze(applyEvent(snap(), alertEv('firing', firing())));
    const a = applyEvent(s, alertEv('acknowledged', { id: 'a1', rule: 'node_cpu_high', acked_by: 'ops', acked_at: '2025-11-28T10:34:00Z', entity_id: 'node:03', entity_type: 'node' }, 12));
    expect(a.layers.nodes.items[0].alerts[0]).toMatchObject({ id: 'a1', acked: true, acked_by: 'ops', acked_at: '2025-11-28T10:34:00Z' });
    expect(a.layers.nodes.items[0].status).toBe('warning');
    const noSeq = (e: LivingMapEvent) => ({ ...e, seq: undefined });
    expect(applyEvent(s, noSeq(alertEv('acknowledged', { id: 'zz', entity_id: 'node:03', entity_type: 'node' })))).toBe(s);
    expect(applyEvent(s, noSeq(alertEv('resolved', { id: 'zz', entity_id: 'node:03', entity_type: 'node' })))).toBe(s);
    expect(applyEvent(s, noSeq(alertEv('firing', firing({ entity_id: 'node:nope', key: 'node:nope' }))))).toBe(s);
  });

  it('resolving an alert of a server snapshot (warning without a base status) restores the healthy status', () => {
    const base = snap();
    const n0 = base.layers.nodes.items[0];
    n0.status = 'warning';
    n0.alerts = [{ id: 'a1', rule: 'node_cpu_high', severity: 'warning', state: 'firing' }];
    const s = deepFreeze(base);
    const r = applyEvent(s, alertEv('resolved', firing({ state: 'resolved' })));
    expect(r.layers.nodes.items[0].status).toBe('online');
    expect(r.layers.nodes.items[0].alerts).toEqual([]);
  });

  it('a metrics event that sets status keeps the warning while the alert fires', () => {
    const s = deepFreeze(applyEvent(snap(), alertEv('firing', firing())));
    const m = applyEvent(s, { event_type: 'node.metrics.node-03', timestamp: 't', entity_id: 'node:03', payload: { cpu: 0.95, status: 'online' } });
    expect(m.layers.nodes.items[0].status).toBe('warning');
    const r = applyEvent(m, alertEv('resolved', firing({ state: 'resolved' }), 20));
    expect(r.layers.nodes.items[0].status).toBe('online');
  });
});
