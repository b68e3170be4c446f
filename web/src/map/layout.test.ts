import { describe, expect, it } from 'vitest';
import type { AgentItem, MicroDao, NodeItem, Planet, SpaceNode, Snapshot } from '@daarion/living-map-client';
import { agentSize, assignSlots, CITY_CELL, CITY_GROUP_ABOVE, CITY_GROUP_MAX, cityGroups, districtSize, layoutAgents, layoutCity, layoutLayer, layoutNodes, layoutSpace, NODE_CELL, sizeBand, spiral, wideSpiral, type Layout, type LayoutItem } from './layout';

const md = (i: number, members = 10): MicroDao => ({ id: `microdao:m${String(i).padStart(4, '0')}`, name: `M${i}`, status: 'active', agents: 0, nodes: 0, members });
const node = (i: number, cpu = 0.5): NodeItem => ({ id: `node:n${String(i).padStart(5, '0')}`, name: `n${i}`, microdao_id: null, status: 'online', metrics: { cpu, gpu: 0.2, ram: 0.3 }, alerts: [] });
const agent = (i: number, g: number | null, tokens = 1000): AgentItem => ({ id: `agent:a${String(i).padStart(5, '0')}`, name: `a${i}`, microdao_id: g === null ? null : `microdao:m${String(g).padStart(4, '0')}`, status: 'online', usage: { llm_calls_24h: 1, tokens_24h: tokens, messages_24h: 0, avg_response_time_ms: 0 } });
const snode = (i: number): SpaceNode => ({ id: `node:n${String(i).padStart(5, '0')}`, name: `n${i}`, status: 'online', cpu: 0.1, gpu: 0.1, memory: 0.1, alerts: [] });
const planet = (i: number, orbits: string[], treasury = 1000): Planet => ({ id: `dao:p${i}`, name: `P${i}`, type: 'dao', status: 'active', orbits, treasury_value: treasury, active_proposals: 0 });

const pos = (l: Layout) => new Map(l.items.map((it) => [it.id, [it.x, it.y]]));

function overlaps(items: LayoutItem[]): [string, string] | null {
  // squares for tiles, circles for the rest; O(n log n) via a sort on x
  const s = items.slice().sort((a, b) => a.x - b.x);
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length && s[j].x - s[i].x < (s[i].size + s[j].size) / 2; j++) {
      const a = s[i], b = s[j];
      const round = a.kind === 'agent' || a.kind === 'snode' || a.kind === 'planet';
      const d = (a.size + b.size) / 2;
      if (round) {
        if (Math.hypot(a.x - b.x, a.y - b.y) < d - 1e-6) return [a.id, b.id];
      } else if (Math.abs(a.x - b.x) < d - 1e-6 && Math.abs(a.y - b.y) < d - 1e-6) return [a.id, b.id];
    }
  }
  return null;
}

describe('spiral and slots', () => {
  it('spiral slots are distinct cells filling rings', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 2000; k++) {
      const [c, r] = spiral(k);
      const key = c + ',' + r;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      const ring = Math.max(Math.abs(c), Math.abs(r));
      expect(k).toBeLessThan((2 * ring + 1) ** 2);
    }
    expect(spiral(0)).toEqual([0, 0]);
  });

  it('assignSlots keeps previous slots and fills the lowest free ones', () => {
    const a = assignSlots(['c', 'a', 'b']);
    expect([...a]).toEqual([['a', 0], ['b', 1], ['c', 2]]);
    const b = assignSlots(['a', 'c', 'd', '0'], a); // b removed, d and 0 added
    expect(b.get('a')).toBe(0);
    expect(b.get('c')).toBe(2);
    expect(b.get('0')).toBe(1); // takes the freed slot
    expect(b.get('d')).toBe(3);
  });
});

