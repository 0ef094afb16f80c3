import './style.css';
import { auditView } from './audit-view.js';
import { calibrationView } from './calibration-view.js';
import { driftView } from './drift-view.js';

type ViewName = 'audit' | 'calibration' | 'drift';
const NAMES: readonly ViewName[] = ['audit', 'calibration', 'drift'];

const panels = Object.fromEntries(NAMES.map((n) => [n, document.getElementById(`view-${n}`) as HTMLElement])) as Record<ViewName, HTMLElement>;
const views = {
  audit: auditView(panels.audit),
  calibration: calibrationView(panels.calibration),
  drift: driftView(panels.drift),
};

function current(): ViewName {
  const name = location.hash.replace(/^#/, '');
  return (NAMES as readonly string[]).includes(name) ? (name as ViewName) : 'audit';
}

function show(): void {
  const name = current();
  for (const n of NAMES) {
    panels[n].hidden = n !== name;
    const tab = document.getElementById(`tab-${n}`);
    tab?.setAttribute('aria-selected', String(n === name));
    tab?.classList.toggle('active', n === name);
  }
  if (name !== 'drift') views.drift.stop();
  views[name].refresh();
  document.title = `glassbox · ${name}`;
}

window.addEventListener('hashchange', show);
show();
