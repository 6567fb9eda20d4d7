// The cannonball phone page: the browser's geolocation goes to /cannonball as position updates;
// the threats come back relative to the direction of travel, shown as one big arrow and
// distance for the most severe, and a list of the rest. Optional spoken alerts (Web Speech).
// Browsers give geolocation only to secure origins (https) and localhost; elsewhere the page
// asks for a position by hand (docs/cannonball.md says how to reach it from a phone).
import { io } from 'socket.io-client';
import './cannonball.css';

const $ = (id) => document.getElementById(id);
const LEVEL_WORD = { critical: 'Critical', warning: 'Warning', info: 'Info' };
const SEND_EVERY_MS = 1000; // well under the server's 5 updates a second

const token = localStorage.getItem('skyspy.token') || '';
const socket = io('/cannonball', { auth: (cb) => cb(token ? { token } : {}) });
let lastSent = 0;
let pending = null;
let speak = false;
let gpsFixes = 0;

let lastPosition = null;

socket.on('connect', () => {
  setState('connected: waiting for a position');
  // A new connection is a new session on the server: it needs the position again.
  if (lastPosition) {
    lastSent = 0;
    send(lastPosition);
  }
});
socket.on('disconnect', () => setState('disconnected: reconnecting…'));
socket.on('connect_error', (e) => setState(`cannot connect: ${e.message}`));
socket.on('threats', show);
socket.on('threat_update', show);
socket.on('new_alert', (a) => say(alertText(a)));
socket.on('error', (e) => setState(`server: ${e.message}`));

function setState(text) {
  $('cb-state').textContent = text;
}

function send(pos) {
  lastPosition = pos;
  pending = pos;
  const now = Date.now();
  if (now - lastSent < SEND_EVERY_MS || !socket.connected) return;
  lastSent = now;
  socket.emit('position_update', pending);
  pending = null;
}
setInterval(() => pending && send(pending), SEND_EVERY_MS);

function startGeolocation() {
  if (!('geolocation' in navigator) || !window.isSecureContext) {
    manual('This page is not on a secure origin (https or localhost), so the browser gives it no GPS.');
    return;
  }
  navigator.geolocation.watchPosition(
    (p) => {
      gpsFixes += 1;
      $('cb-manual').hidden = true;
      const { latitude: lat, longitude: lon, heading, speed } = p.coords;
      const update = { lat, lon };
      if (Number.isFinite(heading) && heading >= 0 && heading <= 360) update.heading = heading;
      // The browser gives m/s; the server takes knots.
      if (Number.isFinite(speed) && speed >= 0) update.speed = speed * 3600 / 1852;
      send(update);
    },
    // A timeout after fixes came is a gap in coverage, not a reason to ask by hand.
    (e) => gpsFixes === 0 && manual(`No GPS position (${e.message || `error ${e.code}`}).`),
    { enableHighAccuracy: true, maximumAge: 2000, timeout: 20000 },
  );
}

function manual(why) {
  $('cb-why').textContent = `${why} Enter a position:`;
  $('cb-manual').hidden = false;
}

$('cb-manual').addEventListener('submit', (e) => {
  e.preventDefault();
  const lat = Number($('cb-lat').value);
  const lon = Number($('cb-lon').value);
  if (Number.isFinite(lat) && Number.isFinite(lon)) {
    lastSent = 0;
    send({ lat, lon });
  }
});

$('cb-speak').addEventListener('click', () => {
  speak = !speak && 'speechSynthesis' in window;
  $('cb-speak').setAttribute('aria-pressed', String(speak));
  $('cb-speak').textContent = speak ? 'Voice on' : 'Voice off';
  if (speak) say('Voice alerts on');
});

function say(text) {
  if (!speak || !text) return;
  speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

function alertText({ kind, threat: t }) {
  const where = `${t.distance_nm.toFixed(1)} nautical miles, ${clock(t.relative_bearing)} o'clock`;
  switch (kind) {
    case 'le_detected': return `Law enforcement ${t.is_helicopter ? 'helicopter' : 'aircraft'}, ${where}`;
    case 'pattern_detected': return `Aircraft ${t.pattern.replace('_', ' ')}, ${where}`;
    case 'closing_fast': return `Aircraft closing fast, ${where}`;
    case 'overhead': return 'Aircraft overhead';
    default: return '';
  }
}

/// 12-hour clock position of a relative bearing (12 is straight ahead).
function clock(relative) {
  const h = Math.round(((relative % 360) + 360) % 360 / 30) % 12;
  return h === 0 ? 12 : h;
}

function show(p) {
  setState(`${p.count} aircraft of interest within ${p.radius_nm} nm`);
  const [top, ...rest] = p.data;
  const section = $('cb-top');
  section.dataset.level = top ? top.threat_level : 'none';
  if (top) {
    $('cb-arrow').style.transform = `rotate(${top.relative_bearing}deg)`;
    $('cb-distance').textContent = `${top.distance_nm.toFixed(1)} nm ${top.direction}`;
    $('cb-what').textContent = summary(top);
  } else {
    $('cb-arrow').style.transform = '';
    $('cb-distance').textContent = '—';
    $('cb-what').textContent = 'No aircraft of interest nearby';
  }
  $('cb-list').replaceChildren(...rest.map(item));
}

function summary(t) {
  const bits = [LEVEL_WORD[t.threat_level], t.description, t.trend];
  if (t.altitude != null) bits.push(`${t.altitude} ft`);
  return bits.filter(Boolean).join(' · ');
}

function item(t) {
  const li = document.createElement('li');
  li.dataset.level = t.threat_level;
  li.dataset.hex = t.hex;
  const arrow = document.createElement('span');
  arrow.className = 'cb-small-arrow';
  arrow.textContent = '▲';
  arrow.setAttribute('aria-hidden', 'true');
  arrow.style.transform = `rotate(${t.relative_bearing}deg)`;
  const text = document.createElement('span');
  text.textContent = `${t.distance_nm.toFixed(1)} nm ${t.direction} · ${summary(t)}`;
  li.append(arrow, text);
  return li;
}

startGeolocation();
