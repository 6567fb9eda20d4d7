// The safety and alerts feed: `safety:*` and `alert:triggered` events, newest first, styled by
// severity; open safety events can be acknowledged; an optional beep (Web Audio, no sound file)
// for warning and critical events.
import { el, fmtTime } from './format.js';

const MAX_ITEMS = 200;

export class Feed {
  constructor(conn, { onSelect }) {
    this.conn = conn;
    this.onSelect = onSelect;
    this.list = document.getElementById('feed');
    this.empty = document.getElementById('feed-empty');
    this.badge = document.getElementById('count-safety');
    this.items = new Map(); // key → {li, event}
    this.sound = localStorage.getItem('skyspy.sound') === 'on';
    this.soundButton = document.getElementById('sound');
    this.soundButton.addEventListener('click', () => this.toggleSound());
    this.showSound();
    conn.on('safety:snapshot', (d) => ((d && d.events) || []).forEach((e) => this.safety(e, false)));
    conn.on('safety:event', (e) => this.safety(e, true));
    conn.on('safety:event_updated', (e) => this.safety(e, false));
    conn.on('safety:event_resolved', (e) => this.safety(e, false));
    conn.on('alert:snapshot', (d) => ((d && d.alerts) || []).forEach((a) => this.alert(a, false)));
    conn.on('alert:triggered', (a) => this.alert(a, true));
  }

  safety(e, fresh) {
    if (!e || e.id === undefined) return;
    this.upsert(`s${e.id}`, {
      kind: e.event_type,
      severity: e.severity,
      icao: e.icao,
      callsign: e.callsign,
      message: e.message,
      timestamp: e.timestamp,
      resolved: e.resolved_at != null,
      acknowledged: e.acknowledged === true,
      id: e.id,
    }, fresh);
  }

  alert(a, fresh) {
    if (!a) return;
    this.upsert(`a${a.rule_id}-${a.icao}-${a.timestamp}`, {
      kind: `alert: ${a.rule_name}`,
      severity: a.priority,
      icao: a.icao,
      callsign: a.callsign,
      message: a.message,
      timestamp: a.timestamp,
    }, fresh);
  }

  upsert(key, item, fresh) {
    const old = this.items.get(key);
    const li = this.render(item);
    if (old) old.li.replaceWith(li);
    else {
      this.list.prepend(li);
      if (fresh && (item.severity === 'critical' || item.severity === 'warning')) this.beep(item.severity);
    }
    this.items.set(key, { li, item });
    while (this.items.size > MAX_ITEMS) {
      const [k, v] = this.items.entries().next().value;
      v.li.remove();
      this.items.delete(k);
    }
    this.empty.hidden = this.items.size > 0;
    const open = [...this.items.values()].filter(
      (v) => v.item.id !== undefined && !v.item.resolved && v.item.severity !== 'info').length;
    this.badge.textContent = open ? String(open) : '';
  }

  render(it) {
    const who = it.callsign ? `${it.callsign.trim()} (${it.icao})` : it.icao;
    return el('li', { class: `event ${it.severity}${it.resolved ? ' resolved' : ''}`, 'data-kind': it.kind },
      el('div', { class: 'event-head' },
        el('span', { class: 'sev' }, it.severity),
        el('span', { class: 'kind' }, it.kind.replaceAll('_', ' ')),
        el('time', {}, fmtTime(it.timestamp))),
      el('p', {}, it.message || ''),
      el('div', { class: 'event-actions' },
        who && el('button', { type: 'button', class: 'link', onclick: () => this.onSelect(it.icao) }, `Show ${who}`),
        it.resolved && el('span', { class: 'muted' }, 'resolved'),
        it.id !== undefined && !it.acknowledged && el('button', {
          type: 'button',
          onclick: (ev) => this.acknowledge(it.id, ev.target),
        }, 'Acknowledge')));
  }

  async acknowledge(id, button) {
    button.disabled = true;
    try {
      await this.conn.request('safety-acknowledge', { id });
      button.replaceWith(el('span', { class: 'muted' }, 'acknowledged'));
    } catch (e) {
      button.disabled = false;
      button.title = e.message;
      button.after(el('span', { class: 'error', role: 'alert' }, ` ${e.message}`));
    }
  }

  toggleSound() {
    this.sound = !this.sound;
    localStorage.setItem('skyspy.sound', this.sound ? 'on' : 'off');
    if (this.sound) this.beep('info'); // also unlocks audio: browsers need a user gesture
    this.showSound();
  }

  showSound() {
    this.soundButton.textContent = this.sound ? 'Sound on' : 'Sound off';
    this.soundButton.setAttribute('aria-pressed', String(this.sound));
  }

  beep(severity) {
    if (!this.sound) return;
    try {
      this.audio = this.audio || new AudioContext();
      const t = this.audio.currentTime;
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      osc.frequency.value = severity === 'critical' ? 880 : 660;
      gain.gain.setValueAtTime(0.15, t);
      gain.gain.exponentialRampToValueAtTime(0.001, t + 0.35);
      osc.connect(gain).connect(this.audio.destination);
      osc.start(t);
      osc.stop(t + 0.35);
    } catch (e) {
      console.warn('sound', e);
    }
  }
}
