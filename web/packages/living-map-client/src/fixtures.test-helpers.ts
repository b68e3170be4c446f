import type { Snapshot } from './types.js';

export function snap(): Snapshot {
  return {
    generated_at: '2025-11-28T10:00:00Z',
    seq: 10,
    epoch: 'e1',
    layers: {
      city: {
        microdaos_total: 2,
        active_users: 10,
        active_agents: 1,
        health: 'green',
        items: [
          { id: 'microdao:daarion', slug: 'daarion', name: 'DAARION', status: 'active', agents: 2, nodes: 1, members: 5, description: '', uuid: '3d000008-0000-4000-8000-000000000001' },
          { id: 'microdao:energy', slug: 'energy', name: 'Energy', status: 'active', agents: 0, nodes: 1, members: 3, description: '' },
        ],
      },
      space: {
        planets: [{ id: 'dao:daarion-governance', slug: 'daarion-governance', uuid: 'da000009-0000-4000-8000-000000000001', name: 'Gov', type: 'dao', status: 'active', orbits: ['node:03'], treasury_value: 100, active_proposals: 1 }],
        nodes: [{ id: 'node:03', name: 'node-03', status: 'online', cpu: 0.1, gpu: 0.2, memory: 0.3, alerts: [] }],
      },
      nodes: {
        items: [
          { id: 'node:03', name: 'node-03', microdao_id: 'microdao:daarion', status: 'online', metrics: { cpu: 0.1, gpu: 0.2, ram: 0.3 }, alerts: [], uptime_seconds: 1, last_seen: null },
          { id: 'node:gpu-1', name: 'gpu-1', microdao_id: 'microdao:energy', status: 'offline', metrics: { cpu: 0, gpu: 0, ram: 0 }, alerts: [] },
        ],
        total_cpu: 0,
        total_gpu: 0,
        total_ram: 0,
      },
      agents: {
        items: [
          { id: 'agent:sofia', name: 'sofia', kind: 'assistant', microdao_id: 'microdao:daarion', status: 'online', usage: { llm_calls_24h: 1, tokens_24h: 100, messages_24h: 0, avg_response_time_ms: 1000 }, model: 'm', last_active: null },
          { id: 'agent:helion', name: 'helion', kind: 'assistant', microdao_id: 'microdao:daarion', status: 'offline', usage: { llm_calls_24h: 0, tokens_24h: 0, messages_24h: 0, avg_response_time_ms: 0 }, model: 'm', last_active: null },
        ],
        total_agents: 2,
        online_agents: 1,
        total_llm_calls_24h: 1,
      },
    },
    meta: { source_services: [], generated_at: '2025-11-28T10:00:00Z', version: 't', seq: 10, epoch: 'e1' },
  };
}

/** Deep-freeze, so any mutation in a test throws. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
