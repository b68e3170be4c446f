import type { Snapshot } from '@daarion/living-map-client';
import { findEntity } from './entities';
import { tooltipFieldsOf } from './fields';

/** Hover card: looked up in the snapshot on every render, so it never lags the details panel. */
export function Tooltip({ id, snapshot, x, y }: { id: string; snapshot: Snapshot | null; x: number; y: number }) {
  const e = findEntity(snapshot, id);
  if (!e) return null;
  const r = e.ref as Record<string, any>;
  return (
    <div className="tooltip" style={{ left: x + 16, top: y + 16 }} role="tooltip" data-testid="tooltip">
      <div className="tt-title">
        <span className={`dot st-${r.status}`} /> {String(r.name ?? id)}
      </div>
      <div className="tt-id">
        {id} · {String(r.status ?? '')}
      </div>
      <table>
        <tbody>
          {tooltipFieldsOf(e).map(([k, v]) => (
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
