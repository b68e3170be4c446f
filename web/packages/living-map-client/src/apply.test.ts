import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyEvent, applyEvents, canonicalId } from './apply.js';
import type { LivingMapEvent } from './types.js';
import { deepFreeze, snap } from './fixtures.test-helpers.js';

// The repository's copy of shared/fixtures (real DAARION payloads).
const FIX = fileURLToPath(new URL('../../../../src/test/resources/fixtures/events/', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(FIX + name, 'utf8'));
const ev = (event_type: string, payload: Record<string, unknown>, extra: Partial<LivingMapEvent> = {}): LivingMapEvent => ({ event_type, timestamp: '2025-11-28T10:32:00Z', payload, ...extra });

describe('applyEvent', () => {
  it('node.metrics updates the node and its space view, immutably', () => {
    const s = deepFreeze(snap());
    const p = fixture('node.metrics.node-03.json');
    const n = applyEvent(s, ev('node.metrics.node-03', p, { seq: 11, epoch: 'e1', entity_id: 'node:03' }));
    expect(n).not.toBe(s);
    expect(n.layers.nodes.items[0].metrics).toMatchObject({ cpu: 0.44, gpu: 0.72, ram: 0.35, disk: 0.58, temperature: 71 });
    expect(n.layers.space.nodes[0]).toMatchObject({ cpu: 0.44, gpu: 0.72, memory: 0.35 });
    // untouched parts are shared
    expect(n.layers.agents).toBe(s.layers.agents);
    expect(n.layers.city).toBe(s.layers.city);
    expect(n.layers.nodes.items[1]).toBe(s.layers.nodes.items[1]);
    // the original is unchanged
    expect(s.layers.nodes.items[0].metrics.cpu).toBe(0.1);
    expect(n.seq).toBe(11);
    expect(n.meta.seq).toBe(11);
  });

  it('finds a node by node_id when there is no entity_id; the subject token is not an id (as the service)', () => {
    const s = deepFreeze(snap());
    const n = applyEvent(s, ev('node.metrics.gpu-1', { node_id: 'gpu-1', cpu: 0.5, gpu: 0.8, ram: 0.5 }));
    expect(n.layers.nodes.items[1].metrics.cpu).toBe(0.5);
    expect(n.layers.nodes.items[1].status).toBe('online'); // metrics from an offline node: it is back
    expect(applyEvent(s, ev('node.metrics.gpu-1', { cpu: 0.5 }))).toBe(s);
  });

  it('agent.event.status changes status and online count', () => {
    const s = deepFreeze(snap());
    const p = fixture('agent.event.status.json');
    const n = applyEvent(s, ev('agent.event.status', { ...p, status: 'offline' }));
    expect(n.layers.agents.items[0].status).toBe('offline');
    expect(n.layers.agents.online_agents).toBe(0);
    expect(s.layers.agents.items[0].status).toBe('online');
  });

  it('usage.llm moves the 24 h counters and the average latency', () => {
    const s = deepFreeze(snap());
    const p = fixture('usage.llm.json');
    const n = applyEvent(s, ev('usage.llm', p));
    const u = n.layers.agents.items[0].usage;
    expect(u.llm_calls_24h).toBe(2);
    expect(u.tokens_24h).toBe(100 + 570);
    expect(u.avg_response_time_ms).toBe(Math.round((1000 + 1250) / 2));
    expect(n.layers.agents.total_llm_calls_24h).toBe(2);
  });

  it('usage.agent touches last_active; messaging counts agent messages', () => {
    const s = deepFreeze(snap());
    const n = applyEvent(s, ev('usage.agent', { agent_id: 'agent:sofia', timestamp: '2025-11-28T10:31:10Z', llm_calls: 2 }));
    expect(n.layers.agents.items[0].last_active).toBe('2025-11-28T10:31:10Z');
    const m = applyEvent(s, ev('messaging.message.created', { sender_id: 'agent:helion', sender_type: 'agent' }));
    expect(m.layers.agents.items[1].usage.messages_24h).toBe(1);
    const h = applyEvent(s, ev('messaging.message.created', { sender_id: 'user:93', sender_type: 'human' }));
    expect(h).toBe(s);
  });

  it('dao proposal events move active_proposals; matched by UUID; treasury set', () => {
    const s = deepFreeze(snap());
    const closed = fixture('dao.event.proposal_closed.json');
    let n = applyEvent(s, ev('dao.event.proposal_closed', closed));
    expect(n.layers.space.planets[0].active_proposals).toBe(0);
    n = applyEvent(n, ev('dao.event.proposal_activated', { dao_id: 'da000009-0000-4000-8000-000000000001', proposal_id: 'p-2' }));
    n = applyEvent(n, ev('dao.event.proposal_activated', { proposal_id: 'p-3' }, { entity_id: 'dao:daarion-governance' }));
    // without a proposal id the service counts nothing
    expect(applyEvent(n, ev('dao.event.proposal_activated', {}, { entity_id: 'dao:daarion-governance' })).layers.space.planets[0].active_proposals).toBe(2);
    expect(n.layers.space.planets[0].active_proposals).toBe(2);
    n = applyEvent(n, ev('dao.event.treasury_updated', { dao_id: 'da000009-0000-4000-8000-000000000001', new_balance: '2500.5' }));
    expect(n.layers.space.planets[0].treasury_value).toBe(2500.5);
    // a draft proposal is not active
    const d = applyEvent(s, ev('dao.event.proposal_created', { dao_id: 'da000009-0000-4000-8000-000000000001', status: 'draft' }));
    expect(d.layers.space.planets[0].active_proposals).toBe(1);
    expect(s.layers.space.planets[0].active_proposals).toBe(1);
  });

  it('dao.event.created adds a planet', () => {
    const s = deepFreeze(snap());
    const p = fixture('dao.event.created.json');
    const n = applyEvent(s, ev('dao.event.created', p));
    expect(n.layers.space.planets).toHaveLength(2);
    expect(n.layers.space.planets[1]).toMatchObject({ id: 'dao:energy-union-council', name: 'Energy Union Council', orbits: [] });
  });

  it('microdao member events change members (matched by slug or UUID), created/deleted change the list', () => {
    const s = deepFreeze(snap());
    const added = fixture('microdao.event.member_added.json');
    let n = applyEvent(s, ev('microdao.event.member_added', { ...added, microdao_id: '3d000008-0000-4000-8000-000000000001', slug: 'daarion' }));
    expect(n.layers.city.items[0].members).toBe(6);
    n = applyEvent(n, ev('microdao.event.member_removed', { microdao_id: 'energy' }));
    // a slug alone names no entity for the service: nothing changes
    expect(applyEvent(n, ev('microdao.event.member_removed', { slug: 'energy' }))).toBe(n);
    expect(n.layers.city.items[1].members).toBe(2);
    n = applyEvent(n, ev('microdao.event.created', { microdao_id: 'u-3', slug: 'new-one', name: 'New One' }));
    expect(n.layers.city.items.map((m) => m.id)).toEqual(['microdao:daarion', 'microdao:energy', 'microdao:new-one']);
    expect(n.layers.city.microdaos_total).toBe(3);
    n = applyEvent(n, ev('microdao.event.deleted', { microdao_id: 'energy' }));
    expect(n.layers.city.items.map((m) => m.id)).toEqual(['microdao:daarion', 'microdao:new-one']);
    expect(s.layers.city.items).toHaveLength(2);
  });

  it('microdao.event.updated applies changes', () => {
    const s = deepFreeze(snap());
    const n = applyEvent(s, ev('microdao.event.updated', { microdao_id: 'daarion', changes: { description: 'new' } }));
    expect(n.layers.city.items[0].description).toBe('new');
  });

  it('living_map.entity.added/updated/removed carry the entity', () => {
    const s = deepFreeze(snap());
    const node = { id: 'node:new', name: 'new', microdao_id: 'microdao:energy', status: 'online', metrics: { cpu: 0.5, gpu: 0.5, ram: 0.5 }, alerts: [] };
    let n = applyEvent(s, ev('living_map.entity.added', { entity_id: 'node:new', entity_type: 'node', entity: node }, { entity_id: 'node:new', entity_type: 'node' }));
    expect(n.layers.nodes.items.at(-1)).toMatchObject({ id: 'node:new' });
    expect(n.layers.space.nodes.at(-1)).toMatchObject({ id: 'node:new', cpu: 0.5 });
    n = applyEvent(n, ev('living_map.entity.updated', { entity_id: 'node:new', entity_type: 'node', changes: { metrics: { cpu: 0.9, gpu: 0.5, ram: 0.5 } } }, { entity_id: 'node:new', entity_type: 'node' }));
    expect(n.layers.nodes.items.at(-1)!.metrics).toMatchObject({ cpu: 0.9, gpu: 0.5 });
    expect(n.layers.space.nodes.at(-1)).toMatchObject({ cpu: 0.9 });
    const agent = { id: 'agent:new', name: 'new', status: 'online', usage: { llm_calls_24h: 0, tokens_24h: 0, messages_24h: 0, avg_response_time_ms: 0 } };
    n = applyEvent(n, ev('living_map.entity.added', { entity_id: 'agent:new', entity_type: 'agent', entity: agent }, { entity_id: 'agent:new', entity_type: 'agent' }));
    expect(n.layers.agents.total_agents).toBe(3);
    expect(n.layers.agents.online_agents).toBe(2);
    n = applyEvent(n, ev('living_map.entity.removed', { entity_id: 'node:new', entity_type: 'node' }, { entity_id: 'node:new', entity_type: 'node' }));
    expect(n.layers.nodes.items.map((x) => x.id)).not.toContain('node:new');
    expect(n.layers.space.nodes.map((x) => x.id)).not.toContain('node:new');
    expect(s.layers.nodes.items).toHaveLength(2);
  });

  it('unknown subjects change nothing; unknown nodes and agents are created, as the service does', () => {
    const s = deepFreeze(snap());
    expect(applyEvent(s, ev('city.event.alert', { label: 'x' }))).toBe(s);
    expect(applyEvent(s, ev('dao.event.vote_cast', { dao_id: 'nope' }))).toBe(s);
    const n = applyEvent(s, ev('node.metrics.nope', { node_id: 'node:nope', cpu: 1 }));
    expect(n.layers.nodes.items.at(-1)).toMatchObject({ id: 'node:nope', status: 'warning' });
    expect(n.layers.space.nodes.at(-1)).toMatchObject({ id: 'node:nope', cpu: 1 });
    const a = applyEvent(s, ev('agent.event.status', { agent_id: 'agent:nobody', status: 'online' }));
    expect(a.layers.agents.items.at(-1)).toMatchObject({ id: 'agent:nobody', status: 'online' });
    expect(a.layers.agents.online_agents).toBe(2);
  });

  it('a batch copies arrays once and equals applying one by one', () => {
    const s = deepFreeze(snap());
    const evs = [
      ev('node.metrics.node-03', { node_id: 'node:03', cpu: 0.5 }, { seq: 11 }),
      ev('node.metrics.gpu-1', { node_id: 'gpu-1', cpu: 0.7 }, { seq: 12 }),
      ev('agent.event.status', { agent_id: 'agent:helion', status: 'online' }, { seq: 13 }),
    ];
    const batch = applyEvents(s, evs);
    const one = evs.reduce(applyEvent, s);
    expect(batch).toEqual(one);
    expect(batch.seq).toBe(13);
    expect(batch.layers.agents.online_agents).toBe(2);
  });

  it('canonical ids', () => {
    expect(canonicalId('node', 'gpu-1')).toBe('node:gpu-1');
    expect(canonicalId('node', 'node:gpu-1')).toBe('node:gpu-1');
    expect(canonicalId('node', '')).toBeUndefined();
  });
});
