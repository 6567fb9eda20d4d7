// Test harness: starts the real daemon (target/release/skyspy) on a free loopback port and
// Debian's Chromium through playwright-core. No browser is downloaded; nothing leaves the host.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.SKYSPY_BIN || join(root, 'target/release/skyspy');
export const ARTIFACTS = process.env.UI_ARTIFACTS || join(root, 'target/ui-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
  });
}

export async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/// Starts `skyspy run` with the simulator; resolves once `/` answers.
export async function startDaemon({ port, aircraft = 40, config = '', dir, args: source } = {}) {
  port = port || (await freePort());
  dir = dir || mkdtempSync(join(tmpdir(), 'skyspy-ui-'));
  const cfg = join(dir, 'skyspy.toml');
  writeFileSync(cfg, `[alerts]\nrules_file = "${join(dir, 'rules.json')}"\n${config}`);
  const args = ['run', '--config', cfg, '--listen', `127.0.0.1:${port}`,
    ...(source || ['--simulate', '--aircraft', String(aircraft)])];
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log = (log + d).slice(-20000); });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`skyspy exited (${child.exitCode}): ${log}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`skyspy did not answer on ${url}: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port, url, dir, child,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await done;
    },
  };
}

/// Waits until `fn()` (run in the page) is truthy; returns its value.
export async function until(page, fn, arg, timeout = 20000) {
  const h = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return h.jsonValue();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
