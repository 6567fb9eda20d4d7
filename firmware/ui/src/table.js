// The aircraft table: sortable columns (click or Enter on a header), a text filter, rows kept
// by key and updated in place at most twice a second, only the rows in view rendered, selection
// synced with the map, and keyboard navigation (arrows, Page Up/Down, Home/End move; Enter or
// Space selects; Escape clears).
import { fmtAlt, fmtNum, callsign, el } from './format.js';
import { categoryName } from './icons.js';

const COLUMNS = [
  { key: 'hex', label: 'Hex', get: (a) => a.hex, text: (a) => a.hex },
  { key: 'flight', label: 'Callsign', get: (a) => callsign(a), text: (a) => callsign(a) },
  { key: 'r', label: 'Reg', get: (a) => a.r || '', text: (a) => a.r || '', title: (a) => a.ownOp || '' },
  { key: 't', label: 'Type', get: (a) => a.t || '', text: (a) => a.t || '', title: (a) => a.desc || '' },
  { key: 'squawk', label: 'Squawk', get: (a) => a.squawk || '', text: (a) => a.squawk || '' },
  { key: 'alt_baro', label: 'Altitude', num: true, get: (a) => (a.alt_baro === 'ground' ? 0 : a.alt_baro), text: (a) => fmtAlt(a.alt_baro) },
  { key: 'gs', label: 'Speed', num: true, get: (a) => a.gs, text: (a) => fmtNum(a.gs, 0, 'kt') },
  { key: 'track', label: 'Track', num: true, get: (a) => a.track, text: (a) => fmtNum(a.track, 0, '°') },
  { key: 'baro_rate', label: 'V/S', num: true, get: (a) => a.baro_rate ?? a.geom_rate, text: (a) => fmtNum(a.baro_rate ?? a.geom_rate, 0) },
  { key: 'distance_nm', label: 'Dist', num: true, get: (a) => a.distance_nm, text: (a) => fmtNum(a.distance_nm, 1, 'NM') },
  { key: 'rssi', label: 'RSSI', num: true, get: (a) => a.rssi, text: (a) => fmtNum(a.rssi, 1) },
  { key: 'category', label: 'Cat', get: (a) => a.category || '', text: (a) => a.category || '', title: (a) => categoryName(a.category) },
  { key: 'messages', label: 'Msgs', num: true, get: (a) => a.messages, text: (a) => fmtNum(a.messages) },
];
const REFRESH_MS = 500;
const WINDOW_MARGIN = 8; // rows rendered beyond the view on each side

