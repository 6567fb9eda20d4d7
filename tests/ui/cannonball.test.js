// The cannonball phone page in headless Chromium: a phone-sized page whose geolocation is
// faked and moved along the road of the simulator's cannonball scenario (played at 8x), toward
// the circling police helicopter. It must show the threat level's colour, the arrow and the
// distance the server computes, and the rest as a list; the main UI links to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, launchBrowser, startDaemon, until, sleep } from './harness.js';

const LAT = 52.31;
const LON = 4.76;
const at = (x, y) => ({ latitude: LAT + y / 60, longitude: LON + x / (60 * Math.cos(LAT * Math.PI / 180)) });

let browser;
let daemon;
before(async () => {
  browser = await launchBrowser();
  daemon = await startDaemon({
    aircraft: 10,
    config: `[receiver]\nlat = ${LAT}\nlon = ${LON}\n[simulator]\nspeed = 8.0\nuat_aircraft = 0\nfisb = false\nvhf = false\nvdl2 = false\n`,
  });
});
after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the phone page follows a car along the road and shows the police helicopter as it nears', async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    geolocation: at(-4, 0),
    permissions: ['geolocation'],
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${daemon.url}cannonball.html`);
  // 4 nm west of the receiver: the helicopter's orbit (3 nm east) is 7 nm away: info.
  await until(page, () => /aircraft of interest within 25 nm/.test(document.getElementById('cb-state').textContent));
  const levels = new Set();
  // Drive east along the road toward the orbit, 1 nm a step.
  for (let x = -4; x <= 3; x += 1) {
    await context.setGeolocation(at(x, 0));
    await sleep(1500);
    const seen = await page.evaluate(() => ({
      level: document.getElementById('cb-top').dataset.level,
      distance: document.getElementById('cb-distance').textContent,
      what: document.getElementById('cb-what').textContent,
      arrow: document.getElementById('cb-arrow').style.transform,
    }));
    levels.add(seen.level);
    if (seen.level !== 'none') {
      assert.match(seen.distance, /^\d+\.\d nm (N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW)$/);
      assert.match(seen.arrow, /^rotate\(-?\d+(\.\d+)?deg\)$/);
    }
  }
  const top = await page.evaluate(() => ({
    level: document.getElementById('cb-top').dataset.level,
    what: document.getElementById('cb-what').textContent,
    colour: getComputedStyle(document.getElementById('cb-arrow')).color,
  }));
  // On the road next to the orbit: law enforcement within 2 nm.
  assert.equal(top.level, 'critical', JSON.stringify(top));
  assert.match(top.what, /Law enforcement helicopter · EC35 · KLPD Police Aviation · PH-PXA/);
  assert.equal(top.colour, 'rgb(255, 59, 59)');
  assert.ok(levels.has('info') || levels.has('warning'), `levels seen on the way: ${[...levels]}`);
  assert.equal(await page.locator('#cb-manual').isHidden(), true, 'GPS works: no manual entry');
  const rest = await page.locator('#cb-list li').count();
  assert.ok(rest >= 1, 'the other aircraft of interest are listed');
  await page.screenshot({ path: join(ARTIFACTS, 'cannonball-phone.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the main page links to the phone page and its About box credits the database', async () => {
  const page = await browser.newPage();
  await page.goto(daemon.url);
  assert.equal(await page.locator('a[href="cannonball.html"]').count(), 1);
  await page.click('#about-open');
  const about = await page.locator('#about-db').textContent();
  assert.match(about, /plane-alert-db/);
  assert.match(about, /Open Database License/);
  await page.close();
});
