/**
 * The golden reducer table shared with the service (src/test/resources/golden/reducers.json, run
 * in Java by ReducersGoldenTest): every case applied with `applyEvent` to the snapshot the service
 * would serve for `before`, and the entities compared with what the service's snapshot shows after
 * the same event. The service is the authority; a reducer change on either side updates the table.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyEvent, blankEntity } from './apply.js';
import type { LivingMapEvent, Snapshot } from './types.js';
import { deepFreeze } from './fixtures.test-helpers.js';

type Obj = Record<string, unknown>;
interface Before { type: string; id: string; data: Obj; extra?: Obj }
interface After { type: string; id: string; fields?: Obj; absent_fields?: string[]; absent?: boolean }
interface GoldenCase {
  name: string;
  before: Before[];
  event: LivingMapEvent;
  after: After[];
  layers?: Record<string, Obj>;
  service_rejects?: boolean;
  client_skips?: string;
}

const TABLE = fileURLToPath(new URL('../../../../src/test/resources/golden/reducers.json', import.meta.url));
const cases = (JSON.parse(readFileSync(TABLE, 'utf8')) as { cases: GoldenCase[] }).cases;

const HOME: Record<string, [string, string]> = {
  node: ['nodes', 'items'],
  agent: ['agents', 'items'],
  dao: ['space', 'planets'],
  microdao: ['city', 'items'],
  channel: ['city', 'channels'],
};

/** The snapshot the service builds for these entities (SnapshotBuilder, CONTRACT section 2). */
function snapshotOf(before: Before[]): Snapshot {
  const all = before
    .map((b) => ({ type: b.type, data: { ...blankEntity(b.type, b.id), ...b.data } as Obj }))
    .sort((a, b) => (String(a.data.id) < String(b.data.id) ? -1 : 1));
  const of = (t: string) => all.filter((e) => e.type === t).map((e) => e.data);
  const agents = of('agent');
  const nodes = of('node');
  const count = (items: Obj[], m: unknown) => items.filter((i) => i.microdao_id === m).length;
  const microdaos = of('microdao').map((m) => {
    const out = { ...m };
    if (count(agents, m.id)) out.agents = count(agents, m.id);
    if (count(nodes, m.id)) out.nodes = count(nodes, m.id);
    return out;
  });
  const metric = (n: Obj, k: string) => Number((n.metrics as Obj | undefined)?.[k] ?? 0);
  const online = agents.filter((a) => a.status === 'online').length;
  return {
    generated_at: '2026-01-01T00:00:00Z',
    seq: 1,
    epoch: 'golden',
    layers: {
      city: { microdaos_total: microdaos.length, active_users: 0, active_agents: online, health: 'green', items: microdaos, channels: of('channel') },
      space: {
        planets: of('dao'),
        nodes: nodes.map((n) => ({ id: n.id, name: n.name, status: n.status, cpu: metric(n, 'cpu'), gpu: metric(n, 'gpu'), memory: metric(n, 'ram'), alerts: n.alerts ?? [] })),
      },
      nodes: { items: nodes, total_cpu: 0, total_gpu: 0, total_ram: 0 },
      agents: {
        items: agents,
        total_agents: agents.length,
        online_agents: online,
        total_llm_calls_24h: agents.reduce((t, a) => t + Number((a.usage as Obj | undefined)?.llm_calls_24h ?? 0), 0),
      },
    },
    meta: { source_services: [], generated_at: '2026-01-01T00:00:00Z', version: 'golden', seq: 1, epoch: 'golden' },
  } as unknown as Snapshot;
}

function matches(where: string, want: Obj, got: Obj): void {
  for (const [k, w] of Object.entries(want)) {
    const at = `${where}.${k}`;
    expect(k in got, `${at} is present`).toBe(true);
    if (w && typeof w === 'object' && !Array.isArray(w)) {
      expect(typeof got[k], at).toBe('object');
      matches(at, w as Obj, got[k] as Obj);
    } else {
      expect(got[k], at).toEqual(w);
    }
  }
}

function check(c: GoldenCase, s: Snapshot): void {
  const layers = s.layers as unknown as Record<string, Obj>;
  for (const want of c.after) {
    const [layer, key] = HOME[want.type];
    const items = (layers[layer]?.[key] ?? []) as Obj[];
    const item = items.find((i) => i.id === want.id);
    if (want.absent) {
      expect(item, `${want.id} is absent`).toBeUndefined();
      if (want.type === 'node') expect((s.layers.space.nodes as unknown as Obj[]).find((i) => i.id === want.id)).toBeUndefined();
      continue;
    }
    expect(item, `${want.id} is present`).toBeDefined();
    matches(want.id, want.fields ?? {}, item!);
    for (const f of want.absent_fields ?? []) expect(f in item!, `${want.id} has no ${f}`).toBe(false);
    if (want.type === 'node') {
      const view = (s.layers.space.nodes as unknown as Obj[]).find((i) => i.id === want.id);
      expect(view, `${want.id} in space.nodes`).toBeDefined();
      expect(view!.status).toBe(item!.status);
      expect(view!.cpu).toBe((item!.metrics as Obj).cpu);
    }
  }
  for (const [layer, fields] of Object.entries(c.layers ?? {})) matches(`layer ${layer}`, fields, layers[layer]);
}

describe('golden reducer cases (shared with the Java service)', () => {
  it('cover every subject family the reducers handle', () => {
    const families = new Set(cases.map((c) => c.event.event_type.split('.')[0]));
    for (const f of ['node', 'agent', 'usage', 'messaging', 'dao', 'microdao', 'living_map']) expect(families).toContain(f);
  });

  for (const c of cases) {
    it(c.name, () => {
      const before = deepFreeze(snapshotOf(c.before));
      const after = applyEvent(before, { ...c.event, seq: 2, epoch: 'golden' });
      // the service never sends a refused event, and cannot show what a client would need for a
      // skipped one; either way the client must not throw nor touch the frozen snapshot
      if (c.service_rejects || c.client_skips) return;
      check(c, after);
    });
  }
});