export class AircraftTable {
  constructor(table, filter, store, { onSelect }) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.wrap = table.parentElement;
    this.topSpacer = el('tr', { class: 'spacer', 'aria-hidden': 'true' });
    this.bottomSpacer = el('tr', { class: 'spacer', 'aria-hidden': 'true' });
    this.tbody.append(this.topSpacer, this.bottomSpacer);
    let scrollPending = false;
    this.wrap.addEventListener('scroll', () => {
      if (scrollPending) return;
      scrollPending = true;
      requestAnimationFrame(() => {
        scrollPending = false;
        this.renderWindow();
      });
    });
    this.store = store;
    this.onSelect = onSelect;
    this.rows = new Map(); // hex → <tr>, for the rows rendered now
    this.sortKey = 'distance_nm';
    this.sortDir = 1;
    this.filter = '';
    this.selected = null;
    this.lastRefresh = 0;
    this.timer = null;
    const tr = table.tHead.rows[0];
    this.headers = COLUMNS.map((c) => {
      const th = el('th', { scope: 'col', 'data-key': c.key, class: c.num ? 'num' : '' },
        el('button', { type: 'button', onclick: () => this.sortBy(c.key) }, c.label));
      tr.append(th);
      return th;
    });
    filter.addEventListener('input', () => {
      this.filter = filter.value.trim().toLowerCase();
      this.refresh();
    });
    this.tbody.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-hex]');
      if (row) this.onSelect(row.dataset.hex);
    });
    this.tbody.addEventListener('keydown', (e) => this.key(e));
    store.onChange(() => this.schedule());
    this.markSort();
  }

  sortBy(key) {
    this.sortDir = this.sortKey === key ? -this.sortDir : 1;
    this.sortKey = key;
    this.markSort();
    this.refresh();
  }

  markSort() {
    for (const th of this.headers) {
      const on = th.dataset.key === this.sortKey;
      if (on) th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  /// Refreshes now if the last refresh is old enough, else once the interval has passed.
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, wait);
  }

  matches(a) {
    if (!this.filter) return true;
    const f = this.filter;
    return a.hex.includes(f) || callsign(a).toLowerCase().includes(f) ||
      (a.squawk || '').includes(f) || (a.category || '').toLowerCase() === f ||
      (a.type || '').includes(f) || (a.r || '').toLowerCase().includes(f) ||
      (a.t || '').toLowerCase() === f || (a.ownOp || '').toLowerCase().includes(f);
  }

  refresh() {
    this.lastRefresh = performance.now();
    if (this.table.closest('[hidden]')) return; // refreshed when shown
    const col = COLUMNS.find((c) => c.key === this.sortKey);
    const list = [...this.store.aircraft.values()].filter((a) => this.matches(a));
    const dir = this.sortDir;
    list.sort((x, y) => {
      const ex = isEmergency(x);
      if (ex !== isEmergency(y)) return ex ? -1 : 1; // emergencies on top, whatever the sort
      const a = col.get(x);
      const b = col.get(y);
      const ma = a === undefined || a === '';
      const mb = b === undefined || b === '';
      if (ma || mb) return ma === mb ? x.hex.localeCompare(y.hex) : ma ? 1 : -1; // unknown last
      if (a < b) return -dir;
      if (a > b) return dir;
      return x.hex.localeCompare(y.hex);
    });
    this.list = list;
    this.index = new Map(list.map((a, i) => [a.hex, i]));
    this.table.setAttribute('aria-rowcount', String(list.length + 1));
    this.renderWindow();
  }

  /// Renders only the rows in (and just around) the scrolled view; spacer rows keep the
  /// scroll height right. 500 live rows cost the page its frame rate; 40 do not.
  renderWindow() {
    const list = this.list || [];
    const rowH = this.rowHeight || 24;
    const viewH = this.wrap.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.wrap.scrollTop / rowH) - WINDOW_MARGIN);
    const last = Math.min(list.length, Math.ceil((this.wrap.scrollTop + viewH) / rowH) + WINDOW_MARGIN);
    const shown = new Set();
    for (let i = first; i < last; i++) shown.add(list[i].hex);
    for (const [hex, row] of this.rows) {
      if (!shown.has(hex)) {
        row.remove();
        this.rows.delete(hex);
      }
    }
    this.topSpacer.style.height = `${first * rowH}px`;
    this.bottomSpacer.style.height = `${(list.length - last) * rowH}px`;
    let prev = this.topSpacer;
    for (let i = first; i < last; i++) {
      const a = list[i];
      let row = this.rows.get(a.hex);
      if (!row) {
        row = el('tr', { 'data-hex': a.hex, tabindex: '-1' }, COLUMNS.map((c) => el('td', { class: c.num ? 'num' : '' })));
        this.rows.set(a.hex, row);
      }
      row.setAttribute('aria-rowindex', String(i + 2));
      COLUMNS.forEach((c, j) => {
        const td = row.cells[j];
        const t = c.text(a);
        if (td.textContent !== t) td.textContent = t;
        if (c.title) td.title = c.title(a);
      });
      row.classList.toggle('emergency', isEmergency(a));
      row.classList.toggle('no-position', typeof a.lat !== 'number');
      const sel = a.hex === this.selected;
      row.classList.toggle('selected', sel);
      row.setAttribute('aria-selected', sel ? 'true' : 'false');
      // Move only rows that are out of place.
      if (prev.nextSibling !== row) this.tbody.insertBefore(row, prev.nextSibling);
      prev = row;
    }
    if (!this.rowHeight && prev !== this.topSpacer && prev.offsetHeight > 0) this.rowHeight = prev.offsetHeight;
    this.rovingFocus();
  }

  /// One row is in the tab order: the selected one, or the first shown.
  rovingFocus() {
    const target = (this.selected && this.rows.get(this.selected)) || this.topSpacer.nextSibling;
    for (const row of this.rows.values()) row.tabIndex = row === target ? 0 : -1;
  }

  /// Scrolls list entry `i` into view and renders; returns its row.
  reveal(i) {
    const rowH = this.rowHeight || 24;
    const head = this.table.tHead.offsetHeight;
    const top = i * rowH;
    if (top < this.wrap.scrollTop) this.wrap.scrollTop = top;
    else if (top + rowH + head > this.wrap.scrollTop + this.wrap.clientHeight) {
      this.wrap.scrollTop = top + rowH + head - this.wrap.clientHeight;
    }
    this.renderWindow();
    return this.rows.get(this.list[i].hex);
  }

  setSelected(hex) {
    this.selected = hex;
    for (const [h, row] of this.rows) {
      row.classList.toggle('selected', h === hex);
      row.setAttribute('aria-selected', h === hex ? 'true' : 'false');
    }
    const i = hex && this.index ? this.index.get(hex) : undefined;
    if (i !== undefined && !this.table.closest('[hidden]')) this.reveal(i);
    this.rovingFocus();
  }

  key(e) {
    const row = e.target.closest('tr[data-hex]');
    if (!row || !this.list) return;
    const i = this.index.get(row.dataset.hex);
    const pageRows = Math.max(1, Math.floor(this.wrap.clientHeight / (this.rowHeight || 24)) - 1);
    const moves = {
      ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + pageRows, PageUp: i - pageRows,
      Home: 0, End: this.list.length - 1,
    };
    if (e.key === 'Enter' || e.key === ' ') {
      this.onSelect(row.dataset.hex);
      e.preventDefault();
    } else if (e.key === 'Escape') {
      this.onSelect(null);
    } else if (e.key in moves) {
      e.preventDefault();
      const j = Math.max(0, Math.min(this.list.length - 1, moves[e.key]));
      const next = this.reveal(j);
      if (next) {
        row.tabIndex = -1;
        next.tabIndex = 0;
        next.focus({ preventScroll: true });
      }
    }
  }
}

function isEmergency(a) {
  return a.squawk === '7500' || a.squawk === '7600' || a.squawk === '7700';
}
