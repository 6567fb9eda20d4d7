// The web UI end to end: the real daemon on the built-in simulator, the real page in headless
// Chromium. Screenshots go to target/ui-artifacts (UI_ARTIFACTS to change).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, BIN, launchBrowser, root, startDaemon, until, sleep } from './harness.js';

let browser;
let daemon; // 40 aircraft; an emergency squawk from 2 s on; ACARS from each every ~5 s
before(async () => {
  browser = await launchBrowser();
  daemon = await startDaemon({
    aircraft: 40,
    config: '[simulator]\nemergency_after_s = 2.0\nemergency_for_s = 600.0\nacars_every_s = 5.0\n',
  });
});
after(async () => {
  await browser?.close();
  await daemon?.stop();
});

/// A page on `url` that records every request it makes.
async function open(url, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(url);
  await until(page, () => document.getElementById('conn').dataset.state === 'connected');
  return { page, requests };
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

test('aircraft appear on the map and in the table and move; no request leaves the machine', async () => {
  const { page, requests } = await open(daemon.url);
  await until(page, () => document.querySelectorAll('#aircraft-table tbody tr[data-hex]').length >= 20);
  await until(page, () => window.skyspy.map.visible && window.skyspy.map.visible.length >= 10);
  // Where each aircraft is drawn, then again 3 s later.
  const where = () => page.evaluate(() => Object.fromEntries(
    window.skyspy.map.visible.map(([a, p]) => [a.hex, [p.x, p.y]])));
  const first = await where();
  // The canvas really has the symbols: pixels around the drawn positions are not empty.
  const painted = await page.evaluate(() => {
    const m = window.skyspy.map;
    const ctx = m.canvas.getContext('2d');
    let n = 0;
    for (const [, p] of m.visible) {
      const d = ctx.getImageData(Math.round(p.x * m.dpr) - 4, Math.round(p.y * m.dpr) - 4, 9, 9).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) { n += 1; break; }
    }
    return n / m.visible.length;
  });
  assert.ok(painted > 0.9, `symbols drawn at ${(painted * 100).toFixed(0)} % of positions`);
  await sleep(3000);
  const second = await where();
  const moved = Object.keys(first).filter((hex) => second[hex] &&
    Math.hypot(second[hex][0] - first[hex][0], second[hex][1] - first[hex][1]) > 0.5);
  assert.ok(moved.length >= 5, `only ${moved.length} aircraft moved in 3 s`);
  // Table cells are filled from the records.
  const cells = await page.$$eval('#aircraft-table tbody tr[data-hex] td', (tds) => tds.map((t) => t.textContent));
  assert.match(cells[0], /^[0-9a-f]{6}$/);
  await shot(page, 'map-and-table');
  const origin = new URL(daemon.url).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests that left the machine');
  assert.ok(requests.some((u) => u.endsWith('/basemap.json')), 'the built-in basemap loaded');
  await page.close();
});

test('selecting an aircraft in the table or on the map opens its details; keyboard works', async () => {
  const { page } = await open(daemon.url);
  await until(page, () => document.querySelectorAll('#aircraft-table tbody tr[data-hex]:not(.no-position)').length >= 5);
  const row = page.locator('#aircraft-table tbody tr[data-hex]:not(.no-position)').first();
  const hex = await row.getAttribute('data-hex');
  await row.click();
  await until(page, (h) => !document.getElementById('details').hidden &&
    document.querySelector('#details dd[data-field="hex"]')?.textContent === h, hex);
  assert.equal(await row.getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => window.skyspy.map.selected), hex);
  await shot(page, 'details');
  // Escape closes; a click on the map at an aircraft selects it.
  await page.keyboard.press('Escape');
  await until(page, () => document.getElementById('details').hidden);
  const target = await page.evaluate(() => {
    const [a, p] = window.skyspy.map.visible[0];
    return { hex: a.hex, x: p.x, y: p.y };
  });
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + target.x, box.y + target.y);
  await until(page, () => !document.getElementById('details').hidden);
  const picked = await page.evaluate(() => window.skyspy.map.selected);
  assert.ok(picked, 'a click on a symbol selects an aircraft');
  assert.equal(await page.locator(`#aircraft-table tr[data-hex="${picked}"]`).getAttribute('aria-selected'), 'true');
  // Keyboard: focus the table, move down, select with Enter.
  await page.keyboard.press('Escape');
  await page.locator('#aircraft-table tbody tr[data-hex]').first().focus();
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement.dataset.hex);
  await page.keyboard.press('Enter');
  await until(page, (h) => window.skyspy.map.selected === h, focused);
  // Sorting by callsign (header button) orders the rows.
  await page.locator('th[data-key="flight"] button').click();
  await until(page, () => document.querySelector('th[data-key="flight"]').getAttribute('aria-sort') === 'ascending');
  await sleep(600);
  const calls = await page.$$eval('#aircraft-table tbody tr[data-hex]:not(.emergency) td:nth-child(2)', (t) => t.map((x) => x.textContent).filter(Boolean));
  assert.deepEqual(calls, [...calls].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  // The filter narrows the table to the matching aircraft.
  await page.fill('#filter', hex);
  await until(page, (h) => {
    const rows = [...document.querySelectorAll('#aircraft-table tbody tr[data-hex]')];
    return rows.length === 1 && rows[0].dataset.hex === h;
  }, hex);
  await page.close();
});

