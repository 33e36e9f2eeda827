// The browser tests' shared harness: `useServer()` starts its own `baida serve --demo` (binary from BAIDA_BIN, default
// ~/.cache/baida-target/debug/baida) on a free port with a fresh data folder, drives Debian's
// Chromium through playwright-core, and writes screenshots to tests/browser/artifacts/.
// Every wait is bounded; the server is killed at the end, also when a test fails.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, 'artifacts');
export const bin = process.env.BAIDA_BIN || join(homedir(), '.cache', 'baida-target', 'debug', 'baida');
export const chromiumPath = process.env.BAIDA_CHROMIUM || '/usr/bin/chromium';
export const adminToken = randomBytes(16).toString('hex');

export const SERVER_START_MS = 30_000;
export const ACTION_MS = 10_000;
export const NAV_MS = 20_000;
export const TEST_MS = 120_000;

export const phone = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
  locale: 'zh-CN',
};

/** @type {import('node:child_process').ChildProcess | undefined} */
let server;
export let serverLog = '';
let dataDir;
export let base;
/** @type {import('playwright-core').Browser | undefined} */
export let browser;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Last resort: never leave the server running, whatever ends this process.
const killServerNow = () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
};
process.on('exit', killServerNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killServerNow();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]);
  });
}

/** Starts the server on port 0 and resolves with the address it prints. */
function startServer() {
  return new Promise((resolve, reject) => {
    const args = ['serve', '--demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--admin-token', adminToken];
    server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const timer = setTimeout(
      () => reject(new Error(`server did not print its address within ${SERVER_START_MS} ms:\n${serverLog}`)),
      SERVER_START_MS,
    );
    const onData = (chunk) => {
      serverLog += chunk;
      const m = /serving at (http:\/\/[^\s]+)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    server.stdout.setEncoding('utf8').on('data', onData);
    server.stderr.setEncoding('utf8').on('data', (c) => { serverLog += c; });
    server.once('error', (e) => { clearTimeout(timer); reject(e); });
    server.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${sig}):\n${serverLog}`));
    });
  });
}

async function waitForHealth() {
  const deadline = Date.now() + SERVER_START_MS;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(200);
  }
  throw new Error(`/healthz did not answer within ${SERVER_START_MS} ms (${last}):\n${serverLog}`);
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])) return;
  server.kill('SIGKILL');
  await Promise.race([exited, sleep(5_000)]);
}

/** Starts the server and Chromium before the file's tests, and stops both after them. */
export function useServer() {
before(async () => {
  assert.ok(existsSync(bin), `server binary not found at ${bin}: build it with
  CARGO_TARGET_DIR=$HOME/.cache/baida-target cargo build -p baida
or set BAIDA_BIN`);
  await mkdir(artifacts, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'baida-browser-'));
  base = await startServer();
  await waitForHealth();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    timeout: 30_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  try {
    if (browser) await Promise.race([browser.close(), sleep(10_000)]);
  } finally {
    await stopServer();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
});
}
