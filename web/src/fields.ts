/**
 * The fields shown for an entity, shared by the details panel and the hover tooltip so that both
 * always say the same thing. A value the service does not know (its defaults are zeros: uptime
 * 0, GPU 0 on a CPU-only node, 0 ms average response without a call) reads "unknown" or "none",
 * never a made-up 0.
 */
import type { EntityRef } from './entities';
import { fmt } from './map/renderer';

export const UNKNOWN = 'unknown';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const pct = (v: unknown) => (isNum(v) ? `${Math.round(v * 100)}%` : UNKNOWN);
const when = (v: unknown) => (typeof v === 'string' && v && Number.isFinite(Date.parse(v)) ? new Date(v).toLocaleString() : UNKNOWN);
const text = (v: unknown) => (v === null || v === undefined || v === '' ? UNKNOWN : String(v));
const count = (v: unknown) => (isNum(v) ? fmt(v) : UNKNOWN);

/** Does the node say it has a GPU? A 0 with no GPU model or count is a CPU-only node's default. */
function hasGpu(r: Record<string, any>, m: Record<string, any>): boolean {
  if (!isNum(m.gpu)) return false;
  if (m.gpu > 0) return true;
  const hint = r.gpu_model ?? r.gpus ?? r.gpu_count ?? m.gpu_model ?? m.gpu_count ?? r.hardware?.gpu;
  return hint !== undefined && hint !== null && hint !== 0 && hint !== '';
}

export function fieldsOf(e: EntityRef): [string, string][] {
  const r = e.ref as Record<string, any>;
  switch (e.type) {
    case 'microdao':
      return [['Status', text(r.status)], ['Members', count(r.members)], ['Agents', count(r.agents)], ['Nodes', count(r.nodes)], ['Slug', text(r.slug)], ['Description', text(r.description)]];
    case 'dao':
      return [['Type', text(r.type)], ['Status', text(r.status)], ['Active proposals', count(r.active_proposals)], ['Treasury', count(Number(r.treasury_value))], ['Nodes on orbit', String(r.orbits?.length ?? 0)]];
    case 'node': {
      const m = r.metrics ?? { cpu: r.cpu, gpu: r.gpu, ram: r.memory };
      const temp = isNum(m.temperature) && m.temperature > 0 ? `${Math.round(m.temperature)} °C` : UNKNOWN;
      const net = isNum(m.net_in) || isNum(m.net_out) ? `${fmt(m.net_in ?? 0)} / ${fmt(m.net_out ?? 0)} Mbit/s` : UNKNOWN;
      return [
        ['Status', text(r.status)],
        ['CPU', pct(m.cpu)],
        ['GPU', hasGpu(r, m) ? pct(m.gpu) : 'none reported'],
        ['RAM', pct(m.ram)],
        ['Disk', pct(m.disk)],
        ['Temperature', temp],
        ['Network in / out', net],
        ['Uptime', isNum(r.uptime_seconds) && r.uptime_seconds > 0 ? `${(r.uptime_seconds / 86400).toFixed(1)} days` : UNKNOWN],
        ['Last seen', when(r.last_seen)],
      ];
    }
    case 'agent': {
      const u = r.usage ?? {};
      const calls = isNum(u.llm_calls_24h) ? u.llm_calls_24h : null;
      const avg = calls && isNum(u.avg_response_time_ms) && u.avg_response_time_ms > 0 ? `${Math.round(u.avg_response_time_ms)} ms` : calls === 0 ? 'no calls' : UNKNOWN;
      return [
        ['Status', text(r.status)],
        ['Kind', text(r.kind)],
        ['Model', text(r.model)],
        ['LLM calls 24h', count(u.llm_calls_24h)],
        ['Tokens 24h', count(u.tokens_24h)],
        ['Messages 24h', count(u.messages_24h)],
        ['Avg response', avg],
        ['Last active', when(r.last_active)],
      ];
    }
  }
}

/** The tooltip's rows: a subset of the panel's, with the panel's very values. */
const TOOLTIP_KEYS: Record<EntityRef['type'], string[]> = {
  microdao: ['Members', 'Agents', 'Nodes'],
  dao: ['Type', 'Active proposals', 'Treasury', 'Nodes on orbit'],
  node: ['CPU', 'GPU', 'RAM', 'Temperature'],
  agent: ['Kind', 'Model', 'Tokens 24h', 'LLM calls 24h'],
};
export function tooltipFieldsOf(e: EntityRef): [string, string][] {
  const keys = TOOLTIP_KEYS[e.type];
  return fieldsOf(e).filter(([k]) => keys.includes(k));
}
