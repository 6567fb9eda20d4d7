// The audio panel: airband voice from the `/audio` namespace (docs/api.md). The voice
// channels with an activity meter each (`stats`, polled once a second while the panel is in
// view) and a live-listen toggle (`listen`, `audio:live` PCM played with Web Audio); the
// transmissions, newest first, each with a play button for its clip and its transcript.
import { io } from 'socket.io-client';
import { el, fmtTime } from './format.js';

const MAX_ITEMS = 200;
const POLL_MS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
/// The meter's range: the channel's level over its noise floor (dB).
const METER_DB = 30;
/// Live audio: how far ahead of the audio clock a chunk is scheduled when playback starts or
/// falls behind (the jitter buffer), and the most it may be ahead before chunks are dropped.
const JITTER_S = 0.15;
const MAX_AHEAD_S = 0.8;

/// A channel's key: its frequency as configured, to the hertz (as the server compares them).
const keyOf = (mhz) => Math.round(mhz * 1e6);
const fmtMHz = (mhz) => (typeof mhz === 'number' ? mhz.toFixed(3) : '');
const fmtDuration = (ms) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '');
const STATUS = {
  recorded: 'recorded',
  queued: 'queued for text',
  transcribing: 'transcribing…',
  transcribed: 'transcribed',
  failed: 'transcription failed',
};

/// Live audio: one AudioContext (made on the user's click), each channel's chunks scheduled
/// back to back a little ahead of the audio clock.
class LivePlayer {
  constructor(debug) {
    this.debug = debug;
    this.ctx = null;
    this.channels = new Map(); // key → {next (s, audio clock), sources}
  }

  /// Creates or resumes the AudioContext; call from a user gesture.
  unlock() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) throw new Error('this browser has no Web Audio');
      this.ctx = new Ctx();
      this.out = this.ctx.createGain();
      this.out.connect(this.ctx.destination);
      this.debug.contexts += 1;
      this.debug.context = this.ctx;
    }
    if (this.ctx.state === 'suspended') this.ctx.resume().catch((e) => console.warn('audio', e));
  }

  /// Plays 16-bit little-endian mono PCM at `rate` Hz on channel `key`.
  play(key, pcm, rate) {
    const ctx = this.ctx;
    if (!ctx) return;
    const view = pcm instanceof ArrayBuffer ? new DataView(pcm)
      : ArrayBuffer.isView(pcm) ? new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength) : null;
    const n = view ? view.byteLength >> 1 : 0;
    if (!n) return;
    const buffer = ctx.createBuffer(1, n, rate || 8000);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < n; i += 1) samples[i] = view.getInt16(2 * i, true) / 32768;
    let ch = this.channels.get(key);
    if (!ch) {
      ch = { next: 0, sources: new Set() };
      this.channels.set(key, ch);
    }
    const now = ctx.currentTime;
    if (ch.next < now) {
      // First chunk of a transmission, or the network fell behind: start over with the
      // jitter buffer in hand.
      ch.next = now + JITTER_S;
      this.debug.resets += 1;
    } else if (ch.next > now + MAX_AHEAD_S) {
      // Chunks coming faster than they play (or a suspended context): drop rather than let
      // the delay grow.
      this.debug.dropped += 1;
      return;
    }
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.out);
    src.onended = () => ch.sources.delete(src);
    src.start(ch.next);
    ch.sources.add(src);
    ch.next += buffer.duration;
    this.debug.scheduled += 1;
  }

  stop(key) {
    const ch = this.channels.get(key);
    if (!ch) return;
    for (const s of ch.sources) {
      try {
        s.stop();
      } catch { /* already ended */ }
    }
    this.channels.delete(key);
  }
}