describe('city layout', () => {
  it('is deterministic and independent of input order', () => {
    const items = Array.from({ length: 30 }, (_, i) => md(i, i * 37));
    const a = layoutCity(items);
    const b = layoutCity(items.slice().reverse());
    expect(pos(a)).toEqual(pos(b));
  });

  it('sizes districts by members, inside their cell, without overlap', () => {
    const items = Array.from({ length: 50 }, (_, i) => md(i, Math.round(10 ** (i / 10))));
    const l = layoutCity(items);
    expect(districtSize(10)).toBeLessThan(districtSize(1000));
    for (const it of l.items) expect(it.size).toBeLessThanOrEqual(CITY_CELL - 10);
    expect(overlaps(l.items)).toBeNull();
    expect(l.byId.get('microdao:m0049')!.size).toBeGreaterThan(l.byId.get('microdao:m0001')!.size);
  });

  it('keeps positions when microDAOs are added or removed', () => {
    const items = Array.from({ length: 20 }, (_, i) => md(i * 2));
    const a = layoutCity(items);
    const more = [...items, md(1), md(999), md(3)].filter((m) => m.id !== 'microdao:m0010');
    const b = layoutCity(more, a);
    for (const m of more) if (a.byId.has(m.id)) expect(b.byId.get(m.id)!.x).toBe(a.byId.get(m.id)!.x);
    expect(overlaps(b.items)).toBeNull();
  });
});

