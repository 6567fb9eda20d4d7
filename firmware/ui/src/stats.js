// Stats: message rate, aircraft count and signal level as time series (uPlot), and a polar
// plot of the measured range per bearing. History comes from `stats-summary` (one point per
// minute, the last hour); each `stats:tick` adds a live point.
import uPlot from 'uplot';
import { fmtNum } from './format.js';

const MAX_POINTS = 720;
const SUMMARY_EVERY_MS = 60000;

export class StatsPanel {
  constructor(conn, { onOutline }) {
    this.conn = conn;
    this.onOutline = onOutline;
    this.panel = document.getElementById('panel-stats');
    this.now = document.getElementById('stats-now');
    this.radios = document.getElementById('stats-radios');
    this.polar = document.getElementById('polar');
    this.points = []; // {t (s), rate, aircraft, withPos, signal, noise}
    this.outline = [];
    this.charts = null;
    conn.on('stats:tick', (t) => this.tick(t));
    conn.onState((s) => s === 'connected' && this.summary());
    setInterval(() => this.conn.socket.connected && this.summary(), SUMMARY_EVERY_MS);
    new ResizeObserver(() => this.resize()).observe(this.panel);
  }

  async summary() {
    try {
      const s = await this.conn.request('stats-summary');
      this.outline = s.range_outline_nm || [];
      this.onOutline(this.outline);
      const minutes = s.history || [];
      const end = Date.now() / 1000;
      const history = minutes.map((m, i) => ({
        t: end - (minutes.length - i) * 60,
        rate: m.messages / 60,
        aircraft: m.aircraft,
        withPos: m.with_position,
        signal: m.mean_signal_dbfs ?? null,
        noise: null,
      }));
      // Keep live points newer than the history.
      const since = history.length ? history[history.length - 1].t : 0;
      this.points = [...history, ...this.points.filter((p) => p.t > since)].slice(-MAX_POINTS);
      this.update();
    } catch (e) {
      console.warn('stats-summary', e.message);
    }
  }

  tick(t) {
    if (!t || !t.traffic) return;
    this.points.push({
      t: (t.ts || Date.now()) / 1000,
      rate: t.traffic.msg_rate,
      aircraft: t.traffic.aircraft,
      withPos: t.traffic.with_position,
      signal: t.reception ? t.reception.avg_rssi : null,
      noise: t.reception ? t.reception.noise_dbfs : null,
    });
    if (this.points.length > MAX_POINTS) this.points.shift();
    const r = t.reception || {};
    const s = t.system || {};
    this.now.textContent = [
      `${fmtNum(t.traffic.msg_rate, 0)} msg/s`,
      `${t.traffic.aircraft} aircraft, ${t.traffic.with_position} with position`,
      `max range ${fmtNum(r.max_range_nm, 1, 'NM')}`,
      r.noise_dbfs != null ? `noise ${fmtNum(r.noise_dbfs, 1, 'dBFS')}` : '',
      s.cpu != null ? `CPU ${fmtNum(s.cpu, 1, '%')}` : '',
    ].filter(Boolean).join(' · ');
    this.showRadios(s.sdr || {});
    this.update();
  }

  /// One line per band: what feeds it, and whether it is delivering (with the reason if not).
  showRadios(sdr) {
    // 1090, 978, then the VHF dongles: JavaScript orders integer-like keys ascending,
    // whatever the server sent.
    const order = { 1090: 0, 978: 1, vhf: 2, vdl2: 3 };
    const bands = Object.entries(sdr).sort(([a], [b]) => (order[a] ?? 9) - (order[b] ?? 9));
    const rows = bands.map(([band, r]) => {
      const li = document.createElement('li');
      li.className = r.healthy ? 'ok' : 'bad';
      li.dataset.band = band;
      const what = r.device || r.description || r.kind;
      const unit = { vhf: 'ACARS blocks', vdl2: 'VDL2 frames' }[band] || 'frames';
      const state = r.healthy ? `${r.state}, ${r.frames} ${unit}` : `unavailable: ${r.error || r.state}`;
      const extra = r.dropped_samples ? `, ${r.dropped_samples} samples dropped` : '';
      const name = r.channels
        ? `${band === 'vdl2' ? 'VDL2' : 'VHF'} (${r.channels.length} channels around ${(r.centre_frequency || 0).toFixed(3)} MHz)`
        : `${band} MHz`;
      li.textContent = `${name} — ${what} — ${state}${extra}`;
      return li;
    });
    this.radios.replaceChildren(...rows);
  }

