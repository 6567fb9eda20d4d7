// Realtime API conformance with the stock socket.io-client (npm), over polling-with-upgrade
// and WebSocket-only, against the real `skyspy run` binary.
//
//   node --test            (SKYSPY_BIN overrides target/release/skyspy)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io } from 'socket.io-client';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = process.env.SKYSPY_BIN ?? join(ROOT, 'target/release/skyspy');
const TOKEN = 'node-token-0123456789';
const TRANSPORTS = { 'polling-upgrade': ['polling', 'websocket'], websocket: ['websocket'] };
const tmp = mkdtempSync(join(tmpdir(), 'skyspy-node-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startDaemon(args, config = '') {
  const port = await freePort();
  const cfg = join(tmp, `skyspy-${port}.toml`);
  writeFileSync(cfg, config);
  const proc = spawn(BIN, ['run', '--config', cfg, '--listen', `127.0.0.1:${port}`,
    '--rules-file', join(tmp, `rules-${port}.json`), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((res) => {
      const c = tcpConnect(port, '127.0.0.1', () => { c.end(); res(true); });
      c.on('error', () => res(false));
    });
    if (ok) break;
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((res) => proc.on('exit', (code) => res(code)));
      proc.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(10000).then(() => 'timeout')]);
      assert.equal(code, 0, `skyspy exit ${code}: ${log.slice(-2000)}`);
      assert.ok(!log.includes('panicked'), log);
    },
  };
}

/** A client that mirrors the aircraft picture from snapshot + deltas (+ batches). */
function mirrored(url, transports, opts = {}) {
  const socket = io(url, { transports, reconnection: false, ...opts });
  const m = { socket, state: new Map(), seq: null, gaps: [], updates: 0, events: [] };
  const apply = (event, data) => {
    if (event === 'aircraft:snapshot' || event === 'aircraft:update') {
      if (m.seq !== null && data.seq !== m.seq + 1) m.gaps.push([m.seq, data.seq]);
      m.seq = data.seq;
    }
    if (event === 'aircraft:snapshot') {
      m.state = new Map(data.aircraft.map((a) => [a.hex, { ...a }]));
    } else if (event === 'aircraft:update') {
      m.updates++;
      for (const h of data.removed) m.state.delete(h);
      for (const a of data.added) m.state.set(a.hex, { ...a });
      for (const u of data.updated) {
        const rec = m.state.get(u.hex);
        for (const [k, v] of Object.entries(u)) {
          if (v === null) delete rec[k]; else rec[k] = v;
        }
      }
    }
  };
  socket.onAny((event, data) => {
    m.events.push([event, data]);
    if (event === 'batch') for (const e of data.events) apply(e.event, e.data);
    else apply(event, data);
  });
  return m;
}

const request = (socket, type, params) =>
  socket.timeout(10000).emitWithAck('request', { type, request_id: `n-${type}`, params });

async function waitFor(pred, ms = 15000, step = 50) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await pred();
    if (v) return v;
    await sleep(step);
  }
  throw new Error('condition not met in time');
}

const sorted = (rec) => JSON.stringify(Object.keys(rec).sort().map((k) => [k, rec[k]]));

const replay = join(tmp, 'traffic.cu8');
execFileSync(BIN, ['simulate', replay, '--seconds', '8', '--aircraft', '40', '--seed', '11',
  '--lat', '52.31', '--lon', '4.76'], { stdio: 'ignore' });

for (const [name, transports] of Object.entries(TRANSPORTS)) {
  test(`${name}: snapshot, gap-free deltas, and the server's exact state`, async () => {
    const d = await startDaemon(['--replay', replay]);
    const m = mirrored(d.url, transports);
    try {
      await waitFor(() => m.seq !== null);
      // Polled at 2/s: requests are rate limited (10/s per connection).
      await waitFor(async () => (await request(m.socket, 'receiver-info')).data.source.state === 'ended', 30000, 500);
      await sleep(1000);
      const server = (await request(m.socket, 'aircraft-snapshot')).data;
      assert.deepEqual(m.gaps, []);
      assert.ok(m.updates >= 20, `${m.updates} deltas`);
      assert.ok(server.count >= 30);
      const truth = new Map(server.aircraft.map((a) => [a.hex, sorted(a)]));
      const mine = new Map([...m.state].map(([h, a]) => [h, sorted(a)]));
      assert.deepEqual(mine, truth);
      if (name === 'polling-upgrade') assert.equal(m.socket.io.engine.transport.name, 'websocket');
    } finally {
      m.socket.disconnect();
      await d.stop();
    }
  });

  test(`${name}: rate limit, requests, errors`, async () => {
    const d = await startDaemon(['--simulate']);
    const m = mirrored(d.url, transports);
    try {
      await waitFor(() => m.seq !== null);
      const ack = await m.socket.timeout(5000).emitWithAck('subscribe', { topics: ['safety', 'x'], rates: { aircraft: 5 } });
      assert.deepEqual(ack.joined, ['safety']);
      assert.deepEqual(ack.unknown, ['x']);
      await sleep(1000);
      const n0 = m.updates;
      const t0 = Date.now();
      await sleep(4000);
      const hz = (m.updates - n0) / ((Date.now() - t0) / 1000);
      assert.ok(hz >= 3.5 && hz <= 5.3, `aircraft at ${hz} Hz with rates.aircraft = 5`);
      const info = await request(m.socket, 'receiver-info');
      assert.equal(info.request_type, 'receiver-info');
      assert.equal(info.data.source.kind, 'simulator');
      const bad = await request(m.socket, 'aircraft-track', { icao: 'nope' });
      assert.equal(bad.error.code, 'invalid_params');
      assert.equal(bad.error.message, 'params.icao must be 6 hex digits');
      const missing = await request(m.socket, 'aircraft-info', { icao: 'ABCDEF' });
      assert.equal(missing.error.code, 'not_found');
      const unknown = await request(m.socket, 'launch-rocket', {});
      assert.equal(unknown.error.code, 'unknown_type');
      const pong = new Promise((res) => m.socket.once('pong', res));
      m.socket.emit('ping', { timestamp: 1 });
      assert.equal((await pong).timestamp, 1);
    } finally {
      m.socket.disconnect();
      await d.stop();
    }
  });
}

test('private mode: connect_error "unauthorized" without a valid token', async () => {
  const d = await startDaemon(['--simulate', '--auth', 'private'], `[api]\ntokens = ["${TOKEN}"]\n`);
  try {
    for (const auth of [undefined, { token: 'wrong-token-123' }]) {
      const socket = io(d.url, { transports: ['websocket'], reconnection: false, auth });
      const err = await new Promise((res) => socket.on('connect_error', res));
      assert.equal(err.message, 'unauthorized');
      socket.disconnect();
    }
    const ok = io(d.url, { transports: ['websocket'], reconnection: false, auth: { token: TOKEN } });
    await new Promise((res, rej) => { ok.on('connect', res); ok.on('connect_error', rej); });
    ok.disconnect();
  } finally {
    await d.stop();
  }
});