test('an emergency squawk shows in the safety feed and the table', async () => {
  const { page } = await open(daemon.url);
  await page.click('#tab-safety');
  const item = page.locator('#feed li.event.critical[data-kind="squawk_emergency"]').first();
  await item.waitFor({ timeout: 30000 });
  assert.match(await item.textContent(), /7700/);
  assert.notEqual(await page.textContent('#count-safety'), '');
  await page.click('#tab-aircraft');
  // The emergency is the first row, whatever the sort.
  await until(page, () => document.querySelector('#aircraft-table tbody tr[data-hex]')?.classList.contains('emergency'));
  await page.click('#tab-safety');
  await item.getByRole('button', { name: 'Acknowledge' }).click();
  await item.getByText('acknowledged').waitFor();
  await page.click('#sound');
  assert.equal(await page.getAttribute('#sound', 'aria-pressed'), 'true');
  assert.equal(await page.evaluate(() => localStorage.getItem('skyspy.sound')), 'on');
  await shot(page, 'safety-feed');
  await page.close();
});

test('alert rules: an invalid rule shows the server error in place; create, toggle, delete', async () => {
  const { page } = await open(daemon.url);
  page.on('dialog', (d) => d.accept());
  await page.click('#tab-rules');
  await page.click('#rule-new');
  await page.fill('#rule-form input[name="name"]', 'KLM flights');
  const cond = page.locator('#rule-groups .condition').first();
  await cond.locator('.c-type').selectOption('callsign');
  await cond.locator('.c-op').selectOption('regex');
  await cond.locator('.c-value').fill('(KLM');
  await page.click('#rule-form button[type="submit"]');
  await page.locator('#rule-error').waitFor();
  assert.match(await page.textContent('#rule-error'), /conditions\.groups\[0\]\.conditions\[0\]\.value: .*regex/);
  assert.equal(await cond.locator('.c-value').getAttribute('aria-invalid'), 'true');
  assert.match(await cond.locator('.field-error').textContent(), /regex/);
  await shot(page, 'rule-error');
  // A number where a number belongs: altitude "high" is refused by the server, named in place.
  await cond.locator('.c-type').selectOption('altitude');
  await cond.locator('.c-op').selectOption('lt');
  await cond.locator('.c-value').fill('high');
  await page.click('#rule-form button[type="submit"]');
  await until(page, () => /needs a number/.test(document.getElementById('rule-error').textContent));
  await cond.locator('.c-type').selectOption('callsign');
  await cond.locator('.c-op').selectOption('regex');
  await cond.locator('.c-value').fill('^KLM');
  await page.click('#rule-form button[type="submit"]');
  await until(page, () => document.getElementById('rule-form').hidden);
  const rule = page.locator('#rules li.rule', { hasText: 'KLM flights' });
  await rule.waitFor();
  const ruleId = await rule.getAttribute('data-id');
  // Toggle off, reload the list from the server: it stays off.
  await rule.locator('input[type="checkbox"]').uncheck();
  await sleep(300);
  await page.click('#tab-aircraft');
  await page.click('#tab-rules');
  await until(page, (id) => document.querySelector(`#rules li[data-id="${id}"] input`)?.checked === false, ruleId);
  // Edit: rename.
  await page.locator(`#rules li[data-id="${ruleId}"]`).getByRole('button', { name: 'Edit' }).click();
  await page.fill('#rule-form input[name="name"]', 'KLM and friends');
  await page.click('#rule-form button[type="submit"]');
  await page.locator('#rules li.rule', { hasText: 'KLM and friends' }).waitFor();
  await page.locator(`#rules li[data-id="${ruleId}"]`).getByRole('button', { name: 'Delete' }).click();
  await until(page, (id) => !document.querySelector(`#rules li[data-id="${id}"]`), ruleId);
  await page.close();
});

