import type { LayoutItem } from './map/layout';
import { fmt } from './map/renderer';

const pct = (v: unknown) => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '–');

export function Tooltip({ item, x, y }: { item: LayoutItem; x: number; y: number }) {
  const r = item.ref as Record<string, any>;
  let lines: [string, string][] = [];
  switch (item.kind) {
    case 'district':
      lines = [['members', fmt(r.members)], ['agents', String(r.agents ?? '–')], ['nodes', String(r.nodes ?? '–')]];
      break;
    case 'planet':
      lines = [['type', String(r.type)], ['proposals', String(r.active_proposals ?? 0)], ['treasury', fmt(Number(r.treasury_value))], ['orbits', String(r.orbits?.length ?? 0)]];
      break;
    case 'node':
      lines = [['CPU', pct(r.metrics?.cpu)], ['GPU', pct(r.metrics?.gpu)], ['RAM', pct(r.metrics?.ram)], ['temp', r.metrics?.temperature != null ? `${r.metrics.temperature} °C` : '–']];
      break;
    case 'snode':
      lines = [['CPU', pct(r.cpu)], ['GPU', pct(r.gpu)], ['memory', pct(r.memory)]];
      break;
    case 'agent':
      lines = [['kind', String(r.kind ?? '–')], ['model', String(r.model ?? '–')], ['tokens 24h', fmt(r.usage?.tokens_24h)], ['LLM calls 24h', fmt(r.usage?.llm_calls_24h)]];
      break;
  }
  return (
    <div className="tooltip" style={{ left: x + 16, top: y + 16 }} role="tooltip">
      <div className="tt-title">
        <span className={`dot st-${r.status}`} /> {String(r.name ?? item.id)}
      </div>
      <div className="tt-id">
        {item.id} · {String(r.status ?? '')}
      </div>
      <table>
        <tbody>
          {lines.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
