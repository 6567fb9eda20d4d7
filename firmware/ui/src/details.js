// The details panel for the selected aircraft: `aircraft-info` when it opens, then the live
// record from the delta stream; its recent positions (`aircraft-track`) become the map trail,
// and its recent ACARS messages (`acars-snapshot {icao}`, then the live ones) are listed.
import { fmtAlt, fmtNum, callsign, el } from './format.js';
import { categoryName } from './icons.js';
import { acarsItem } from './acars.js';

const ACARS_SHOWN = 10;

/// readsb's dbFlags bits, as words.
function dbFlagNames(v) {
  const names = [[1, 'military'], [2, 'interesting'], [4, 'PIA'], [8, 'LADD']];
  return names.filter(([bit]) => v & bit).map(([, n]) => n).join(', ');
}

const FIELDS = [
  ['hex', 'ICAO address'], ['flight', 'Callsign'], ['r', 'Registration'], ['t', 'Type'],
  ['desc', 'Aircraft'], ['ownOp', 'Owner / operator'], ['year', 'Built'],
  ['dbFlags', 'Flags', dbFlagNames], ['country', 'Country'],
  ['squawk', 'Squawk'], ['emergency', 'Emergency'],
  ['category', 'Category', (v) => `${v} ${categoryName(v)}`.trim()],
  ['type', 'Source'], ['alt_baro', 'Altitude (baro)', fmtAlt], ['alt_geom', 'Altitude (GNSS)', fmtAlt],
  ['gs', 'Ground speed', (v) => fmtNum(v, 0, 'kt')], ['ias', 'IAS', (v) => fmtNum(v, 0, 'kt')],
  ['tas', 'TAS', (v) => fmtNum(v, 0, 'kt')], ['mach', 'Mach', (v) => fmtNum(v, 3)],
  ['track', 'Track', (v) => fmtNum(v, 1, '°')], ['true_heading', 'True heading', (v) => fmtNum(v, 1, '°')],
  ['mag_heading', 'Magnetic heading', (v) => fmtNum(v, 1, '°')],
  ['baro_rate', 'Vertical rate (baro)', (v) => fmtNum(v, 0, 'ft/min')],
  ['geom_rate', 'Vertical rate (GNSS)', (v) => fmtNum(v, 0, 'ft/min')],
  ['nav_altitude_mcp', 'Selected altitude', fmtAlt], ['nav_heading', 'Selected heading', (v) => fmtNum(v, 1, '°')],
  ['nav_qnh', 'QNH', (v) => fmtNum(v, 1, 'hPa')], ['nav_modes', 'Autopilot modes', (v) => (Array.isArray(v) ? v.join(' ') : v)],
  ['lat', 'Latitude', (v) => fmtNum(v, 5)], ['lon', 'Longitude', (v) => fmtNum(v, 5)],
  ['distance_nm', 'Distance', (v) => fmtNum(v, 1, 'NM')], ['bearing', 'Bearing', (v) => fmtNum(v, 0, '°')],
  ['nic', 'NIC'], ['nac_p', 'NACp'], ['sil', 'SIL'], ['version', 'ADS-B version'],
  ['rssi', 'Signal', (v) => fmtNum(v, 1, 'dBFS')], ['messages', 'Messages'],
  ['seen', 'Last message', (v) => fmtNum(v, 1, 's ago')], ['seen_pos', 'Last position', (v) => fmtNum(v, 1, 's ago')],
];
const REFRESH_MS = 1000;

export class Details {
  constructor(conn, store, { onTrail, onClose }) {
    this.conn = conn;
    this.store = store;
    this.onTrail = onTrail;
    this.panel = document.getElementById('details');
    this.title = document.getElementById('details-title');
    this.body = document.getElementById('details-body');
    this.error = document.getElementById('details-error');
    this.acarsSection = document.getElementById('details-acars');
    this.acarsList = document.getElementById('details-acars-list');
    this.acars = [];
    this.hex = null;
    this.info = {};
    document.getElementById('details-close').addEventListener('click', () => onClose());
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') onClose();
    });
    setInterval(() => this.hex && this.render(), REFRESH_MS);
  }

  async open(hex) {
    this.hex = hex;
    this.info = {};
    this.acars = [];
    this.renderAcars();
    this.panel.hidden = !hex;
    if (!hex) return;
    this.showError('');
    this.render();
    try {
      const [info, track, acars] = await Promise.all([
        this.conn.request('aircraft-info', { icao: hex }),
        this.conn.request('aircraft-track', { icao: hex }).catch(() => null),
        this.conn.request('acars-snapshot', { icao: hex, limit: ACARS_SHOWN }).catch(() => null),
      ]);
      if (this.hex !== hex) return;
      this.info = info || {};
      for (const m of (acars && acars.messages) || []) {
        if (!this.acars.some((x) => x.id === m.id)) this.acars.push(m);
      }
      this.acars.sort((a, b) => b.id - a.id);
      this.renderAcars();
      const positions = (track && track.positions) || [];
      this.onTrail(hex, positions.map((p) => [p.lat, p.lon]));
      this.render();
    } catch (e) {
      if (this.hex === hex) this.showError(e.message);
    }
  }

  /// A live ACARS message: listed if it is the selected aircraft's.
  acarsMessage(m) {
    if (!this.hex || m.icao_hex !== this.hex || this.acars.some((x) => x.id === m.id)) return;
    this.acars.unshift(m);
    this.acars.length = Math.min(this.acars.length, ACARS_SHOWN);
    this.renderAcars();
  }

  renderAcars() {
    this.acarsSection.hidden = this.acars.length === 0;
    this.acarsList.replaceChildren(...this.acars.map((m) => acarsItem(m, { compact: true })));
  }

  showError(msg) {
    this.error.textContent = msg;
    this.error.hidden = !msg;
  }

  render() {
    const live = this.store.aircraft.get(this.hex);
    const a = { ...this.info, ...(live || {}) };
    this.title.textContent = callsign(a) || this.hex.toUpperCase();
    if (!live && !this.error.hidden) return;
    if (!live) this.showError('no longer received');
    const rows = [];
    for (const [key, label, fmt] of FIELDS) {
      const v = a[key];
      if (v === undefined || v === null || v === '') continue;
      const text = fmt ? fmt(v) : String(v);
      if (text === '') continue;
      rows.push(el('dt', {}, label), el('dd', { 'data-field': key }, text));
    }
    this.body.replaceChildren(...rows);
  }
}
