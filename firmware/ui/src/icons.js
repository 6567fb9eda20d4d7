// Aircraft symbols by ADS-B emitter category (drawn on a canvas, nose up, 32 units across)
// and the altitude colour scale.

const JET = 'M16 2 L18 11 L29 17 L29 19 L18 16 L17.5 25 L21 28 L21 29.5 L16 28 L11 29.5 L11 28 L14.5 25 L14 16 L3 19 L3 17 L14 11 Z';
const HEAVY = 'M16 1 L18 10 L21 12 L21 10 L23 10 L23 13.5 L30 17.5 L30 19.5 L18 16 L17.5 25.5 L22 29 L22 30.5 L16 29 L10 30.5 L10 29 L14.5 25.5 L14 16 L2 19.5 L2 17.5 L9 13.5 L9 10 L11 10 L11 12 L14 10 Z';
const LIGHT = 'M15 4 L17 4 L17.5 11 L29 12 L29 15 L17.5 15.5 L17 24 L21 25 L21 27 L11 27 L11 25 L15 24 L14.5 15.5 L3 15 L3 12 L14.5 11 Z';
const FAST = 'M16 1 L19 14 L27 24 L27 27 L18 24 L17 28 L15 28 L14 24 L5 27 L5 24 L13 14 Z';
const ROTOR = 'M13 8 A5 6 0 0 1 19 8 L19 18 L17 18 L17 28 L20 28 L20 30 L12 30 L12 28 L15 28 L15 18 L13 18 Z M4 10 L28 10 L28 11.5 L4 11.5 Z';
const GLIDER = 'M15 6 L17 6 L17.5 13 L31 14 L31 16 L17.5 16.5 L17 26 L19.5 27 L19.5 28.5 L12.5 28.5 L12.5 27 L15 26 L14.5 16.5 L1 16 L1 14 L14.5 13 Z';
const BALLOON = 'M16 3 A9 9 0 1 1 15.99 3 Z M13 22 L19 22 L18 28 L14 28 Z';
const VEHICLE = 'M11 8 L21 8 L21 24 L11 24 Z';
const UNKNOWN = 'M16 4 L25 26 L16 21 L7 26 Z';

const cache = new Map();
function path(d) {
  if (!cache.has(d)) cache.set(d, new Path2D(d));
  return cache.get(d);
}

/// The symbol for an emitter category (A0–D7), `undefined` meaning not known.
export function symbolFor(category) {
  switch (category) {
    case 'A1': case 'B4': return path(LIGHT);
    case 'A2': case 'A3': return path(JET);
    case 'A4': case 'A5': return path(HEAVY);
    case 'A6': case 'B6': return path(FAST);
    case 'A7': return path(ROTOR);
    case 'B1': return path(GLIDER);
    case 'B2': return path(BALLOON);
    case 'C1': case 'C2': case 'C3': return path(VEHICLE);
    case undefined: return path(UNKNOWN);
    default: return path(JET);
  }
}

export function categoryName(category) {
  return {
    A1: 'light', A2: 'small', A3: 'large', A4: 'high vortex large', A5: 'heavy',
    A6: 'high performance', A7: 'rotorcraft', B1: 'glider', B2: 'balloon', B3: 'parachutist',
    B4: 'ultralight', B6: 'UAV', B7: 'space vehicle', C1: 'emergency vehicle',
    C2: 'service vehicle', C3: 'obstruction',
  }[category] || '';
}

// Hue by altitude (ft): orange near the ground through green and blue to magenta at FL400.
const STOPS = [[0, 20], [2000, 32], [4000, 43], [6000, 54], [8000, 72], [9000, 85],
  [11000, 140], [20000, 200], [30000, 250], [40000, 300]];

const colours = new Map(); // by 100 ft step: the map asks for every aircraft on every frame

/// CSS colour for a barometric altitude (`"ground"` and unknown are grey).
export function altitudeColour(alt) {
  if (typeof alt !== 'number') return alt === 'ground' ? 'hsl(0 0% 62%)' : 'hsl(0 0% 80%)';
  const step = Math.round(alt / 100);
  let c = colours.get(step);
  if (c === undefined) {
    c = colourFor(step * 100);
    colours.set(step, c);
  }
  return c;
}

function colourFor(alt) {
  let hue = STOPS[STOPS.length - 1][1];
  for (let i = 1; i < STOPS.length; i++) {
    if (alt <= STOPS[i][0]) {
      const [a0, h0] = STOPS[i - 1];
      const [a1, h1] = STOPS[i];
      hue = h0 + ((Math.max(alt, 0) - a0) / (a1 - a0)) * (h1 - h0);
      break;
    }
  }
  return `hsl(${Math.round(hue)} 85% 55%)`;
}