test('stats: charts and the polar range plot are drawn', async () => {
  const { page } = await open(daemon.url);
  await page.click('#tab-stats');
  await until(page, () => document.querySelectorAll('#panel-stats .uplot').length === 3);
  await until(page, () => /msg\/s/.test(document.getElementById('stats-now').textContent), null, 15000);
  // Each band's source, healthy, from the same stats:tick.
  const radios = await page.$$eval('#stats-radios li', (li) => li.map((l) => [l.dataset.band, l.className, l.textContent]));
  assert.deepEqual(radios.map(([band, cls]) => [band, cls]), [['1090', 'ok'], ['978', 'ok'], ['vhf', 'ok'], ['vdl2', 'ok']]);
  assert.ok(radios.every(([, , text]) => /simulator/.test(text) && /frames|ACARS blocks/.test(text)), JSON.stringify(radios));
  assert.match(radios[2][2], /^VHF \(10 channels around 130\.\d+ MHz\)/);
  assert.match(radios[3][2], /^VDL2 \(7 channels around 136\.\d+ MHz\).*VDL2 frames/);
  const polarPainted = await page.evaluate(() => {
    const c = document.getElementById('polar');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
    return n;
  });
  assert.ok(polarPainted > 1000, `polar plot has ${polarPainted} painted pixels`);
  await shot(page, 'stats');
  await page.close();
});

test('on a phone the panels sit under the map', async () => {
  const { page } = await open(daemon.url, { width: 390, height: 844 });
  const map = await page.locator('#map').boundingBox();
  const side = await page.locator('#panels').boundingBox();
  assert.ok(side.y >= map.y + map.height - 1, `panels at y=${side.y}, map ends at ${map.y + map.height}`);
  assert.ok(side.width <= 390);
  await shot(page, 'phone');
  await page.close();
});

test('a sequence gap asks for resync and the picture is rebuilt from the snapshot', async () => {
  const { page } = await open(daemon.url);
  await until(page, () => window.skyspy.store.aircraft.size >= 20);
  const result = await page.evaluate(async () => {
    const { store, conn } = window.skyspy;
    let snapshots = 0;
    conn.on('aircraft:snapshot', () => { snapshots += 1; });
    const resyncs = [];
    const emit = conn.emit.bind(conn);
    conn.emit = (event, data) => {
      if (event === 'resync') resyncs.push(data);
      emit(event, data);
    };
    // Lose one delta on the way in, as a dropped message would.
    const deliver = store.delta.bind(store);
    let dropped = false;
    store.delta = (d) => {
      if (!dropped) {
        dropped = true;
        return;
      }
      deliver(d);
    };
    const gapsBefore = store.gaps;
    await new Promise((r) => setTimeout(r, 1500));
    const server = await conn.request('aircraft-snapshot');
    const list = server.aircraft || [];
    return {
      gaps: store.gaps - gapsBefore,
      resyncs,
      snapshots,
      awaiting: store.awaitingSnapshot,
      missing: list.map((a) => a.hex).filter((h) => !store.aircraft.has(h)),
      extra: [...store.aircraft.keys()].filter((h) => !list.some((a) => a.hex === h)),
    };
  });
  assert.equal(result.gaps, 1);
  assert.deepEqual(result.resyncs, [{ topic: 'aircraft' }]);
  assert.equal(result.snapshots, 1);
  assert.equal(result.awaiting, false);
  assert.deepEqual(result.missing, []);
  assert.deepEqual(result.extra, []);
  await page.close();
});