describe('city groups at 100x (semantic zoom)', () => {
  // the simulator's 100x city: 1,200 microDAOs of 1 to 29 members, plus a few big ones
  const NAMES = ['Alteria', 'Borealis', 'Cinder', 'Delta', 'Ember', 'Fjord', 'Gale', 'Helix', 'Ion', 'Juniper', 'Kestrel', 'Lumen', 'Mosaic', 'Nimbus', 'Onyx', 'Prism', 'Quartz', 'Rune', 'Solace', 'Tundra', 'Umber', 'Vega', 'Willow', 'Xenon', 'Yarrow', 'Zephyr'];
  const city = (n: number) =>
    Array.from({ length: n }, (_, i): MicroDao => ({ ...md(i, i < 5 ? 300 + i * 400 : 1 + ((i * 7919) % 29)), name: `${NAMES[(i * 31) % NAMES.length]} ${i}` }));

  it('the wide spiral fills rings of a 2:1 rectangle, each cell once, independent of count', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 3000; k++) {
      const [c, r] = wideSpiral(k);
      expect(seen.has(c + ',' + r)).toBe(false);
      seen.add(c + ',' + r);
    }
    expect(wideSpiral(0)).toEqual([0, 0]);
    // the first 1 + 14 slots are exactly the 5 x 3 block around the centre
    const first = Array.from({ length: 15 }, (_, k) => wideSpiral(k));
    expect(Math.max(...first.map(([c]) => Math.abs(c)))).toBe(2);
    expect(Math.max(...first.map(([, r]) => Math.abs(r)))).toBe(1);
  });

  it('large layers go on the wide spiral, small ones stay square, and a layout keeps its spiral', () => {
    expect(layoutCity(city(50)).wide).toBe(false);
    const big = layoutNodes(Array.from({ length: 1500 }, (_, i) => node(i)));
    expect(big.wide).toBe(true);
    expect(layoutNodes(Array.from({ length: 900 }, (_, i) => node(i)), big).wide).toBe(true);
    expect(layoutNodes(Array.from({ length: 1500 }, (_, i) => node(i)), layoutNodes([node(1)])).wide).toBe(false);
  });

  it('names size bands as ranges a reader can say', () => {
    expect(sizeBand(0).label).toBe('0–4 members');
    expect(sizeBand(4).label).toBe('0–4 members');
    expect(sizeBand(5).label).toBe('5–9 members');
    expect(sizeBand(29).label).toBe('20–49 members');
    expect(sizeBand(1500).label).toBe('1000–1999 members');
    expect(sizeBand(15000).label).toBe('10k–19k members');
    expect(sizeBand(1e9).label).toBe('100k+ members');
    expect(sizeBand(12).index).toBeLessThan(sizeBand(20).index);
  });

  it('draws the city as districts only, no groups, at DAARION size', () => {
    const l = layoutCity(city(CITY_GROUP_ABOVE));
    expect(l.groups.size).toBe(0);
    expect(l.items.every((it) => it.group === undefined)).toBe(true);
  });

  it('groups 1,200 microDAOs by size band, split by name, each group a block of its own', () => {
    const items = city(1200);
    const l = layoutCity(items);
    expect(l.items).toHaveLength(1200);
    expect(overlaps(l.items)).toBeNull();
    // a dozen or two groups: structure, not a carpet, and none too big to read when opened
    expect(l.groups.size).toBeGreaterThanOrEqual(12);
    expect(l.groups.size).toBeLessThanOrEqual(40);
    let members = 0;
    const spans = new Map<string, [number, number][]>();
    for (const g of l.groups.values()) {
      members += g.members.length;
      expect(g.members.length).toBeLessThanOrEqual(CITY_GROUP_MAX);
      // every member is in its group's size band and inside its block
      const sizes = g.members.map((it) => Number(it.ref.members));
      const bands = new Set(sizes.map((m) => sizeBand(m).label));
      expect(bands.size).toBe(1);
      const lo = Math.min(...sizes), hi = Math.max(...sizes);
      // the label says exactly what the group holds: its band, or the run's sizes in it
      expect([...bands][0] === g.label || g.label === (lo === hi ? `${lo} members` : `${lo}–${hi} members`)).toBe(true);
      const band = [...bands][0];
      if (!spans.has(band)) spans.set(band, []);
      spans.get(band)!.push([lo, hi]);
      for (const it of g.members) {
        expect(Math.abs(it.x - g.x)).toBeLessThanOrEqual(g.r);
        expect(Math.abs(it.y - g.y)).toBeLessThanOrEqual(g.r);
      }
    }
    expect(members).toBe(1200);
    // runs of one band are cut between sizes: their ranges do not overlap
    for (const sp of spans.values()) {
      sp.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sp.length; i++) expect(sp[i][0]).toBeGreaterThan(sp[i - 1][1]);
    }
    expect([...spans.values()].some((sp) => sp.length > 1)).toBe(true);
    // the discs drawn for groups never overlap
    const gs = [...l.groups.values()];
    for (let i = 0; i < gs.length; i++) for (let j = i + 1; j < gs.length; j++) expect(Math.hypot(gs[i].x - gs[j].x, gs[i].y - gs[j].y)).toBeGreaterThanOrEqual(gs[i].r + gs[j].r);
    // opened, each block keeps its outline and name, every district inside it
    const blocks = new Map(l.decorations.filter((d) => d.kind === 'block').map((d) => [d.id, d]));
    expect(blocks.size).toBe(l.groups.size);
    for (const it of l.items) {
      const d = blocks.get(it.group!)!;
      expect(d.label).toBe(l.groups.get(it.group!)!.label);
      expect(Math.abs(it.x - d.x) + it.size / 2).toBeLessThanOrEqual(d.r);
      expect(Math.abs(it.y - d.y) + it.size / 2).toBeLessThanOrEqual(d.r);
    }
    // a landscape screen: the groups spread wider than high
    expect(l.bounds.maxX - l.bounds.minX).toBeGreaterThan(1.4 * (l.bounds.maxY - l.bounds.minY));
    // the biggest band in the middle
    const centre = gs.reduce((a, b) => (Math.hypot(a.x, a.y) <= Math.hypot(b.x, b.y) ? a : b));
    expect(centre.label.startsWith('1000–1999 members') || centre.label.startsWith('500–999') || centre.label.startsWith('200–499')).toBe(true);
  });

  it('is deterministic and independent of input order', () => {
    const items = city(600);
    const a = layoutCity(items);
    const b = layoutCity(items.slice().reverse());
    expect(pos(b)).toEqual(pos(a));
    expect([...b.groups.values()].map((g) => g.label).sort()).toEqual([...a.groups.values()].map((g) => g.label).sort());
  });

  it('keeps every microDAO where it was when others come and go, or when its members change', () => {
    const items = city(1200);
    const a = layoutCity(items);
    // one grows out of its band, one leaves, two new ones arrive (a new name and a big one)
    const grown = { ...items[100], members: 5000 };
    const next = [...items.slice(0, 100), grown, ...items.slice(101, 700), ...items.slice(701), { ...md(5000, 12), name: 'Aardvark 5000' }, { ...md(5001, 40000), name: 'Zulu' }];
    const b = layoutCity(next, a);
    expect(overlaps(b.items)).toBeNull();
    for (const m of next) {
      const was = a.byId.get(m.id);
      if (was) expect([b.byId.get(m.id)!.x, b.byId.get(m.id)!.y, b.byId.get(m.id)!.group]).toEqual([was.x, was.y, was.group]);
    }
    // the new ones joined the run of their band whose sizes hold theirs (or a new band's group)
    const aard = b.byId.get('microdao:m5000')!;
    const [lo, hi] = b.groups.get(aard.group!)!.label.replace(' members', '').split('–').map(Number);
    expect(12).toBeGreaterThanOrEqual(lo);
    expect(12).toBeLessThanOrEqual(hi ?? lo);
    expect(b.groups.get(b.byId.get('microdao:m5001')!.group!)!.label).toBe('20k–49k members');
    // a fresh layout places the grown one by its size again
    expect(layoutCity(next).byId.get(grown.id)!.group).not.toBe(a.byId.get(grown.id)!.group);
  });

  it('cityGroups assigns each id exactly once and labels every group', () => {
    const items = city(777);
    const { of, labels } = cityGroups(items);
    expect(of.size).toBe(777);
    for (const g of new Set(of.values())) expect(labels.get(g)).toBeTruthy();
  });
});

