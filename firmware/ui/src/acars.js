// The ACARS panel: the `acars` topic's messages (over ACARS or VDL2), newest first, filtered
// by label, flight, registration or carrier ("VDL2"); a message linked to a tracked aircraft selects it (map and details). The
// details pane asks for the selected aircraft's own messages (`acars-snapshot {icao}`).
import { el, fmtTime } from './format.js';

const MAX_ITEMS = 500;

/// What a message shows: time, carrier (ACARS or VDL2), frequency, registration, flight,
/// label, text; for VDL2 the ground station.
export function acarsItem(m, { onSelect, compact = false } = {}) {
  const who = [m.registration, m.flight].filter(Boolean).join(' · ');
  const vdl2 = m.source === 'vdlm2';
  return el('li', { class: 'acars-item', 'data-id': m.id, 'data-icao': m.icao_hex || undefined, 'data-source': m.source },
    el('div', { class: 'event-head' },
      el('span', { class: 'acars-label', title: m.label_name || 'label' }, m.label),
      !compact && el('span', { class: 'acars-source', title: vdl2 ? 'ACARS over VDL Mode 2' : 'ACARS (AM-MSK)' }, vdl2 ? 'VDL2' : 'ACARS'),
      !compact && el('span', { class: 'kind' }, who || '—'),
      !compact && el('span', { class: 'muted' }, `${m.frequency.toFixed(3)} MHz`),
      el('time', {}, fmtTime(m.timestamp))),
    m.label_name && !compact && el('p', { class: 'muted acars-name' }, m.label_name),
    m.text && el('pre', { class: 'acars-text' }, m.text),
    m.position && el('p', { class: 'muted' }, `Position ${m.position.lat.toFixed(3)}, ${m.position.lon.toFixed(3)}`),
    !compact && m.ground_station && el('p', { class: 'muted' }, `Ground station ${m.ground_station}`),
    !compact && m.icao_hex && onSelect && el('button', {
      type: 'button', class: 'link', onclick: () => onSelect(m.icao_hex),
    }, `Show ${m.callsign || m.icao_hex.toUpperCase()}`));
}

export class AcarsPanel {
  constructor(conn, { onSelect, onMessage }) {
    this.onSelect = onSelect;
    this.onMessage = onMessage;
    this.messages = new Map(); // id → message, oldest first
    this.list = document.getElementById('acars');
    this.empty = document.getElementById('acars-empty');
    this.badge = document.getElementById('count-acars');
    this.filter = document.getElementById('acars-filter');
    this.filter.addEventListener('input', () => this.render());
    conn.on('acars:snapshot', (d) => {
      this.messages.clear();
      for (const m of [...((d && d.messages) || [])].reverse()) this.messages.set(m.id, m);
      this.render();
    });
    conn.on('acars:message', (m) => {
      if (!m || m.id === undefined || this.messages.has(m.id)) return;
      this.messages.set(m.id, m);
      if (this.messages.size > MAX_ITEMS) {
        const oldest = this.messages.keys().next().value;
        this.messages.delete(oldest);
        this.list.querySelector(`li[data-id="${oldest}"]`)?.remove();
      }
      // New messages go on top; the rest of the list stays as it is (no flicker, and a
      // button under the pointer stays where it is).
      if (this.matches(m)) this.list.prepend(acarsItem(m, { onSelect: this.onSelect }));
      this.counts();
      this.onMessage(m);
    });
  }

  matches(m) {
    const q = this.filter.value.trim().toUpperCase();
    if (!q) return true;
    const carrier = m.source === 'vdlm2' ? 'VDL2' : 'ACARS';
    return [m.label, m.flight, m.registration, m.callsign, carrier].some((v) => v && v.toUpperCase().includes(q));
  }

  render() {
    const shown = [...this.messages.values()].reverse().filter((m) => this.matches(m));
    this.list.replaceChildren(...shown.map((m) => acarsItem(m, { onSelect: this.onSelect })));
    this.counts();
  }

  counts() {
    this.empty.hidden = this.messages.size > 0;
    this.badge.textContent = this.messages.size ? String(this.messages.size) : '';
  }
}
