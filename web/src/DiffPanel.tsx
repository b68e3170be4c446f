import { useEffect, useState } from 'react';
import { countOf, DIFF_COLORS, heldEntries, short, type Diff, type DiffRange } from './diff';

interface Props {
  range: DiffRange | null;
  diff: Diff | null;
  loading: boolean;
  error: string | null;
  /** the instant the timeline shows (time travel), offered as one end of the range */
  timelineTime: string | null;
  names: (id: string) => string;
  onRange(r: DiffRange): void;
  onSelect(id: string): void;
  onClose(): void;
}

const PRESETS: [string, number][] = [
  ['Last 5 min', 5],
  ['Last 15 min', 15],
  ['Last hour', 60],
];

/** ISO → the value of a datetime-local input (local time, seconds) and back */
const toLocal = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};
const fromLocal = (v: string) => (v && Number.isFinite(Date.parse(v)) ? new Date(v).toISOString() : null);

/** "What changed" between two instants: counts, then added, removed and changed entities. */
export function DiffPanel({ range, diff, loading, error, timelineTime, names, onRange, onSelect, onClose }: Props) {
  const [from, setFrom] = useState(range ? toLocal(range.from) : '');
  const [to, setTo] = useState(range ? toLocal(range.to) : '');
  useEffect(() => {
    if (range) {
      setFrom(toLocal(range.from));
      setTo(toLocal(range.to));
    }
  }, [range]);
  const preset = (min: number) => {
    const now = Date.now();
    onRange({ from: new Date(now - min * 60e3).toISOString(), to: new Date(now).toISOString() });
  };
  const apply = () => {
    const f = fromLocal(from), t = fromLocal(to);
    if (f && t) onRange(Date.parse(f) <= Date.parse(t) ? { from: f, to: t } : { from: t, to: f });
  };
  const link = (id: string) => (
    <a href={`#sel=${encodeURIComponent(id)}`} onClick={(e) => (e.preventDefault(), onSelect(id))} title={id}>
      {names(id)}
    </a>
  );
  return (
    <aside className="diff-panel" data-testid="diff-panel" aria-label="What changed">
      <header>
        <h2>What changed</h2>
        <button className="icon" onClick={onClose} aria-label="Close what changed">
          ×
        </button>
      </header>
      <div className="diff-range">
        <div className="presets">
          {PRESETS.map(([label, min]) => (
            <button key={min} className="small" onClick={() => preset(min)} data-testid={`diff-last-${min}`}>
              {label}
            </button>
          ))}
        </div>
        <label>
          from <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} data-testid="diff-from" />
        </label>
        <label>
          to <input type="datetime-local" step={1} value={to} onChange={(e) => setTo(e.target.value)} data-testid="diff-to" />
        </label>
        <div className="presets">
          {timelineTime && (
            <>
              <button className="small" onClick={() => setFrom(toLocal(timelineTime))} title="The instant the timeline shows">
                from = timeline
              </button>
              <button className="small" onClick={() => setTo(toLocal(timelineTime))} title="The instant the timeline shows">
                to = timeline
              </button>
            </>
          )}
          <button className="small" onClick={() => setTo(toLocal(new Date().toISOString()))}>
            to = now
          </button>
          <button className="small primary" onClick={apply} data-testid="diff-apply">
            Compare
          </button>
        </div>
      </div>
      {loading && !diff && <p className="muted small-print">Comparing…</p>}
      {error && (
        <p className="a-err small-print" role="alert" data-testid="diff-error">
          {error}
        </p>
      )}
      {diff && (!loading || !diff.complete) && (
        <div className="diff-body">
          <div className="diff-counts" data-testid="diff-counts">
            <span style={{ color: DIFF_COLORS.added }}>+{countOf(diff, 'added').toLocaleString()} added</span>
            <span style={{ color: DIFF_COLORS.removed }}>−{countOf(diff, 'removed').toLocaleString()} removed</span>
            <span style={{ color: DIFF_COLORS.changed }}>~{countOf(diff, 'changed').toLocaleString()} changed</span>
          </div>
          {heldEntries(diff) === 0 && <p className="muted small-print">Nothing changed.</p>}
          <ul className="diff-list">
            {diff.added.slice(0, 200).map((e) => (
              <li key={'a' + e.id} data-testid="diff-row" data-kind="added">
                <span className="k" style={{ color: DIFF_COLORS.added }}>+</span> {link(e.id)} <span className="muted">{e.type ?? ''}</span>
              </li>
            ))}
            {diff.removed.slice(0, 200).map((e) => (
              <li key={'r' + e.id} data-testid="diff-row" data-kind="removed">
                <span className="k" style={{ color: DIFF_COLORS.removed }}>−</span> <span title={e.id}>{String(e.name ?? e.id)}</span> <span className="muted">{e.type ?? ''}</span>
              </li>
            ))}
            {diff.changed.slice(0, 300).map((c) => {
              const f = Object.entries(c.fields);
              return (
                <li key={'c' + c.id} data-testid="diff-row" data-kind="changed">
                  <span className="k" style={{ color: DIFF_COLORS.changed }}>~</span> {link(c.id)}
                  <div className="diff-fields">
                    {f.slice(0, 4).map(([path, v]) => (
                      <span key={path}>
                        {path}: {short(v?.from)} → {short(v?.to)}
                      </span>
                    ))}
                    {f.length > 4 && <span className="muted">+{f.length - 4} more</span>}
                  </div>
                </li>
              );
            })}
          </ul>
          <DiffCoverage diff={diff} loading={loading} />
        </div>
      )}
    </aside>
  );
}

/** What the list and the map cover of the whole diff, said plainly. */
function DiffCoverage({ diff, loading }: { diff: Diff; loading: boolean }) {
  const held = heldEntries(diff);
  const listed = Math.min(diff.added.length, 200) + Math.min(diff.removed.length, 200) + Math.min(diff.changed.length, 300);
  const total = diff.total.toLocaleString();
  if (!diff.complete) {
    return (
      <p className="muted small-print" data-testid="diff-coverage">
        {loading ? `Loading… the map marks ${held.toLocaleString()} of ${total} so far.` : `The map marks the first ${held.toLocaleString()} of ${total}.`}
      </p>
    );
  }
  if (listed >= held) return null;
  return (
    <p className="muted small-print" data-testid="diff-coverage">
      {`The first entries of each kind are listed; the map marks all ${total}.`}
    </p>
  );
}
