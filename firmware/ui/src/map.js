// The map: Leaflet with a built-in vector basemap (Natural Earth 1:50m land and borders),
// OpenStreetMap tiles as an opt-in layer, the receiver, its measured range outline, and every
// aircraft drawn on one canvas (rotated symbol by category, coloured by altitude, label, short
// trail; the selected aircraft's trail comes from `aircraft-track`). Between updates each
// aircraft moves on by dead reckoning (ground speed along track, at most 5 s), so motion is
// smooth at the browser's frame rate instead of jumping twice a second. The aircraft canvas is
// redrawn when the picture, the view or the selection changed, or when dead reckoning has moved
// the fastest drawn aircraft by a quarter of a pixel: zoomed in that is every frame, zoomed out
// (where an airliner crosses a pixel in seconds) it is the picture's update rate, and the
// browser's frames stay free for panning.
import L from 'leaflet';
import { feature, mesh } from 'topojson-client';
import { symbolFor, altitudeColour } from './icons.js';
import { hasPos } from './store.js';
import { callsign } from './format.js';

const NM = 1852;
const MAX_EXTRAPOLATE_MS = 5000;
const HIT_RADIUS_PX = 16;
const LABEL_LIMIT = 250; // more aircraft than this in view: labels only for the selected one
const MIN_STEP_PX = 0.25; // dead-reckoned motion smaller than this waits for a later frame
const EMERGENCY_SQUAWKS = new Set(['7500', '7600', '7700']);

