// Formatting of aircraft fields for people (readsb units: ft, kt, ft/min, dBFS).

export function fmtAlt(v) {
  if (v === 'ground') return 'ground';
  return typeof v === 'number' ? `${v.toLocaleString('en-US')} ft` : '';
}

export function fmtNum(v, digits = 0, unit = '') {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function fmtTime(ms) {
  if (typeof ms !== 'number') return '';
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function callsign(a) {
  return (a.flight || '').trim();
}

/// `el(tag, attrs, ...children)`: a small DOM builder (text children become text nodes, so
/// nothing from the network is ever parsed as HTML).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}
