// The Node peer of scripts/bench-api: socket.io 4.8 publishing the same aircraft:update
// payloads skyspy sent (recorded by record_deltas.py) at 10 Hz to every client, the way a
// Node server would: each client joins one room on connect, and each tick is one broadcast
// to that room (socket.io encodes a broadcast once for every client in it).
//
//   node server.mjs DELTAS.jsonl PORT
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const [file, port] = process.argv.slice(2);
const deltas = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const http = createServer();
const io = new Server(http, { cors: { origin: '*' } });
io.on('connection', (socket) => socket.join('aircraft'));

let seq = 0;
let i = 0;
setInterval(() => {
  const d = { ...deltas[i++ % deltas.length], seq: ++seq, timestamp: Date.now() };
  io.to('aircraft').emit('aircraft:update', d);
}, 100);
http.listen(Number(port), '127.0.0.1');
