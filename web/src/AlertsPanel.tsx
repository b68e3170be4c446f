import { useEffect, useMemo, useState } from 'react';
import type { Alert, LivingMapClient } from '@daarion/living-map-client';
import { ago, countBySeverity, displayState, SEVERITIES, severityColor, visibleAlerts } from './alerts';

interface Props {
  alerts: readonly Alert[];
  /** null while loading; a message when the list could not be fetched */
  loadError: string | null;
  hidden: ReadonlySet<string>;
  setHidden(s: Set<string>): void;
  client: LivingMapClient;
  names: (id: string) => string;
  onSelect(id: string): void;
  onClose(): void;
  onAcked(a: Alert): void;
}

/** The alerts panel (issue 9): current alerts by severity, a severity filter, acknowledgement. */
export function AlertsPanel({ alerts, loadError, hidden, setHidden, client, names, onSelect, onClose, onAcked }: Props) {
  const list = useMemo(() => visibleAlerts(alerts, hidden), [alerts, hidden]);
  const counts = useMemo(() => countBySeverity(alerts), [alerts]);
  const [busy, setBusy] = useState<string | null>(null);
  const [ackError, setAckError] = useState<{ id: string; msg: string } | null>(null);
  // "since" ages tick without new data
  const [, tick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => tick((n) => n + 1), 10000);
    return () => clearInterval(id);
  }, []);

  const toggle = (s: string) => {
    const n = new Set(hidden);
    if (n.has(s)) n.delete(s);
    else n.add(s);
    setHidden(n);
  };
  const ack = async (a: Alert) => {
    setBusy(a.id);
    setAckError(null);
    try {
      onAcked(await client.ackAlert(a.id, { by: 'living-map-ui' }));
    } catch (e) {
      const st = (e as { status?: number }).status;
      const msg = st === 401 || st === 403 ? 'Not allowed: acknowledging needs an admin login.' : st === 404 ? 'This alert is gone.' : `Could not acknowledge: ${(e as Error).message}`;
      setAckError({ id: a.id, msg });
    } finally {
      setBusy(null);
    }
  };

  return (
    <aside className="alerts-panel" data-testid="alerts-panel" aria-label="Alerts">
      <header>
        <h2>Alerts</h2>
        <button className="icon" onClick={onClose} aria-label="Close alerts" title="Close (A)">
          ×
        </button>
      </header>
      <div className="sev-filter" role="group" aria-label="Filter by severity">
        {SEVERITIES.map((s) => (
          <label key={s} className={`chip sev ${hidden.has(s) ? 'off' : ''}`} style={{ ['--c' as string]: severityColor(s) }} data-testid={`sev-${s}`}>
            <input type="checkbox" checked={!hidden.has(s)} onChange={() => toggle(s)} />
            {s} <b>{counts[s] ?? 0}</b>
          </label>
        ))}
      </div>
      {loadError && <p className="muted small-print">Alert list unavailable: {loadError}</p>}
      <ul className="alert-list">
        {list.length === 0 && <li className="muted empty">{alerts.some((a) => a.state === 'firing' || a.state === 'pending') ? 'All alerts hidden by the filter.' : 'No alerts firing.'}</li>}
        {list.map((a) => {
          const st = displayState(a);
          const ent = a.entity_id ?? null;
          return (
            <li key={a.id} className={`alert-row st-${st}`} data-testid="alert-row" data-alert-id={a.id} data-severity={a.severity}>
              <span className="sev-bar" style={{ background: severityColor(a.severity) }} />
              <div>
                <div className="a-head">
                  <span className="a-sev" style={{ color: severityColor(a.severity) }}>
                    {a.severity}
                  </span>
                  {ent ? (
                    <a href={`#sel=${encodeURIComponent(ent)}`} onClick={(e) => (e.preventDefault(), onSelect(ent))} title={ent}>
                      {names(ent)}
                    </a>
                  ) : (
                    <span>{a.source ? `source ${a.source}` : a.key}</span>
                  )}
                  <span className="a-since" title={a.since ?? ''}>
                    {ago(a.since)}
                  </span>
                </div>
                <div className="a-msg">{a.message || a.rule}</div>
                <div className="a-foot">
                  <span className={`a-state s-${st}`}>{st}</span>
                  <span className="muted">{a.rule}</span>
                  {st === 'firing' && (
                    <button className="small" disabled={busy === a.id} onClick={() => ack(a)} data-testid="ack">
                      {busy === a.id ? '…' : 'Acknowledge'}
                    </button>
                  )}
                  {a.acked && a.acked_by && <span className="muted">by {a.acked_by}</span>}
                </div>
                {ackError?.id === a.id && (
                  <div className="a-err" role="alert">
                    {ackError.msg}
                  </div>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