/// What a transmission shows: channel, status, time, play button, duration, transcript.
function audioItem(t, { src, playing, onPlay }) {
  const channel = `${fmtMHz(t.frequency)}${t.channel_name ? ` ${t.channel_name}` : ''}`;
  return el('li', { class: `audio-item ${t.status || ''}`, 'data-id': t.id, 'data-frequency': t.frequency, 'data-status': t.status },
    el('div', { class: 'event-head' },
      el('span', { class: 'audio-freq' }, fmtMHz(t.frequency)),
      t.channel_name && el('span', { class: 'kind' }, t.channel_name),
      el('span', { class: 'audio-status' }, STATUS[t.status] || t.status || ''),
      el('time', {}, fmtTime(t.started_at))),
    el('div', { class: 'audio-row' },
      el('button', {
        type: 'button',
        class: 'play',
        'data-src': src,
        'aria-pressed': String(playing),
        'aria-label': `Play the transmission at ${fmtTime(t.started_at)} on ${channel}, ${fmtDuration(t.duration_ms)}`,
        onclick: () => onPlay(t.id),
      }, playing ? '■ Stop' : '▶ Play'),
      el('span', { class: 'muted' }, [fmtDuration(t.duration_ms),
        typeof t.snr_db === 'number' ? `SNR ${t.snr_db.toFixed(0)} dB` : ''].filter(Boolean).join(' · '))),
    t.transcript && el('p', {
      class: 'audio-text',
      title: typeof t.confidence === 'number' ? `confidence ${(t.confidence * 100).toFixed(0)} %` : undefined,
    }, t.transcript),
    t.status === 'failed' && t.error && el('p', { class: 'error' }, t.error));
}

export class AudioPanel {
  constructor(conn) {
    this.conn = conn;
    this.panel = document.getElementById('panel-audio');
    this.channelList = document.getElementById('audio-channels');
    this.channelsEmpty = document.getElementById('audio-channels-empty');
    this.list = document.getElementById('audio-list');
    this.empty = document.getElementById('audio-empty');
    this.now = document.getElementById('audio-now');
    this.errorEl = document.getElementById('audio-error');
    this.authEl = document.getElementById('audio-auth');
    this.badge = document.getElementById('count-audio');
    this.player = document.getElementById('audio-player');
    this.transmissions = new Map(); // id → transmission, oldest first
    this.channels = new Map(); // key → {c, li, meter, fill, button}
    this.wanted = new Set(); // keys the user wants to hear
    this.listening = new Set(); // keys the server says we hear
    this.pendingListen = null; // {key, at}
    this.playing = null; // id of the clip in the player
    this.pending = new Map();
    this.nextId = 1;
    this.polling = false;
    // For tests and the curious.
    this.debug = { liveChunks: 0, liveBytes: 0, pcmType: null, contexts: 0, context: null, scheduled: 0, resets: 0, dropped: 0 };
    this.live = new LivePlayer(this.debug);

    // The same connection as `/` (socket.io-client multiplexes namespaces), the same token.
    const s = io('/audio', { auth: (cb) => cb(conn.token ? { token: conn.token } : {}) });
    this.socket = s;
    s.on('connect', () => {
      this.authEl.hidden = true;
      this.showError('');
      s.emit('subscribe', { topics: 'all' });
      // A new socket hears nothing: ask again for what the user had on.
      this.listening.clear();
      for (const key of this.wanted) s.emit('listen', { frequency: this.channels.get(key)?.c.frequency ?? key / 1e6, on: true });
      this.poll();
    });
    s.on('disconnect', (reason) => {
      this.failPending('connection lost');
      if (reason === 'io server disconnect') s.connect();
    });
    s.on('connect_error', (err) => {
      if (err.message === 'unauthorized') this.authEl.hidden = false;
    });
    // Once `/` is back (with a new token, say), so is this namespace.
    conn.onState((state) => {
      if (state === 'connected' && !s.connected && !s.active) s.connect();
    });
    document.getElementById('audio-token').addEventListener('click', () => {
      document.getElementById('token-form').hidden = false;
      document.getElementById('token').focus();
    });

    s.on('audio:snapshot', (d) => {
      this.transmissions.clear();
      for (const t of [...((d && d.recent_transmissions) || [])].reverse()) this.transmissions.set(t.id, t);
      this.render();
      this.summary({ pending_transcriptions: d && d.pending_transcriptions });
    });
    s.on('audio:transmission', (t) => this.upsert(t));
    for (const e of ['started', 'completed', 'failed']) s.on(`audio:transcription_${e}`, (t) => this.upsert(t));
    s.on('response', (r) => this.settle(r && r.request_id, (p) => p.resolve(r.data)));
    s.on('error', (e) => this.serverError(e || {}));
    s.on('listening', (d) => {
      this.pendingListen = null;
      // What the server now sends this socket (a refused `listen` answers `error` instead).
      this.listening = new Set(((d && d.listening) || []).map(keyOf));
    });
    s.on('audio:live', (d) => {
      if (!d) return;
      const bytes = d.pcm ? d.pcm.byteLength || 0 : 0;
      this.debug.liveChunks += 1;
      this.debug.liveBytes += bytes;
      this.debug.pcmType = Object.prototype.toString.call(d.pcm).slice(8, -1);
      const key = keyOf(d.frequency);
      if (this.wanted.has(key)) this.live.play(key, d.pcm, d.rate);
    });

    this.player.addEventListener('playing', () => this.showPlaying());
    for (const e of ['pause', 'ended', 'error']) this.player.addEventListener(e, () => this.showPlaying());
    this.player.addEventListener('error', () => this.playing != null && this.showError('The clip could not be played.'));

    setInterval(() => this.poll(), POLL_MS);
  }

