// The soak's reference client (scripts/soak.py starts it): the stock socket.io-client,
// subscribed to every topic, keeping the aircraft stream's sequence numbers (a gap is a
// message the server skipped), timing each delta from its `timestamp` to its arrival, and
// recording every safety event and alert it is sent. Node takes events in order on one loop;
// python-socketio's threaded client hands each message to a thread of its own, which under
// load can reorder what the server sent in order.
//
//   node scripts/soak-reference.mjs URL WINDOW_S      prints one JSON report on SIGTERM

import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/api/node/package.json', import.meta.url));
const { io } = require('socket.io-client');

const [url, windowArg] = process.argv.slice(2);
const windowS = Number(windowArg ?? 300);
const t0 = performance.now();
const latencies = []; // [seconds since start, ms]
const gaps = [];
const safety = new Set();
let seq = null;
let alerts = 0;
let snapshots = 0;
let deltas = 0;
let disconnects = 0;

function checkSeq(s) {
  if (seq !== null && s !== seq + 1) gaps.push([seq, s]);
  seq = s;
}

function onEvent(event, data) {
  switch (event) {
    case 'aircraft:snapshot':
      snapshots += 1;
      checkSeq(data.seq);
      break;
    case 'aircraft:update':
      deltas += 1;
      checkSeq(data.seq);
      if (typeof data.timestamp === 'number') {
        latencies.push([(performance.now() - t0) / 1000, Date.now() - data.timestamp]);
      }
      break;
    case 'safety:event':
    case 'safety:event_updated':
    case 'safety:event_resolved':
      safety.add(data.id);
      break;
    case 'safety:snapshot':
      for (const e of data.events ?? []) safety.add(e.id);
      break;
    case 'alert:triggered':
      alerts += 1;
      break;
    case 'batch':
      for (const item of data.events) onEvent(item.event, item.data);
      break;
    default:
  }
}

const socket = io(url, { transports: ['websocket'], reconnection: false });
socket.onAny(onEvent);
socket.on('connect', () => socket.emit('subscribe', { topics: 'all' }));
socket.on('disconnect', () => { disconnects += 1; });
// Stay up after a disconnect (no reconnection here) so the report still comes on SIGTERM
// and says the client was dropped, instead of the process ending with nothing to say.
const keepAlive = setInterval(() => {}, 60_000);

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.round((sorted.length - 1) * p)] : null;
}

process.on('SIGTERM', () => {
  const windows = [];
  const end = (performance.now() - t0) / 1000;
  for (let from = 0; from < end; from += windowS) {
    const xs = latencies.filter(([t]) => t >= from && t < from + windowS)
      .map(([, ms]) => ms).sort((a, b) => a - b);
    if (xs.length) {
      windows.push({ from_s: from, deltas: xs.length, p50_ms: percentile(xs, 0.5),
        p99_ms: percentile(xs, 0.99), max_ms: xs[xs.length - 1] });
    }
  }
  const connected = socket.connected;
  const dropped = disconnects; // before our own disconnect below counts one
  socket.disconnect();
  clearInterval(keepAlive);
  process.stdout.write(JSON.stringify({
    connected_at_end: connected, disconnects: dropped,
    snapshots, deltas, seq_gaps: gaps.length, first_gaps: gaps.slice(0, 10),
    safety_ids: [...safety], alerts, windows,
  }) + '\n', () => process.exit(0));
});
