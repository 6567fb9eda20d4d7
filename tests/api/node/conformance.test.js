// Realtime API conformance with the stock socket.io-client (npm), over polling-with-upgrade
// and WebSocket-only, against the real `skyspy run` binary.
//
//   node --test            (SKYSPY_BIN overrides target/release/skyspy)

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
  const rules = args.includes('--rules-file') ? [] : ['--rules-file', join(tmp, `rules-${port}.json`)];
  const proc = spawn(BIN, ['run', '--config', cfg, '--listen', `127.0.0.1:${port}`, ...rules, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  // Serving, not just listening: the socket is bound before the daemon starts its feeds.
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`skyspy exited with ${proc.exitCode}: ${log}`);
    const ok = await fetch(`http://127.0.0.1:${port}/data/receiver.json`).then(() => true, () => false);
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

// Every mirror of the running test; a protocol violation seen in a socket callback is
// recorded there and fails the test after it (an exception inside socket.io-client's event
// dispatch would not reach the test by itself).
const mirrors = [];
afterEach(() => {
  const failures = mirrors.splice(0).flatMap((m) => m.failures);
  assert.deepEqual(failures, [], 'in socket callbacks');
});

/** A client that mirrors the aircraft picture from snapshot + deltas (+ batches). */
function mirrored(url, transports, opts = {}) {
  const socket = io(url, { transports, reconnection: false, ...opts });
  const m = { socket, state: new Map(), seq: null, gaps: [], updates: 0, events: [], failures: [] };
  mirrors.push(m);
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
        if (rec === undefined) throw new Error(`update for ${u.hex}, which the client does not have`);
        for (const [k, v] of Object.entries(u)) {
          if (v === null) delete rec[k]; else rec[k] = v;
        }
      }
    }
  };
  socket.onAny((event, data) => {
    m.events.push([event, data]);
    try {
      if (event === 'batch') for (const e of data.events) apply(e.event, e.data);
      else apply(event, data);
    } catch (e) {
      m.failures.push(`${event}: ${e.message}`);
    }
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
      await waitFor(async () => (await request(m.socket, 'receiver-info')).data.sources[0].state === 'ended', 30000, 500);
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
      assert.deepEqual(info.data.sources.map((s) => [s.band, s.kind]), [['1090', 'simulator'], ['978', 'simulator'], ['vhf', 'simulator'], ['vdl2', 'simulator']]);
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

for (const [name, transports] of Object.entries(TRANSPORTS)) {
  test(`${name}: batches within bounds, safety and emergency squawks bypass them`, async () => {
    const config = '[api]\nstats_hz = 1.0\n[simulator]\nemergency_after_s = 2.0\nemergency_for_s = 3.0\n';
    const d = await startDaemon(['--simulate'], config);
    const m = mirrored(d.url, transports);
    try {
      await m.socket.timeout(5000).emitWithAck('subscribe', { topics: ['safety'] });
      const raised = await waitFor(() => m.events.find(([e]) => e === 'safety:event'), 20000);
      assert.equal(raised[1].event_type, 'squawk_emergency');
      const squawk = await waitFor(() => m.events.find(([e, d]) => e === 'aircraft:update'
        && [...d.updated, ...d.added].some((u) => u.squawk === '7700')));
      assert.ok(squawk, 'the squawk delta arrived as its own event, not inside a batch');
      for (const [e, d] of m.events.filter(([e]) => e === 'batch')) {
        assert.ok(!d.events.some((x) => x.event.startsWith('safety:')), 'no safety event in a batch');
      }
      await waitFor(() => m.events.filter(([e]) => e === 'batch').length >= 2, 15000);
      for (const [, b] of m.events.filter(([e]) => e === 'batch')) {
        assert.equal(b.count, b.events.length);
        assert.ok(b.count >= 2 && b.count <= 50, `count ${b.count}`);
        assert.ok(b.window_ms >= 0 && b.window_ms <= 200, `window ${b.window_ms}`);
        assert.ok(JSON.stringify(b).length <= (1 << 20) + 1024);
      }
      assert.deepEqual(m.gaps, []);
    } finally {
      m.socket.disconnect();
      await d.stop();
    }
  });
}

test('every request type answers; every error code is typed', async () => {
  const d = await startDaemon(['--simulate', '--rules-file', join(tmp, 'no-such-dir', 'rules.json')]);
  const m = mirrored(d.url, ['websocket']);
  try {
    const hexes = await waitFor(() => (m.state.size >= 3 ? [...m.state.keys()].sort().slice(0, 3) : null));
    const ok = {
      'aircraft-info': { icao: hexes[0] }, 'aircraft-info-bulk': { icaos: hexes },
      'aircraft-list': { filters: { has_position: true } }, 'aircraft-snapshot': {},
      'aircraft-track': { icao: hexes[0] }, 'safety-events': { hours: 1, limit: 5 },
      'alert-rules': {}, 'airspace-snapshot': {}, 'acars-snapshot': { limit: 5 },
      'stats-summary': {}, 'receiver-info': {}, 'system-status': {},
    };
    for (const [type, params] of Object.entries(ok)) {
      const r = await request(m.socket, type, params);
      assert.equal(r.request_type, type, JSON.stringify(r));
      assert.ok(r.data !== undefined);
      await sleep(110); // stay under the inbound limit (10/s)
    }
    const rule = { name: 'r', conditions: { logic: 'AND', groups: [{ logic: 'AND',
      conditions: [{ type: 'squawk', operator: 'eq', value: '7700' }] }] } };
    const errors = [
      [['not an object'], 'invalid_payload'],
      [[{ params: {} }], 'missing_type'],
      [[{ type: 'nope' }], 'unknown_type'],
      [[{ type: 'aircraft-info', params: { icao: 1 } }], 'invalid_params'],
      [[{ type: 'aircraft-info', params: { icao: 'abcdef' } }], 'not_found'],
      [[{ type: 'safety-acknowledge', params: { id: 999 } }], 'not_found'],
      [[{ type: 'alert-rule-create', params: rule }], 'internal'],
    ];
    for (const [[payload], code] of errors) {
      const r = await m.socket.timeout(5000).emitWithAck('request', payload);
      assert.equal(r.error.code, code, JSON.stringify(r));
      assert.ok(r.error.message.length > 0);
      await sleep(110);
    }
    for (let i = 0; i < 60; i++) m.socket.emit('ping', {});
    await waitFor(() => m.events.some(([e, d]) => e === 'error' && d.code === 'rate_limited'));
  } finally {
    m.socket.disconnect();
    await d.stop();
  }
});

test('hybrid mode: changes need a token', async () => {
  const d = await startDaemon(['--simulate', '--auth', 'hybrid'], `[api]\ntokens = ["${TOKEN}"]\n`);
  const rule = { name: 'r', conditions: { logic: 'AND', groups: [{ logic: 'AND',
    conditions: [{ type: 'callsign', operator: 'startswith', value: 'KLM' }] }] } };
  const anon = mirrored(d.url, ['websocket']);
  const user = mirrored(d.url, ['websocket'], { auth: { token: TOKEN } });
  try {
    await waitFor(() => anon.seq !== null && user.seq !== null);
    assert.equal((await request(anon.socket, 'alert-rule-create', rule)).error.code, 'unauthorized');
    const created = await request(user.socket, 'alert-rule-create', rule);
    assert.ok(created.data.id >= 1);
    assert.equal((await request(anon.socket, 'alert-rules')).data.count, 1);
  } finally {
    anon.socket.disconnect();
    user.socket.disconnect();
    await d.stop();
  }
});

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