test('private mode: the page asks for a token and connects with it', async () => {
  const d = await startDaemon({ aircraft: 5, config: '[api]\nauth = "private"\ntokens = ["correct horse battery"]\n' });
  const page = await browser.newPage();
  try {
    await page.goto(d.url);
    await until(page, () => document.getElementById('conn').dataset.state === 'unauthorized');
    assert.equal(await page.isVisible('#token-form'), true);
    await page.fill('#token', 'wrong token!');
    await page.click('#token-form button');
    await sleep(1000);
    assert.equal(await page.getAttribute('#conn', 'data-state'), 'unauthorized');
    await page.fill('#token', 'correct horse battery');
    await page.click('#token-form button');
    await until(page, () => document.getElementById('conn').dataset.state === 'connected');
    assert.equal(await page.isVisible('#token-form'), false);
  } finally {
    await page.close();
    await d.stop();
  }
});

test('stopping and restarting the server: the page reconnects and the picture comes back', async () => {
  // SIGTERM closes every connection from the server's side ("io server disconnect"), which
  // socket.io-client does not retry by itself; SIGKILL just drops the transport.
  let d = await startDaemon({ aircraft: 20 });
  const { page } = await open(d.url);
  try {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      await until(page, () => window.skyspy.store.aircraft.size >= 5);
      await page.evaluate(() => {
        window.t0 = performance.now();
        window.attempts = [];
        if (!window.recording) {
          window.recording = true;
          window.skyspy.conn.socket.io.on('reconnect_attempt', () => window.attempts.push(performance.now() - window.t0));
        }
      });
      await d.stop(signal);
      await until(page, () => document.getElementById('conn').dataset.state === 'reconnecting');
      await until(page, () => /attempt/.test(document.getElementById('conn').textContent), null, 10000);
      const opacity = await page.$eval('.aircraft-layer', (c) => Number(getComputedStyle(c).opacity));
      assert.ok(opacity < 1, 'the stale picture is dimmed');
      await shot(page, `reconnecting-${signal}`);
      if (signal === 'SIGKILL') {
        // Exponential backoff with ±50 % jitter: attempts after about 1, 2 and 4 s.
        await until(page, () => window.attempts.length >= 3, null, 15000);
        const t = await page.evaluate(() => window.attempts);
        const gaps = [t[0], t[1] - t[0], t[2] - t[1]];
        gaps.forEach((g, k) => {
          const base = 1000 * 2 ** k;
          assert.ok(g >= 0.5 * base - 100 && g <= 1.5 * base + 500, `attempt ${k + 1} after ${g.toFixed(0)} ms`);
        });
      }
      d = await startDaemon({ port: d.port, aircraft: 20, dir: d.dir });
      await until(page, () => document.getElementById('conn').dataset.state === 'connected', null, 40000);
      await until(page, () => document.querySelectorAll('#aircraft-table tbody tr[data-hex]').length >= 5, null, 20000);
    }
    await shot(page, 'reconnected');
  } finally {
    await page.close();
    await d.stop();
  }
});

