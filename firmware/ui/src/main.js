// SkySpy Edge web UI: wires the connection, the aircraft store and the panels together.
import 'leaflet/dist/leaflet.css';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Connection } from './connection.js';
import { AircraftStore } from './store.js';
import { SkyMap } from './map.js';
import { AircraftTable } from './table.js';
import { Details } from './details.js';
import { Feed } from './feed.js';
import { RuleEditor } from './rules.js';
import { StatsPanel } from './stats.js';
import { AirspacePanel } from './airspace.js';
import { AcarsPanel } from './acars.js';
import { AudioPanel } from './audio.js';

const conn = new Connection({ token: localStorage.getItem('skyspy.token') || '' });
const store = new AircraftStore(conn);

let selected = null;
function select(hex) {
  selected = hex || null;
  skymap.select(selected, []);
  table.setSelected(selected);
  details.open(selected);
  if (selected) skymap.reveal(selected);
}

const skymap = new SkyMap(document.getElementById('map'), store, { onSelect: select });
const table = new AircraftTable(document.getElementById('aircraft-table'), document.getElementById('filter'), store, { onSelect: select });
const details = new Details(conn, store, {
  onTrail: (hex, trail) => hex === selected && skymap.select(hex, trail),
  onClose: () => select(null),
});
new Feed(conn, { onSelect: select });
const rules = new RuleEditor(conn);
new StatsPanel(conn, { onOutline: (o) => skymap.setRangeOutline(o) });
new AirspacePanel(conn, skymap);
new AcarsPanel(conn, { onSelect: select, onMessage: (m) => details.acarsMessage(m) });
const audio = new AudioPanel(conn);

const about = document.getElementById('about');
document.getElementById('about-open').addEventListener('click', () => about.showModal());

// Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs).
const tabs = [...document.querySelectorAll('[role="tab"]')];
function showTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (tab.id === 'tab-aircraft') table.refresh();
  if (tab.id === 'tab-rules') rules.load();
  if (tab.id === 'tab-audio') audio.show();
  window.dispatchEvent(new Event('resize'));
}
for (const t of tabs) {
  t.addEventListener('click', () => showTab(t));
  t.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(t);
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
    if (next) {
      next.focus();
      showTab(next);
    }
  });
}

// Connection state in the header; on every (re)connect: topics, receiver, rules.
const connEl = document.getElementById('conn');
const tokenForm = document.getElementById('token-form');
conn.onState((state, detail) => {
  connEl.dataset.state = state;
  document.body.dataset.conn = state; // a stale picture is dimmed until the snapshot is back
  connEl.textContent = {
    connected: 'live',
    reconnecting: `reconnecting… ${detail ? `(${detail})` : ''}`,
    unauthorized: 'token needed',
  }[state] || state;
  tokenForm.hidden = state !== 'unauthorized';
  if (state !== 'connected') return;
  conn.emit('subscribe', { topics: ['safety', 'alerts', 'airspace', 'acars'] });
  conn.request('receiver-info').then((r) => skymap.setReceiver(r.lat, r.lon)).catch((e) => console.warn(e.message));
  if (!document.getElementById('panel-rules').hidden) rules.load();
});
tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = document.getElementById('token').value;
  localStorage.setItem('skyspy.token', token);
  conn.reconnectWithToken(token);
});

// Header summary, a few times a second at most.
const summary = document.getElementById('summary');
const countBadge = document.getElementById('count-aircraft');
setInterval(() => {
  let withPos = 0;
  for (const a of store.aircraft.values()) if (typeof a.lat === 'number') withPos += 1;
  const n = store.aircraft.size;
  summary.textContent = `${n} aircraft · ${withPos} on map`;
  countBadge.textContent = String(n);
}, 500);

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && selected && !e.defaultPrevented) select(null);
});

// For tests and the curious: the live state, read-only by convention.
window.skyspy = { conn, store, map: skymap, audio, select: (hex) => select(hex) };
window.__skyspyAudio = audio.debug; // live chunks received, AudioContexts made