describe('nodes layout', () => {
  it('grid tiles sized by load, never overlapping, stable on additions', () => {
    const items = Array.from({ length: 500 }, (_, i) => node(i, (i % 11) / 10));
    const a = layoutNodes(items);
    expect(overlaps(a.items)).toBeNull();
    for (const it of a.items) expect(it.size).toBeLessThan(NODE_CELL);
    expect(a.byId.get('node:n00010')!.size).toBeGreaterThan(a.byId.get('node:n00000')!.size);
    const b = layoutNodes([node(100000), ...items, node(5000)], a);
    for (const n of items) expect([b.byId.get(n.id)!.x, b.byId.get(n.id)!.y]).toEqual([a.byId.get(n.id)!.x, a.byId.get(n.id)!.y]);
  });
});

describe('agents layout', () => {
  it('clusters agents around their microDAO, no overlap, sized by tokens', () => {
    const items: AgentItem[] = [];
    for (let i = 0; i < 600; i++) items.push(agent(i, i % 7 === 0 ? null : i % 5, 10 ** (i % 7)));
    const mds = Array.from({ length: 5 }, (_, i) => md(i));
    const l = layoutAgents(items, mds);
    expect(overlaps(l.items)).toBeNull();
    // every agent is inside its cluster's circle, and clusters do not overlap
    const clusters = new Map(l.decorations.map((d) => [d.id, d]));
    for (const it of l.items) {
      const c = clusters.get(it.group!)!;
      expect(Math.hypot(it.x - c.x, it.y - c.y) + it.size / 2).toBeLessThanOrEqual(c.r);
    }
    const ds = [...clusters.values()];
    for (let i = 0; i < ds.length; i++) for (let j = i + 1; j < ds.length; j++) expect(Math.hypot(ds[i].x - ds[j].x, ds[i].y - ds[j].y)).toBeGreaterThan(ds[i].r + ds[j].r);
    expect(agentSize(agent(0, 0, 1e6))).toBeGreaterThan(agentSize(agent(0, 0, 10)));
    expect(clusters.get('microdao:m0001')!.label).toBe('M1');
  });

  it('tolerates a missing microdao_id and keeps positions when agents join', () => {
    const items = Array.from({ length: 50 }, (_, i) => agent(i, i % 3));
    const a = layoutAgents(items, []);
    const b = layoutAgents([...items, agent(1000, 1), agent(1001, null)], [], a);
    for (const x of items) expect(b.byId.get(x.id)!.x).toBe(a.byId.get(x.id)!.x);
    expect(b.byId.get('agent:a01001')!.group).toBe('~unassigned');
  });
});