test('ACARS: messages listed live, filtered by label and registration; a linked one selects its aircraft', async () => {
  const { page } = await open(daemon.url);
  try {
    await page.click('#tab-acars');
    await until(page, () => document.querySelectorAll('#acars li.acars-item').length >= 5, null, 20000);
    assert.equal(await page.isVisible('#acars-empty'), false);
    const first = await page.$eval('#acars li.acars-item', (li) => ({
      label: li.querySelector('.acars-label').textContent,
      who: li.querySelector('.kind').textContent,
    }));
    // The label filter keeps the messages it matches: that label's, and any whose flight,
    // registration or call sign holds the same characters (a label "10" matches flight
    // "KL1023" too), so every item shown carries the query and one has the label.
    await page.fill('#acars-filter', first.label);
    await until(page, (l) => {
      const items = [...document.querySelectorAll('#acars li.acars-item')];
      return items.length >= 1 &&
        items.some((li) => li.querySelector('.acars-label').textContent === l) &&
        items.every((li) => li.textContent.toUpperCase().includes(l.toUpperCase()));
    }, first.label);
    // The registration filter: one aircraft's messages.
    const registration = first.who.split(' · ')[0];
    await page.fill('#acars-filter', registration);
    await until(page, (r) => {
      const who = [...document.querySelectorAll('#acars .kind')].map((e) => e.textContent);
      return who.length >= 1 && who.every((x) => x.includes(r));
    }, registration);
    // Both carriers, and the carrier filter: VDL2's messages only, each with its ground station.
    await page.fill('#acars-filter', 'VDL2');
    await until(page, () => {
      const items = [...document.querySelectorAll('#acars li.acars-item')];
      return items.length >= 1 && items.every((li) => li.dataset.source === 'vdlm2' &&
        li.querySelector('.acars-source').textContent === 'VDL2' && /Ground station [0-9A-F]{6}/.test(li.textContent));
    }, null, 20000);
    await page.fill('#acars-filter', '');
    await until(page, () => document.querySelector('#acars li.acars-item[data-source="acars"]'), null, 20000);
    // A message linked to a tracked aircraft selects it: the map, and its details with its
    // own messages.
    await page.locator('#acars li.acars-item[data-icao]').first().waitFor({ timeout: 20000 });
    const [id, hex] = await page.$eval('#acars li.acars-item[data-icao]', (li) => [li.dataset.id, li.dataset.icao]);
    await page.locator(`#acars li[data-id="${id}"]`).getByRole('button').click();
    await until(page, (h) => window.skyspy.map.selected === h && !document.getElementById('details').hidden, hex);
    await until(page, (i) => !document.getElementById('details-acars').hidden &&
      [...document.querySelectorAll('#details-acars-list li')].some((li) => li.dataset.id === i), id);
    const icaos = await page.$$eval('#details-acars-list li', (lis) => lis.map((li) => li.dataset.icao));
    assert.ok(icaos.every((i) => i === hex), `details list only ${hex}'s messages: ${icaos}`);
    await shot(page, 'acars');
  } finally {
    await page.close();
  }
});

test('a 978 MHz replay: UAT aircraft, and FIS-B reports listed with their shapes on the map', async () => {
  const file = join(root, '../shared/testdata/uat/synthetic/uat-synth-mixed.cu8');
  const d = await startDaemon({
    args: ['--replay', file, '--band', '978', '--loop', '--lat', '37.46', '--lon', '-122.11'],
  });
  const { page, requests } = await open(d.url);
  try {
    await until(page, () => window.skyspy.store.aircraft.get('a66ef1')?.source_band === '978');
    await page.click('#tab-airspace');
    await page.locator('#airspace li[data-id*="KSCK"]').waitFor({ timeout: 20000 });
    assert.equal(await page.isVisible('#airspace-empty'), false);
    const shapes = await page.evaluate(() => document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-overlay-pane canvas').length);
    assert.ok(shapes > 0, 'shapes drawn on the map');
    await page.locator('#airspace li[data-id*="KSCK"]').getByRole('button', { name: 'Show on map' }).click();
    await until(page, () => window.skyspy.map.map.getZoom() >= 9);
    await shot(page, 'airspace');
    const origin = new URL(d.url).origin;
    assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), []);
  } finally {
    await page.close();
    await d.stop();
  }
});

test('a source that stops delivering shows as unavailable in the stats panel', async () => {
  // The daemon replays a FIFO: it gets two seconds of IQ, then nothing (the writer stays
  // open, so there is no end of file) — what a dongle that stops delivering looks like.
  const dir = mkdtempSync(join(tmpdir(), 'skyspy-ui-stall-'));
  const fifo = join(dir, 'iq.fifo');
  const iq = join(dir, 'two-seconds.cu8');
  execFileSync('mkfifo', [fifo]);
  execFileSync(BIN, ['simulate', iq, '--seconds', '2', '--aircraft', '10']);
  const writer = openFile(fifo, 'w');
  const d = await startDaemon({ dir, config: '[api]\nstats_hz = 1\n', args: ['--replay', fifo] });
  const fd = await writer;
  const writing = fd.writeFile(readFileSync(iq));
  const { page } = await open(d.url);
  try {
    await page.click('#tab-stats');
    const row = (cls) => document.querySelector(`#stats-radios li[data-band="1090"].${cls}`)?.textContent;
    await until(page, row, 'ok');
    await writing;
    const text = await until(page, row, 'bad', 15000);
    assert.match(text, /unavailable: stalled/);
    await shot(page, 'stalled');
  } finally {
    await page.close();
    await fd.close();
    await d.stop();
  }
});

