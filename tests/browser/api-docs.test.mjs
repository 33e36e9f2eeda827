// Browser test of the API page (/api/docs) on a phone: every operation readable without
// sideways scrolling, grouped by tag, zh-CN first and English with ?lang=en, no script; and
// the language kept by the baida_lang cookie once chosen. Plus a resident who types their phone
// number in full-width digits (a Chinese input method left in full-width mode) and logs in.
// Against a server of its own (see harness.mjs); in --demo the log-in code is printed to the
// server's log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as harness from './harness.mjs';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, base, browser, phone, sleep, useServer } from './harness.mjs';

useServer();

test('the API page reads on a phone, in Chinese then in English', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/api/docs`, { timeout: NAV_MS });
    assert.equal(await page.textContent('h1'), '接口文档');
    const op = page.locator('article.api-op', { hasText: '/api/v1/apps/{app}/submissions' }).filter({ hasText: 'POST' });
    assert.equal(await op.count(), 1);
    assert.match(await op.textContent(), /SubmissionBody/);
    assert.match(await op.textContent(), /201/);
    assert.equal(await page.locator('script').count(), 0, 'no script on the page');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
    await page.screenshot({ path: join(artifacts, 'api-docs-phone.png') });
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'api-docs-phone-submissions.png') });

    // English, and then kept: the start page without ?lang= stays English.
    await page.click('a.lang');
    await page.waitForURL(/lang=en/);
    assert.equal(await page.textContent('h1'), 'API reference');
    await page.screenshot({ path: join(artifacts, 'api-docs-phone-en.png') });
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'baida_lang' && c.value === 'en'), JSON.stringify(cookies));
    await page.goto(`${base}/`, { timeout: NAV_MS });
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
  } finally {
    await context.close();
  }
});

async function codeFromLog() {
  for (let i = 0; i < 50; i++) {
    const all = [...harness.serverLog.matchAll(/code=(\d{6})/g)];
    if (all.length) return all[all.length - 1][1];
    await sleep(100);
  }
  throw new Error('no log-in code in the server log');
}

test('a resident types a full-width phone number and logs in', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/my/login`, { timeout: NAV_MS });
    await page.fill('#phone', '１３９ ８７６５ ４３２１');
    await page.click('button[type=submit]');
    await page.waitForSelector('#code');
    assert.match(await page.textContent('main'), /139\*\*\*\*4321/);
    await page.fill('#code', await codeFromLog());
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/my`, { timeout: NAV_MS });
    await page.screenshot({ path: join(artifacts, 'full-width-phone-logged-in.png') });
  } finally {
    await context.close();
  }
});