  /// The tab was opened: fresh meters now rather than in up to a second.
  show() {
    this.poll();
  }

  visible() {
    return !this.panel.hidden && !document.hidden;
  }

  async poll() {
    if (this.polling || !this.visible() || !this.socket.connected) return;
    this.polling = true;
    try {
      this.stats(await this.request('stats'));
    } catch (e) {
      console.warn('audio stats', e.message);
    } finally {
      this.polling = false;
    }
  }

  request(type, params = {}) {
    return new Promise((resolve, reject) => {
      const id = `audio-${this.nextId++}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${type}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.emit('request', { type, request_id: id, params });
    });
  }

  settle(id, fn) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
  }

  failPending(message) {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new Error(message)));
  }

  serverError(e) {
    if (e.request_id != null && this.pending.has(e.request_id)) {
      this.settle(e.request_id, (p) => p.reject(new Error(`${e.code}: ${e.message}`)));
      return;
    }
    // Errors do not say which event they answer; one to a listen just sent is that one's
    // (the channel is full, say): the toggle goes back to what the server has.
    if (this.pendingListen && performance.now() - this.pendingListen.at < 5000) {
      const { key } = this.pendingListen;
      this.pendingListen = null;
      if (!this.listening.has(key)) {
        this.wanted.delete(key);
        this.live.stop(key);
      }
      this.showListening();
    }
    this.showError(e.message || e.code || 'error');
  }

  showError(text) {
    this.errorEl.textContent = text;
    this.errorEl.hidden = !text;
  }

  // ---- channels ----

  stats(d) {
    if (!d) return;
    const seen = new Set();
    const channels = [...(d.channels || [])].sort((a, b) => a.frequency - b.frequency);
    let prev = null;
    for (const c of channels) {
      const key = keyOf(c.frequency);
      seen.add(key);
      let row = this.channels.get(key);
      if (!row) {
        row = this.channelRow(key, c);
        this.channels.set(key, row);
        if (prev) prev.li.after(row.li);
        else this.channelList.prepend(row.li);
      }
      row.c = c;
      const level = Math.max(0, Math.min(METER_DB, c.level_db || 0));
      row.fill.style.width = `${(100 * level) / METER_DB}%`;
      row.meter.setAttribute('aria-valuenow', level.toFixed(0));
      row.meter.setAttribute('aria-valuetext', `${level.toFixed(0)} dB over the noise, ${c.open ? 'squelch open' : 'squelch closed'}`);
      row.li.classList.toggle('open', !!c.open);
      row.heard.textContent = `${c.transmissions || 0} heard`;
      row.heard.title = c.last_heard ? `last heard ${fmtTime(c.last_heard)}` : 'not heard yet';
      prev = row;
    }
    for (const [key, row] of this.channels) {
      if (seen.has(key)) continue;
      row.li.remove();
      this.channels.delete(key);
    }
    this.channelsEmpty.hidden = this.channels.size > 0;
    this.summary(d);
  }

  channelRow(key, c) {
    const label = `${fmtMHz(c.frequency)} MHz${c.name ? ` (${c.name})` : ''}`;
    const fill = el('div', { class: 'meter-fill' });
    const meter = el('div', {
      class: 'meter', role: 'meter', 'aria-label': `Level of ${label}`,
      'aria-valuemin': '0', 'aria-valuemax': String(METER_DB), 'aria-valuenow': '0',
    }, fill);
    const button = el('button', {
      type: 'button', class: 'listen', 'aria-pressed': String(this.wanted.has(key)),
      'aria-label': `Listen live to ${label}`,
      onclick: () => this.toggle(key),
    }, 'Listen');
    const heard = el('span', { class: 'muted audio-heard' });
    const li = el('li', { class: 'audio-channel', 'data-frequency': c.frequency },
      el('span', { class: 'audio-freq' }, fmtMHz(c.frequency)),
      el('span', { class: 'audio-name' }, c.name || ''),
      meter, heard, button);
    return { c, li, meter, fill, button, heard };
  }

  toggle(key) {
    const row = this.channels.get(key);
    if (!row) return;
    const on = !this.wanted.has(key);
    if (on) {
      try {
        this.live.unlock(); // on the click: browsers start audio only on a user gesture
      } catch (e) {
        this.showError(e.message);
        return;
      }
      this.wanted.add(key);
    } else {
      this.wanted.delete(key);
      this.live.stop(key);
    }
    this.showError('');
    this.pendingListen = { key, at: performance.now() };
    this.socket.emit('listen', { frequency: row.c.frequency, on });
    this.showListening();
  }

  showListening() {
    for (const [key, row] of this.channels) {
      const on = this.wanted.has(key);
      row.button.setAttribute('aria-pressed', String(on));
      row.button.textContent = on ? 'Listening' : 'Listen';
    }
  }

  summary(d) {
    if (d.transmissions !== undefined) this.totals = d;
    const t = this.totals || {};
    const parts = [];
    if (t.transmissions !== undefined) parts.push(`${t.transmissions} transmissions`);
    const pending = d.pending_transcriptions ?? t.pending_transcriptions;
    if (pending) parts.push(`${pending} awaiting text`);
    if (t.max_listeners !== undefined) parts.push(`${t.listeners} of ${t.max_listeners} live listeners`);
    this.now.textContent = parts.join(' · ');
  }

  // ---- transmissions ----

  clipUrl(t) {
    return this.conn.token ? `${t.audio_url}?token=${encodeURIComponent(this.conn.token)}` : t.audio_url;
  }

  item(t) {
    return audioItem(t, { src: this.clipUrl(t), playing: this.playing === t.id && !this.player.paused, onPlay: (id) => this.play(id) });
  }

  upsert(t) {
    if (!t || t.id === undefined) return;
    const old = this.list.querySelector(`li[data-id="${t.id}"]`);
    if (this.transmissions.has(t.id)) {
      this.transmissions.set(t.id, t);
      if (old) {
        // In place, keeping the focus on its button.
        const focused = old.contains(document.activeElement);
        const li = this.item(t);
        old.replaceWith(li);
        if (focused) li.querySelector('button.play').focus();
      }
      return;
    }
    this.transmissions.set(t.id, t);
    if (this.transmissions.size > MAX_ITEMS) {
      const oldest = this.transmissions.keys().next().value;
      this.transmissions.delete(oldest);
      this.list.querySelector(`li[data-id="${oldest}"]`)?.remove();
    }
    // New ones go on top; the rest of the list stays as it is.
    this.list.prepend(this.item(t));
    this.counts();
  }

  render() {
    const shown = [...this.transmissions.values()].reverse();
    this.list.replaceChildren(...shown.map((t) => this.item(t)));
    this.counts();
  }

  counts() {
    this.empty.hidden = this.transmissions.size > 0;
    this.badge.textContent = this.transmissions.size ? String(this.transmissions.size) : '';
  }

  play(id) {
    const t = this.transmissions.get(id);
    if (!t) return;
    if (this.playing === id && !this.player.paused) {
      this.player.pause();
      return;
    }
    this.showError('');
    this.playing = id;
    this.player.src = this.clipUrl(t);
    this.player.play().catch((e) => {
      if (e.name !== 'AbortError') this.showError(`The clip could not be played: ${e.message}`);
    });
    this.showPlaying();
  }

  showPlaying() {
    for (const b of this.list.querySelectorAll('button.play[aria-pressed="true"]')) {
      b.setAttribute('aria-pressed', 'false');
      b.textContent = '▶ Play';
    }
    if (this.playing == null || this.player.paused) return;
    const b = this.list.querySelector(`li[data-id="${this.playing}"] button.play`);
    if (b) {
      b.setAttribute('aria-pressed', 'true');
      b.textContent = '■ Stop';
    }
  }
}
