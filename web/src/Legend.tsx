import { forwardRef } from 'react';
import type { LayerName } from '@daarion/living-map-client';
import { LOAD_COLORS, PLANET, STATUS } from './map/colors';
import { SEVERITY_COLORS } from './alerts';

const Swatch = ({ c, round }: { c: string; round?: boolean }) => <span className="sw" style={{ background: c, borderRadius: round ? '50%' : 3 }} />;

export const Legend = forwardRef<HTMLDivElement, { layer: LayerName }>(function Legend({ layer }, ref) {
  const load = (
    <div className="load-bar">
      <span style={{ background: `linear-gradient(90deg, ${LOAD_COLORS.join(',')})` }} />
      <small>0%</small>
      <small>load</small>
      <small>100%</small>
    </div>
  );
  return (
    <div className="legend" data-testid="legend" ref={ref}>
      {layer === 'city' && (
        <>
          <h4>City · microDAO districts</h4>
          <div><Swatch c={STATUS.active} /> active <Swatch c={STATUS.warning} /> warning <Swatch c={STATUS.inactive} /> inactive</div>
          <div className="muted">size = members</div>
        </>
      )}
      {layer === 'space' && (
        <>
          <h4>Space · DAO planets</h4>
          <div><Swatch c={PLANET.platform[0]} round /> platform <Swatch c={PLANET.dao[0]} round /> DAO</div>
          <div className="muted">nodes on orbits, coloured by load; size = treasury</div>
          {load}
        </>
      )}
      {layer === 'nodes' && (
        <>
          <h4>Nodes · compute</h4>
          {load}
          <div><Swatch c={STATUS.offline} /> offline · bars: CPU, GPU</div>
        </>
      )}
      {layer === 'agents' && (
        <>
          <h4>Agents · by microDAO</h4>
          <div><Swatch c={STATUS.online} round /> online <Swatch c={STATUS.busy} round /> busy <Swatch c={STATUS.idle} round /> idle <Swatch c={STATUS.offline} round /> offline</div>
          <div className="muted">size = tokens (24 h)</div>
        </>
      )}
      <div data-testid="legend-alerts">
        <span className="muted">alerts:</span> <Swatch c={SEVERITY_COLORS.critical} round /> critical <Swatch c={SEVERITY_COLORS.warning} round /> warning <Swatch c={SEVERITY_COLORS.info} round /> info
      </div>
      <div className="muted" data-testid="legend-rings">
        <span className="ring-sw" /> ring: a live event on it just now
      </div>
    </div>
  );
});