export class SkyMap {
  constructor(element, store, { onSelect }) {
    this.store = store;
    this.onSelect = onSelect;
    this.selected = null;
    this.selectedTrail = [];
    this.map = L.map(element, {
      zoomAnimation: false, // the aircraft canvas is redrawn per frame instead
      preferCanvas: true,
      worldCopyJump: true,
      attributionControl: true,
    }).setView([0, 0], 2);
    this.map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    this.renderer = L.canvas({ padding: 0.2 });
    this.offline = L.layerGroup();
    this.online = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 18,
      attribution: '© OpenStreetMap contributors',
    });
    const base = localStorage.getItem('skyspy.basemap') === 'online' ? this.online : this.offline;
    base.addTo(this.map);
    L.control
      .layers({ 'Built-in map (offline)': this.offline, 'OpenStreetMap (needs internet)': this.online })
      .addTo(this.map);
    this.map.on('baselayerchange', (e) => {
      localStorage.setItem('skyspy.basemap', e.layer === this.online ? 'online' : 'offline');
    });
    L.control.scale({ imperial: true, metric: true }).addTo(this.map);
    this.loadBasemap();

    this.canvas = L.DomUtil.create('canvas', 'aircraft-layer', element);
    this.ctx = this.canvas.getContext('2d');
    this.resize();
    this.map.on('resize', () => this.resize());
    this.map.on('click', (e) => this.pick(e.containerPoint));
    this.frames = 0;
    this.draws = 0;
    this.dirty = true;
    this.drawnAt = 0;
    this.pxPerMs = 0; // the fastest drawn aircraft's dead-reckoned speed on screen
    this.trailPx = new WeakMap(); // aircraft record → its trail projected at one zoom
    store.onChange(() => this.invalidate());
    this.map.on('move zoom viewreset resize', () => this.invalidate());
    const loop = (now) => {
      this.frames += 1;
      if (this.dirty || (now - this.drawnAt) * this.pxPerMs >= MIN_STEP_PX) this.draw();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  async loadBasemap() {
    try {
      const topo = await (await fetch('basemap.json')).json();
      const land = feature(topo, topo.objects.land);
      const borders = mesh(topo, topo.objects.countries, (a, b) => a !== b);
      L.geoJSON(land, {
        renderer: this.renderer,
        interactive: false,
        style: { stroke: true, color: '#5b7083', weight: 1, fill: true, fillColor: '#1f2b37', fillOpacity: 1 },
      }).addTo(this.offline);
      L.geoJSON(borders, {
        renderer: this.renderer,
        interactive: false,
        style: { color: '#44576a', weight: 1, dashArray: '4 3' },
      }).addTo(this.offline);
      this.map.attributionControl.addAttribution('Natural Earth');
    } catch (e) {
      console.error('basemap', e);
    }
  }

  setReceiver(lat, lon) {
    if (typeof lat !== 'number' || typeof lon !== 'number') return;
    this.receiver = L.latLng(lat, lon);
    if (this.receiverMarker) this.receiverMarker.remove();
    this.receiverMarker = L.layerGroup([
      L.circleMarker(this.receiver, {
        renderer: this.renderer, radius: 5, color: '#fff', weight: 2, fillColor: '#e33', fillOpacity: 1,
      }).bindTooltip('Receiver'),
      ...[50, 100, 150].map((nm) =>
        L.circle(this.receiver, {
          renderer: this.renderer, radius: nm * NM, color: '#8aa', weight: 0.7, fill: false, interactive: false,
        })),
    ]).addTo(this.map);
    this.setRangeOutline(this.outlineNm);
    if (!this.viewSet) {
      this.viewSet = true;
      this.map.fitBounds(this.receiver.toBounds(2 * 120 * NM));
    }
  }

  /// The measured range: farthest position per 10° sector, as a polygon around the receiver.
  setRangeOutline(outlineNm) {
    this.outlineNm = outlineNm;
    if (!this.receiver || !Array.isArray(outlineNm) || outlineNm.length === 0) return;
    const step = 360 / outlineNm.length;
    const pts = [];
    outlineNm.forEach((nm, i) => {
      if (nm > 0) pts.push(destination(this.receiver, (i + 0.5) * step, nm));
    });
    if (this.outline) this.outline.remove();
    if (pts.length < 3) return;
    this.outline = L.polygon(pts, {
      renderer: this.renderer, color: '#4fc3f7', weight: 1.5, dashArray: '6 4', fillOpacity: 0.04, interactive: false,
    }).addTo(this.map);
  }

  select(hex, trail) {
    this.selected = hex;
    this.selectedTrail = trail || [];
    this.invalidate();
  }

  /// Asks for a redraw at the next frame.
  invalidate() {
    this.dirty = true;
  }

  /// Pans to the aircraft if it is outside the view.
  reveal(hex) {
    const a = this.store.aircraft.get(hex);
    if (a && hasPos(a) && !this.map.getBounds().contains([a.lat, a.lon])) this.map.panTo([a.lat, a.lon]);
  }

  resize() {
    const size = this.map.getSize();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(size.x * dpr);
    this.canvas.height = Math.round(size.y * dpr);
    this.canvas.style.width = `${size.x}px`;
    this.canvas.style.height = `${size.y}px`;
    this.dpr = dpr;
    this.invalidate();
  }

  /// Where an aircraft is drawn now, in projected pixels at `zoom`: its last position moved on
  /// by ground speed along track. Also returns its speed on screen (pixels per ms) while dead
  /// reckoning moves it, 0 once it stops.
  drawPos(a, now, zoom) {
    let { lat, lon } = a;
    let pxPerMs = 0;
    const age = now - a._posAt;
    const dt = Math.min(age, MAX_EXTRAPOLATE_MS) / 1000;
    if (dt > 0 && typeof a.gs === 'number' && typeof a.track === 'number' && a.alt_baro !== 'ground') {
      const d = (a.gs * dt) / 3600; // NM
      const t = (a.track * Math.PI) / 180;
      lat += (d * Math.cos(t)) / 60;
      lon += (d * Math.sin(t)) / (60 * Math.cos((lat * Math.PI) / 180));
      if (age < MAX_EXTRAPOLATE_MS) {
        // Web Mercator: 256·2^zoom pixels per 360°, a NM is an arc minute, scaled by 1/cos(lat).
        const pxPerNm = (256 * 2 ** zoom) / (360 * 60) / Math.cos((lat * Math.PI) / 180);
        pxPerMs = (a.gs / 3600000) * pxPerNm;
      }
    }
    return [this.map.project([lat, lon], zoom), pxPerMs];
  }

  /// The aircraft's trail in projected pixels at `zoom`, recomputed only when the trail or the
  /// zoom changed.
  trailAt(a, zoom) {
    const trail = a._trail;
    const last = trail[trail.length - 1];
    let c = this.trailPx.get(a);
    if (!c || c.zoom !== zoom || c.first !== trail[0] || c.last !== last || c.n !== trail.length) {
      c = { zoom, first: trail[0], last, n: trail.length, pts: trail.map(([lat, lon]) => this.map.project([lat, lon], zoom)) };
      this.trailPx.set(a, c);
    }
    return c.pts;
  }

  draw() {
    const { ctx, dpr } = this;
    const size = this.map.getSize();
    const zoom = this.map.getZoom();
    const origin = this.map.getPixelBounds().min; // projected pixel of the container's top left
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    const now = performance.now();
    this.dirty = false;
    this.drawnAt = now;
    this.draws += 1;
    let fastest = 0;
    const visible = [];
    for (const a of this.store.aircraft.values()) {
      if (!hasPos(a)) continue;
      const [q, pxPerMs] = this.drawPos(a, now, zoom);
      const p = q.subtract(origin);
      if (p.x < -50 || p.y < -50 || p.x > size.x + 50 || p.y > size.y + 50) continue;
      visible.push([a, p]);
      if (pxPerMs > fastest) fastest = pxPerMs;
    }
    this.visible = visible;
    this.pxPerMs = fastest;
    // Trails first, under every symbol: one path per colour.
    const trails = new Map();
    for (const [a, p] of visible) {
      if (a._trail.length < 2) continue;
      const colour = altitudeColour(a.alt_baro);
      let path = trails.get(colour);
      if (!path) trails.set(colour, (path = new Path2D()));
      this.trailAt(a, zoom).forEach((q, i) => {
        if (i === 0) path.moveTo(q.x - origin.x, q.y - origin.y);
        else path.lineTo(q.x - origin.x, q.y - origin.y);
      });
      path.lineTo(p.x, p.y);
    }
    ctx.lineWidth = 1.5;
    ctx.globalAlpha = 0.6;
    for (const [colour, path] of trails) {
      ctx.strokeStyle = colour;
      ctx.stroke(path);
    }
    ctx.globalAlpha = 1;
    if (this.selected && this.selectedTrail.length > 1) {
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = '#fff';
      ctx.beginPath();
      this.selectedTrail.forEach(([lat, lon], i) => {
        const q = this.map.project([lat, lon], zoom);
        if (i === 0) ctx.moveTo(q.x - origin.x, q.y - origin.y);
        else ctx.lineTo(q.x - origin.x, q.y - origin.y);
      });
      ctx.stroke();
    }
    // Symbols: one transform each (device pixels · position · heading · scale · centre).
    for (const [a, p] of visible) {
      const sel = a.hex === this.selected;
      const emergency = EMERGENCY_SQUAWKS.has(a.squawk) || (a.emergency && a.emergency !== 'none');
      const heading = ((a.track ?? a.true_heading ?? 0) * Math.PI) / 180;
      const s = sel ? 0.85 : 0.65;
      const cos = Math.cos(heading) * s;
      const sin = Math.sin(heading) * s;
      ctx.setTransform(dpr * cos, dpr * sin, -dpr * sin, dpr * cos,
        dpr * (p.x - 16 * cos + 16 * sin), dpr * (p.y - 16 * sin - 16 * cos));
      ctx.fillStyle = altitudeColour(a.alt_baro);
      ctx.strokeStyle = sel ? '#fff' : emergency ? '#f33' : '#000';
      ctx.lineWidth = sel || emergency ? 3 : 1.2;
      const sym = symbolFor(a.category);
      ctx.fill(sym);
      ctx.stroke(sym);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const labels = visible.length <= LABEL_LIMIT;
    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#0b1117';
    ctx.lineWidth = 3;
    for (const [a, p] of visible) {
      const sel = a.hex === this.selected;
      if (!labels && !sel) continue;
      const emergency = EMERGENCY_SQUAWKS.has(a.squawk) || (a.emergency && a.emergency !== 'none');
      const text = callsign(a) || a.hex;
      ctx.fillStyle = emergency ? '#ff8080' : '#e8eef3';
      ctx.strokeText(text, p.x + 12, p.y + 4);
      ctx.fillText(text, p.x + 12, p.y + 4);
    }
  }

  /// Selects the aircraft nearest to a click, if one is close enough; a click on empty map
  /// clears the selection.
  pick(point) {
    let best = null;
    let bestD = HIT_RADIUS_PX;
    for (const [a, p] of this.visible || []) {
      const d = Math.hypot(p.x - point.x, p.y - point.y);
      if (d < bestD) {
        best = a;
        bestD = d;
      }
    }
    this.onSelect(best ? best.hex : null);
  }
}

/// The point `nm` nautical miles from `from` on bearing `deg` (great circle).
function destination(from, deg, nm) {
  const R = 3440.065; // Earth radius, NM
  const d = nm / R;
  const b = (deg * Math.PI) / 180;
  const la1 = (from.lat * Math.PI) / 180;
  const lo1 = (from.lng * Math.PI) / 180;
  const la2 = Math.asin(Math.sin(la1) * Math.cos(d) + Math.cos(la1) * Math.sin(d) * Math.cos(b));
  const lo2 = lo1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(la1), Math.cos(d) - Math.sin(la1) * Math.sin(la2));
  return [(la2 * 180) / Math.PI, (lo2 * 180) / Math.PI];
}
