/**
 * Entry of the e2e page written to the original hook contract (compat.e2e.mjs builds it with Vite
 * and serves it from the mock service). Besides mounting the page it keeps a per-frame record for
 * the test: once the map has been drawn, every animation frame without the canvas, without listed
 * entities or with the error screen up counts as a blank frame.
 */
import { createRoot } from 'react-dom/client';
import { OriginalContractPage } from './OriginalContractPage';

interface CompatMonitor {
  frames: number;
  drawn: boolean;
  blankFrames: number;
  blankSamples: string[];
  statuses: string[];
}
const monitor: CompatMonitor = { frames: 0, drawn: false, blankFrames: 0, blankSamples: [], statuses: [] };
(window as unknown as { __compat: CompatMonitor }).__compat = monitor;

function tick(): void {
  monitor.frames++;
  const canvas = document.querySelector('[data-testid=canvas]');
  const listed = document.querySelectorAll('[data-testid=items] li').length;
  const error = document.querySelector('[data-testid=error]');
  const status = document.querySelector('[data-testid=status]')?.textContent ?? '';
  if (monitor.statuses[monitor.statuses.length - 1] !== status) monitor.statuses.push(status);
  const shown = !!canvas && listed > 0 && !error;
  if (shown) monitor.drawn = true;
  else if (monitor.drawn) {
    monitor.blankFrames++;
    if (monitor.blankSamples.length < 5) monitor.blankSamples.push(`status=${status} canvas=${!!canvas} listed=${listed} error=${error?.textContent ?? ''}`);
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);

createRoot(document.getElementById('root')!).render(<OriginalContractPage />);
