// The airspace panel: FIS-B reports (NOTAMs, TFRs, AIRMETs, SIGMETs, SUA…) from the
// `airspace` topic, listed by kind, with their shapes on the map (TFRs red, advisories amber,
// NOTAMs blue). Points are small circles; circles are drawn at their radius.
import L from 'leaflet';
import { el } from './format.js';

const COLOURS = { tfr: '#ff5252', notam: '#4fc3f7', sua: '#ba68c8' };
const NM = 1852;

export class AirspacePanel {
  constructor(conn, skymap) {
    this.map = skymap.map;
    this.items = new Map();
    this.layer = L.layerGroup().addTo(this.map);
    this.list = document.getElementById('airspace');
    this.empty = document.getElementById('airspace-empty');
    this.badge = document.getElementById('count-airspace');
    const toggle = document.getElementById('airspace-shapes');
    toggle.addEventListener('change', () => {
      if (toggle.checked) this.layer.addTo(this.map);
      else this.layer.remove();
    });
    conn.on('airspace:snapshot', (d) => {
      this.items.clear();
      for (const g of ['tfrs', 'notams', 'advisories']) for (const i of (d && d[g]) || []) this.items.set(i.id, i);
      this.render();
    });
    const upsert = (i) => {
      if (i && i.id) {
        this.items.set(i.id, i);
        this.render();
      }
    };
    conn.on('notam:new', upsert);
    conn.on('notam:tfr_new', upsert);
    conn.on('airspace:update', upsert);
    conn.on('notam:expired', (d) => {
      if (d && this.items.delete(d.id)) this.render();
    });
  }

  render() {
    const order = { tfr: 0, notam: 1 };
    const items = [...this.items.values()].sort((a, b) =>
      (order[a.kind] ?? 2) - (order[b.kind] ?? 2) || a.id.localeCompare(b.id));
    this.list.replaceChildren(...items.map((i) => el('li', { class: `airspace-item ${i.kind}`, 'data-id': i.id },
      el('div', { class: 'event-head' },
        el('span', { class: 'sev' }, i.kind.replaceAll('_', ' ')),
        el('span', { class: 'kind' }, i.location || `report ${i.report_number}`),
        i.shapes.length > 0 && el('button', { type: 'button', class: 'link', onclick: () => this.zoomTo(i) }, 'Show on map')),
      i.text && el('p', { class: 'airspace-text' }, i.text))));
    this.empty.hidden = items.length > 0;
    this.badge.textContent = items.length ? String(items.length) : '';
    this.layer.clearLayers();
    for (const i of items) for (const s of i.shapes) {
      const layer = shapeLayer(s, COLOURS[i.kind] || '#ffb74d');
      if (layer) this.layer.addLayer(layer.bindTooltip(`${i.kind.replaceAll('_', ' ')} ${i.location}`));
    }
  }

  zoomTo(item) {
    const group = L.featureGroup(item.shapes.map((s) => shapeLayer(s, '#fff')).filter(Boolean));
    const bounds = group.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds.pad(0.5), { maxZoom: 11 });
  }
}

/// A Leaflet layer for one shape of the API (see docs/api.md, "Airspace").
function shapeLayer(s, colour) {
  const style = { color: colour, weight: 2, fillOpacity: 0.15, interactive: true };
  const ll = (v) => [v.lat, v.lon];
  switch (s.type) {
    case 'polygon': return L.polygon(s.vertices.map(ll), style);
    case 'polyline': return L.polyline(s.vertices.map(ll), style);
    case 'point': return L.circleMarker(ll(s.vertex), { ...style, radius: 6 });
    case 'circle': return L.circle([s.lat, s.lon], { ...style, radius: s.radius_nm * NM });
    default: return null;
  }
}