test('the bundle is under 1 MB gzipped', async () => {
  const names = ['', 'app.js', 'app.css', 'basemap.json'];
  const sizes = {};
  for (const n of names) {
    sizes[n || 'index.html'] = await new Promise((ok, fail) => {
      httpRequest(daemon.url + n, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-encoding'], 'gzip');
        let bytes = 0;
        res.on('data', (c) => { bytes += c.length; });
        res.on('end', () => ok(bytes));
      }).on('error', fail).end();
    });
  }
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  writeFileSync(join(ARTIFACTS, 'bundle-size.json'), JSON.stringify({ ...sizes, total }, null, 1));
  console.log(`bundle gzipped: ${JSON.stringify(sizes)} total ${total} bytes`);
  assert.ok(total < 1_000_000, `${total} bytes gzipped`);
});

test('audio: voice channels with meters, a transmission whose clip plays, live listening', async () => {
  const { page, requests } = await open(daemon.url);
  try {
    await page.click('#tab-audio');
    // The voice channels, each with a meter and a live toggle, from `stats` (polled).
    await until(page, () => document.querySelectorAll('#audio-channels li.audio-channel [role="meter"]').length >= 1, null, 20000);
    assert.equal(await page.isVisible('#audio-channels-empty'), false);
    const channels = await page.$$eval('#audio-channels li.audio-channel', (lis) => lis.map((li) => li.dataset.frequency));
    // The first transmission takes the simulator some tens of seconds.
    const item = page.locator('#audio-list li.audio-item').first();
    await item.waitFor({ timeout: 60000 });
    assert.equal(await page.isVisible('#audio-empty'), false);
    const row = await item.evaluate((li) => ({ id: li.dataset.id, frequency: li.dataset.frequency, src: li.querySelector('button.play').dataset.src }));
    assert.match(row.src, /^\/audio\/clips\/\d+\.flac$/);
    assert.ok(channels.some((f) => Math.abs(Number(f) - Number(row.frequency)) < 1e-4), `${row.frequency} among ${channels}`);
    // The clip, fetched by the page: FLAC.
    const clip = await page.evaluate(async (src) => {
      const r = await fetch(src);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), bytes: b.length, magic: String.fromCharCode(...b.slice(0, 4)) };
    }, row.src);
    assert.equal(clip.status, 200);
    assert.match(clip.type, /^audio\/flac/);
    assert.equal(clip.magic, 'fLaC');
    // The play button plays it in the page's <audio> element.
    const play = page.locator(`#audio-list li[data-id="${row.id}"] button.play`);
    await play.click();
    await until(page, (src) => {
      const a = document.getElementById('audio-player');
      return a.src.endsWith(src) && a.duration > 0;
    }, row.src, 10000);
    // Live: every channel's toggle (each talks every 20 s or so on average, irregularly, so
    // one channel alone can be silent for over a minute); PCM arrives while a squelch opens.
    const toggles = page.locator('#audio-channels button.listen');
    const t0 = Date.now();
    for (const toggle of await toggles.all()) {
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    }
    assert.equal(await page.evaluate(() => window.__skyspyAudio.contexts), 1, 'one AudioContext, made on the first click');
    // The server's `listening` answer names every channel.
    await until(page, (n) => window.skyspy.audio.listening.size === n, channels.length, 5000);
    await until(page, () => window.__skyspyAudio.liveChunks >= 1 && window.__skyspyAudio.liveBytes > 0, null, 60000);
    const live = await page.evaluate(() => {
      const d = window.__skyspyAudio;
      return { chunks: d.liveChunks, bytes: d.liveBytes, type: d.pcmType, scheduled: d.scheduled, state: d.context.state };
    });
    assert.equal(live.type, 'ArrayBuffer', 'pcm arrives as a binary attachment');
    console.log(`audio: first live chunk within ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(live)}`);
    await shot(page, 'audio');
    const origin = new URL(daemon.url).origin;
    assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), []);
  } finally {
    await page.close();
  }
});
