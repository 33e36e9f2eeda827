// Browser test of the open ledger page: a resident's phone opens /ledger/xinzhou without
// logging in, sees the accounts and entries, presses "verify" on an entry and the browser
// itself checks the inclusion proof and the head's Ed25519 signature. Against a server of its
// own (see harness.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, phone, base, browser, useServer } from './harness.mjs';

useServer();

test('anyone reads the books and verifies an entry in the browser', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    const response = await page.goto(`${base}/ledger/xinzhou`, { timeout: NAV_MS });
    assert.equal(response.status(), 200);
    assert.match(await page.textContent('h1'), /新洲社区 · 公开账本/);
    assert.match(await page.textContent('table.ledger'), /维修资金/);
    assert.match(await page.textContent('table.ledger'), /120000\.00/);
    const first = page.locator('li.entry').first();
    await first.locator('button.verify').click();
    await first.locator('.verdict.ok').waitFor();
    assert.match(await first.locator('.verdict').textContent(), /✓ 已验证/);
    await page.screenshot({ path: join(artifacts, 'ledger.png'), fullPage: true });
    // An entry whose proof does not fit the head is refused: the page's checker is not a rubber stamp.
    await page.route('**/api/v1/ledger/entries/*/proof', async (route) => {
      const real = await (await route.fetch()).json();
      real.leaf_data = real.leaf_data.replace(/"amount_fen":\d+/, '"amount_fen":1');
      await route.fulfill({ json: real });
    });
    const second = page.locator('li.entry').nth(1);
    await second.locator('button.verify').click();
    await second.locator('.verdict.bad').waitFor();
    assert.match(await second.locator('.verdict').textContent(), /✗ 验证失败/);
    // English.
    await page.goto(`${base}/ledger/xinzhou?lang=en`, { timeout: NAV_MS });
    assert.match(await page.textContent('h1'), /Xinzhou Community · Open ledger/);
    await page.screenshot({ path: join(artifacts, 'ledger-en.png') });
  } finally {
    await context.close();
  }
});