describe('space layout', () => {
  it('puts nodes on orbits of their planet, without overlap, stable when a node joins', () => {
    const nodes = Array.from({ length: 120 }, (_, i) => snode(i));
    const planets = [planet(0, nodes.slice(0, 60).map((n) => n.id)), planet(1, nodes.slice(60, 70).map((n) => n.id)), planet(2, [])];
    const l = layoutSpace(planets, nodes);
    expect(overlaps(l.items)).toBeNull();
    const p0 = l.byId.get('dao:p0')!;
    for (const n of nodes.slice(0, 60)) {
      const it = l.byId.get(n.id)!;
      expect(it.group).toBe('dao:p0');
      expect(Math.hypot(it.x - p0.x, it.y - p0.y)).toBeGreaterThan(p0.size / 2);
    }
    // nodes on no orbit are grouped apart
    expect(l.byId.get(nodes[100].id)!.group).toBe('~free-nodes');
    // a node joins planet 1: nobody else moves
    const planets2 = [planets[0], { ...planets[1], orbits: [...planets[1].orbits, nodes[100].id] }, planets[2]];
    const m = layoutSpace(planets2, nodes, l);
    for (const n of nodes.slice(0, 70)) expect(m.byId.get(n.id)!.x).toBe(l.byId.get(n.id)!.x);
    expect(m.byId.get(nodes[100].id)!.group).toBe('dao:p1');
  });
});

describe('layoutLayer', () => {
  it('reuses positions when membership is unchanged and refreshes refs and sizes', () => {
    const s: Snapshot = {
      generated_at: '',
      layers: {
        city: { microdaos_total: 0, active_users: 0, active_agents: 0, health: 'green', items: [] },
        space: { planets: [], nodes: [] },
        nodes: { items: [node(1, 0), node(2, 0)], total_cpu: 0, total_gpu: 0, total_ram: 0 },
        agents: { items: [], total_agents: 0, online_agents: 0, total_llm_calls_24h: 0 },
      },
      meta: {},
    };
    const a = layoutLayer('nodes', s);
    const sizeBefore = a.byId.get('node:n00001')!.size;
    const second = a.items[1];
    const n1 = { ...s.layers.nodes.items[0], metrics: { cpu: 1, gpu: 0, ram: 0 } };
    const s2 = { ...s, layers: { ...s.layers, nodes: { ...s.layers.nodes, items: [n1, s.layers.nodes.items[1]] } } };
    const b = layoutLayer('nodes', s2, a);
    expect(b.slots).toBe(a.slots);
    expect(b.byId.get(n1.id)!.ref).toBe(n1);
    expect(b.byId.get(n1.id)!.size).toBeGreaterThan(sizeBefore);
    expect(b.items[1]).toBe(second);
    expect(b.changed!.map((c) => c.item.id)).toEqual([n1.id]);
    // the same arrays again: nothing to do
    expect(layoutLayer('nodes', s2, b).changed).toEqual([]);
    // a new node: a new layout, old positions kept
    const s3 = { ...s2, layers: { ...s2.layers, nodes: { ...s2.layers.nodes, items: [...s2.layers.nodes.items, node(0)] } } };
    const c = layoutLayer('nodes', s3, b);
    expect(c).not.toBe(b);
    expect(c.byId.get(n1.id)!.x).toBe(b.byId.get(n1.id)!.x);
  });

  it('lays out 10,000 entities quickly', () => {
    const items = Array.from({ length: 10000 }, (_, i) => node(i));
    const t = performance.now();
    const l = layoutNodes(items);
    expect(l.items).toHaveLength(10000);
    expect(performance.now() - t).toBeLessThan(500);
  });
});
