// The Socket.IO connection: reconnect with exponential backoff and jitter (1–30 s), requests
// as promises, `batch` unpacked into its events, and the connection state for the header.
import { io } from 'socket.io-client';

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const REQUEST_TIMEOUT_MS = 10000;

export class Connection {
  constructor({ token }) {
    this.handlers = new Map();
    this.stateListeners = [];
    this.pending = new Map();
    this.nextId = 1;
    this.token = token;
    this.socket = io('/', {
      // socket.io-client's backoff: 1 s doubling to 30 s, each delay ±50 % at random, so a
      // room full of browsers does not reconnect in step after the appliance restarts.
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30000,
      randomizationFactor: 0.5,
      auth: (cb) => cb(this.token ? { token: this.token } : {}),
    });
    const s = this.socket;
    this.attempt = 0;
    s.on('connect', () => {
      this.attempt = 0;
      this.setState('connected');
    });
    s.on('disconnect', (reason) => {
      this.failPending(new ApiError('disconnected', 'connection lost before the answer came'));
      // A server-side disconnect is not retried by socket.io-client; everything else is.
      if (reason === 'io server disconnect') s.connect();
      this.setState('reconnecting');
    });
    s.on('connect_error', (err) => {
      if (err.message === 'unauthorized') this.setState('unauthorized');
      else this.setState('reconnecting', this.attempt ? `attempt ${this.attempt}` : '');
    });
    s.io.on('reconnect_attempt', (n) => {
      this.attempt = n;
      this.setState('reconnecting', `attempt ${n}`);
    });
    s.on('response', (r) => this.settle(r && r.request_id, (p) => p.resolve(r.data)));
    s.on('error', (e) => {
      if (e && e.request_id != null && this.pending.has(e.request_id)) {
        this.settle(e.request_id, (p) => p.reject(new ApiError(e.code, e.message)));
      } else {
        console.warn('server error', e);
      }
    });
    s.on('batch', (b) => {
      for (const { event, data } of (b && b.events) || []) this.dispatch(event, data);
    });
    s.onAny((event, data) => {
      if (event !== 'batch' && event !== 'response' && event !== 'error') this.dispatch(event, data);
    });
  }

  /// Registers `fn(data)` for a server event (batched or not).
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(fn);
  }

  onState(fn) {
    this.stateListeners.push(fn);
  }

  emit(event, data) {
    this.socket.emit(event, data);
  }

  /// Sends a `request` and resolves with its `data`, or rejects with an ApiError.
  request(type, params = {}) {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new ApiError('disconnected', 'not connected to the receiver'));
        return;
      }
      const id = `ui-${this.nextId++}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError('timeout', `no answer to ${type} in ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.emit('request', { type, request_id: id, params });
    });
  }

  reconnectWithToken(token) {
    this.token = token;
    this.socket.disconnect();
    this.socket.connect();
  }

  dispatch(event, data) {
    for (const fn of this.handlers.get(event) || []) {
      try {
        fn(data);
      } catch (e) {
        console.error(`handling ${event}`, e);
      }
    }
  }

  settle(id, fn) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
  }

  failPending(err) {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(err));
  }

  setState(state, detail = '') {
    this.state = state;
    for (const fn of this.stateListeners) fn(state, detail);
  }
}
