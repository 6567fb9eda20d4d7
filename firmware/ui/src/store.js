// The client's copy of the aircraft picture: snapshot + deltas with the protocol's `seq`
// check (a gap asks for `resync` and ignores deltas until the snapshot arrives), plus a short
// local trail per aircraft and the time each position arrived, for drawing between updates.

const TRAIL_POINTS = 12;

export class AircraftStore {
  constructor(conn) {
    this.conn = conn;
    this.aircraft = new Map(); // hex → record (readsb field names)
    this.seq = null;
    this.awaitingSnapshot = true;
    this.gaps = 0;
    this.version = 0; // bumps on every change; views redraw when it moves
    this.listeners = [];
    conn.on('aircraft:snapshot', (d) => this.snapshot(d));
    conn.on('aircraft:update', (d) => this.delta(d));
    conn.onState((state) => {
      if (state !== 'connected') this.awaitingSnapshot = true;
    });
  }

  onChange(fn) {
    this.listeners.push(fn);
  }

  snapshot(d) {
    if (!d || !Array.isArray(d.aircraft)) return;
    const now = performance.now();
    const fresh = new Map();
    for (const rec of d.aircraft) {
      const old = this.aircraft.get(rec.hex);
      const a = { ...rec, _trail: old ? old._trail : [], _posAt: old ? old._posAt : now };
      if (hasPos(rec) && (!old || old.lat !== rec.lat || old.lon !== rec.lon)) {
        a._posAt = now;
        pushTrail(a);
      }
      fresh.set(rec.hex, a);
    }
    this.aircraft = fresh;
    this.seq = d.seq;
    this.awaitingSnapshot = false;
    this.changed();
  }

  delta(d) {
    if (!d) return;
    if (this.awaitingSnapshot) return;
    if (d.seq !== this.seq + 1) {
      this.gaps += 1;
      this.awaitingSnapshot = true;
      this.conn.emit('resync', { topic: 'aircraft' });
      return;
    }
    this.seq = d.seq;
    const now = performance.now();
    for (const rec of d.added || []) {
      const a = { ...rec, _trail: [], _posAt: now };
      if (hasPos(a)) pushTrail(a);
      this.aircraft.set(rec.hex, a);
    }
    for (const upd of d.updated || []) {
      const a = this.aircraft.get(upd.hex);
      if (!a) continue;
      let moved = false;
      for (const [k, v] of Object.entries(upd)) {
        if (v === null) delete a[k];
        else {
          if ((k === 'lat' || k === 'lon') && a[k] !== v) moved = true;
          a[k] = v;
        }
      }
      if (moved && hasPos(a)) {
        a._posAt = now;
        pushTrail(a);
      }
    }
    for (const hex of d.removed || []) this.aircraft.delete(hex);
    this.changed();
  }

  changed() {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }
}

export function hasPos(a) {
  return typeof a.lat === 'number' && typeof a.lon === 'number';
}

function pushTrail(a) {
  a._trail.push([a.lat, a.lon, a.alt_baro]);
  if (a._trail.length > TRAIL_POINTS) a._trail.shift();
}
