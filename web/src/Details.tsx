import { useEffect, useState } from 'react';
import type { EntityDetail, LivingMapClient, LivingMapEvent, Snapshot } from '@daarion/living-map-client';
import { relationsOf, type EntityRef } from './entities';
import { fieldsOf } from './fields';
import { eventColor } from './map/colors';
import { eventSummary } from './EventFeed';
import { ago, severityColor, severityRank } from './alerts';

/** Human names of the service's relation types (Relations.java), read from the entity's side. */
const RELATION_LABELS: Record<string, string> = {
  has_member: 'Members',
  member_of: 'microDAO',
  owns: 'Nodes',
  owned_by: 'Owner',
  runs_on: 'Runs on',
  runs: 'Runs',
  orbits: 'Orbits DAO',
  orbited_by: 'Orbiting nodes',
  governs: 'Governs',
  governed_by: 'Governed by',
};
export const relationLabel = (raw: string) => RELATION_LABELS[raw.toLowerCase()] ?? raw.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/**
 * The snapshot's relations, then the server's with their raw names made readable and every id
 * the snapshot already lists left out: each related entity is listed once.
 */
export function mergeRelations(own: { label: string; ids: string[] }[], server: { label: string; ids: string[] }[]): { label: string; ids: string[] }[] {
  const seen = new Set(own.flatMap((r) => r.ids));
  const out = own.map((r) => ({ label: r.label, ids: r.ids.slice() }));
  for (const r of server) {
    const label = relationLabel(r.label);
    const ids = r.ids.filter((id) => !seen.has(id));
    if (!ids.length) continue;
    for (const id of ids) seen.add(id);
    const same = out.find((x) => x.label === label);
    if (same) same.ids.push(...ids);
    else out.push({ label, ids });
  }
  return out.filter((r) => r.ids.length);
}

/** Relations from the server: tolerate `{label: [ids]}`, `[{type,id}]` or `[ids]`. */
function serverRelations(rel: unknown): { label: string; ids: string[] }[] {
  if (!rel) return [];
  if (Array.isArray(rel)) {
    const groups = new Map<string, string[]>();
    for (const x of rel) {
      const id = typeof x === 'string' ? x : String((x as any)?.id ?? (x as any)?.target ?? '');
      const label = typeof x === 'string' ? 'Related' : String((x as any)?.relation ?? (x as any)?.type ?? 'Related');
      if (!id) continue;
      groups.set(label, [...(groups.get(label) ?? []), id]);
    }
    return [...groups].map(([label, ids]) => ({ label, ids }));
  }
  if (typeof rel === 'object') {
    return Object.entries(rel as Record<string, unknown>)
      .map(([label, v]) => ({ label, ids: (Array.isArray(v) ? v : v ? [v] : []).map((x) => (typeof x === 'string' ? x : String((x as any)?.id ?? ''))).filter(Boolean) }))
      .filter((r) => r.ids.length);
  }
  return [];
}

interface Props {
  entity: EntityRef | null;
  selectedId: string;
  snapshot: Snapshot | null;
  client: LivingMapClient;
  liveEvents: LivingMapEvent[];
  live: boolean;
  names: (id: string) => string;
  onSelect(id: string | null): void;
}

export function Details({ entity, selectedId, snapshot, client, liveEvents, live, names, onSelect }: Props) {
  const [detail, setDetail] = useState<EntityDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    setDetail(null);
    setErr(null);
    client
      .fetchEntity(selectedId)
      .then((d) => !cancelled && setDetail(d))
      .catch((e) => !cancelled && setErr(String(e.message ?? e)));
    return () => {
      cancelled = true;
    };
  }, [client, selectedId]);

  const rels = entity ? relationsOf(snapshot, entity) : [];
  const allRels = mergeRelations(rels, serverRelations(detail?.relations));
  const own = liveEvents.filter((e) => e.entity_id === selectedId).slice(0, 10);
  const recent = own.length ? own : (detail?.recent_events ?? []).slice(0, 10);
  const title = entity?.name ?? (detail?.data?.name as string) ?? selectedId;

  return (
    <aside className="details" data-testid="details" aria-label="Entity details">
      <header>
        <div>
          <div className="d-type">{entity?.type ?? detail?.type ?? 'entity'}</div>
          <h2>
            <span className={`dot st-${entity?.status ?? ''}`} /> {title}
          </h2>
          <div className="d-id">{selectedId}</div>
        </div>
        <button className="icon" onClick={() => onSelect(null)} aria-label="Close details" title="Close (Esc)">
          ×
        </button>
      </header>
      {!entity && <p className="muted">Not on the map at this time.</p>}
      {entity && (
        <table className="fields">
          <tbody>
            {fieldsOf(entity).map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td className={v === 'unknown' || v === 'none reported' || v === 'no calls' ? 'muted' : undefined}>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {entity && <EntityAlerts marks={(entity.ref as Record<string, unknown>).alerts} />}
      {allRels.map((r) => (
        <section key={r.label} data-testid="relation">
          <h3>
            {r.label} {r.ids.length > 1 && <span className="muted">{r.ids.length}</span>}
          </h3>
          <div className="links">
            {r.ids.slice(0, 24).map((id) => (
              <a key={id} href={`#sel=${encodeURIComponent(id)}`} onClick={(e) => (e.preventDefault(), onSelect(id))}>
                {names(id)}
              </a>
            ))}
            {r.ids.length > 24 && <span className="muted">+{r.ids.length - 24} more</span>}
          </div>
        </section>
      ))}
      <section>
        <h3>Recent events</h3>
        {recent.length === 0 && <p className="muted">{live ? 'None yet.' : 'None in this view.'}</p>}
        <ul className="d-events">
          {recent.map((e, i) => (
            <li key={(e.seq ?? '') + ':' + i}>
              <span className="ev-time">{new Date(e.timestamp).toLocaleTimeString()}</span>
              <span className="ev-type" style={{ color: eventColor(e.event_type) }}>
                {e.event_type}
              </span>
              <span className="ev-sum">{eventSummary(e)}</span>
            </li>
          ))}
        </ul>
      </section>
      {detail?.upstream != null && (
        <details>
          <summary>Upstream</summary>
          <pre>{JSON.stringify(detail.upstream, null, 2)}</pre>
        </details>
      )}
      <details>
        <summary>Raw JSON</summary>
        <pre>{JSON.stringify(detail ?? entity?.ref ?? null, null, 2)}</pre>
      </details>
      {err && !entity && <p className="muted">{err}</p>}
    </aside>
  );
}

/** The entity's firing alerts (its snapshot `alerts` list), most severe first. */
function EntityAlerts({ marks }: { marks: unknown }) {
  const list = (Array.isArray(marks) ? marks : []).filter((m): m is Record<string, any> => !!m && typeof m === 'object');
  list.sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  return (
    <section data-testid="details-alerts">
      <h3>
        Alerts {list.length > 0 && <span className="muted">{list.length}</span>}
      </h3>
      {list.length === 0 ? (
        <p className="muted">None firing.</p>
      ) : (
        <ul className="d-alerts">
          {list.map((m) => (
            <li key={String(m.id)}>
              <span className="sev-bar" style={{ background: severityColor(m.severity) }} />
              <div>
                <b style={{ color: severityColor(m.severity), textTransform: 'uppercase', fontSize: 11 }}>{String(m.severity)}</b> {String(m.message ?? m.rule ?? '')}
                <div className="muted">
                  {String(m.rule ?? '')} · since {ago(m.since)}
                  {m.acked ? ` · acknowledged${m.acked_by ? ' by ' + m.acked_by : ''}` : ''}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