  visible() {
    return !this.panel.hidden && this.panel.clientWidth > 0;
  }

  update() {
    if (!this.visible()) return;
    if (!this.charts) this.create();
    const t = this.points.map((p) => p.t);
    this.charts.rate.setData([t, this.points.map((p) => p.rate)]);
    this.charts.aircraft.setData([t, this.points.map((p) => p.aircraft), this.points.map((p) => p.withPos)]);
    this.charts.signal.setData([t, this.points.map((p) => p.signal), this.points.map((p) => p.noise)]);
    this.drawPolar();
  }

  create() {
    const width = this.width();
    const opts = (series) => ({
      width,
      height: 140,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // The last hour, whatever the data covers (one point would otherwise span years).
      scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - 3600, now]; } } },
      axes: [axis(), axis()],
      series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 1.5, spanGaps: true }))],
    });
    this.charts = {
      rate: new uPlot(opts([['msg/s', '#4fc3f7']]), [[], []], document.getElementById('chart-rate')),
      aircraft: new uPlot(opts([['all', '#ffb74d'], ['with position', '#81c784']]), [[], [], []], document.getElementById('chart-aircraft')),
      signal: new uPlot(opts([['mean signal', '#e57373'], ['noise', '#90a4ae']]), [[], [], []], document.getElementById('chart-signal')),
    };
  }

  width() {
    return Math.max(200, this.panel.clientWidth - 24);
  }

  resize() {
    if (!this.visible()) return;
    if (!this.charts) {
      this.update();
      return;
    }
    for (const c of Object.values(this.charts)) c.setSize({ width: this.width(), height: 140 });
    this.drawPolar();
  }

  /// Range per 10° sector as a filled polygon on rings, north up.
  drawPolar() {
    const c = this.polar;
    const size = Math.min(320, this.width());
    const dpr = window.devicePixelRatio || 1;
    c.style.width = `${size}px`;
    c.style.height = `${size}px`;
    c.width = size * dpr;
    c.height = size * dpr;
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const mid = size / 2;
    const radius = mid - 18;
    const max = Math.max(50, ...this.outline);
    const ringStep = max > 200 ? 100 : 50;
    const top = Math.ceil(max / ringStep) * ringStep;
    ctx.clearRect(0, 0, size, size);
    ctx.strokeStyle = '#44576a';
    ctx.fillStyle = '#9fb3c8';
    ctx.font = '10px system-ui, sans-serif';
    for (let nm = ringStep; nm <= top; nm += ringStep) {
      ctx.beginPath();
      ctx.arc(mid, mid, (nm / top) * radius, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillText(`${nm}`, mid + 2, mid - (nm / top) * radius + 10);
    }
    for (const [label, deg] of [['N', 0], ['E', 90], ['S', 180], ['W', 270]]) {
      const a = ((deg - 90) * Math.PI) / 180;
      ctx.fillText(label, mid + Math.cos(a) * (radius + 9) - 3, mid + Math.sin(a) * (radius + 9) + 4);
    }
    if (!this.outline.length) return;
    const step = 360 / this.outline.length;
    ctx.beginPath();
    this.outline.forEach((nm, i) => {
      for (const edge of [i * step, (i + 1) * step]) {
        const a = ((edge - 90) * Math.PI) / 180;
        const r = (nm / top) * radius;
        ctx.lineTo(mid + Math.cos(a) * r, mid + Math.sin(a) * r);
      }
    });
    ctx.closePath();
    ctx.fillStyle = 'rgba(79, 195, 247, 0.3)';
    ctx.strokeStyle = '#4fc3f7';
    ctx.fill();
    ctx.stroke();
  }
}

function axis() {
  return { stroke: '#9fb3c8', grid: { stroke: '#2a3a4a', width: 1 }, ticks: { stroke: '#2a3a4a' } };
}
