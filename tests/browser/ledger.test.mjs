// Browser test of the open ledger page: a resident's phone opens /ledger/xinzhou without
// logging in, sees the accounts and entries, presses "verify" on an entry and the browser
// itself checks the inclusion proof and the head's Ed25519 signature. Then a resident follows
// the link to the spending proposals, logs in with a code, registers their home, comments on
// a proposal under review and, once the community confirms them as an owner, votes on another.
// Against a server of its own (see harness.mjs); in --demo the log-in code is in the server's log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as harness from './harness.mjs';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, phone, base, browser, sleep, useServer } from './harness.mjs';

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

async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${harness.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function codeFromLog() {
  for (let i = 0; i < 50; i++) {
    const all = [...harness.serverLog.matchAll(/code=(\d{6})/g)];
    if (all.length) return all[all.length - 1][1];
    await sleep(100);
  }
  throw new Error('no log-in code in the server log');
}

test('a resident registers their home, comments on a proposal and votes on another', { timeout: TEST_MS }, async () => {
  const proposal = (item, amount) => ({
    community: 'xinzhou',
    answers: { item, reasons: '钢丝绳磨损超标，维保单位建议更换', account: 'maintenance_fund', amount, payee: '深圳市安达电梯工程有限公司' },
  });
  const small = await api('POST', '/api/v1/apps/ti-ping-jue-fu/submissions', proposal('更换 3 栋电梯钢丝绳', '12800.50'));
  const large = await api('POST', '/api/v1/apps/ti-ping-jue-fu/submissions', proposal('外墙翻新', '80000'));
  await api('POST', `/api/v1/cases/${large.id}/actions`, { action: 'complete', answers: { decision: 'approve', eligible_voters: 3 } });

  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    // From the books to the proposals, to one of them.
    await page.goto(`${base}/ledger/xinzhou`, { timeout: NAV_MS });
    await page.click('#proposals-link a');
    await page.waitForSelector('ol.proposals');
    await page.screenshot({ path: join(artifacts, 'proposals.png'), fullPage: true });
    await page.click(`a[href="/ledger/xinzhou/proposals/${small.id}"]`);
    assert.match(await page.textContent('h1'), /更换 3 栋电梯钢丝绳/);
    assert.match(await page.textContent('.stage'), /评议/);
    // Log in from the page, register the home, and come back to comment.
    await page.click('text=登录后发表评论');
    await page.fill('#phone', '13812345678');
    await page.click('button[type=submit]');
    await page.waitForSelector('#code');
    await page.fill('#code', await codeFromLog());
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/ledger/xinzhou/proposals/${small.id}`, { timeout: NAV_MS });
    await page.click('text=登记我的住址');
    await page.selectOption('#community', 'xinzhou');
    await page.fill('#building', '3号楼');
    await page.fill('#room', '1201');
    await page.click('#home-form button[type=submit]');
    await page.waitForURL(`${base}/ledger/xinzhou/proposals/${small.id}`, { timeout: NAV_MS });
    await page.fill('#comment-text', '同意更换，施工期间请在电梯口张贴通知。');
    await page.click('#comment-form button[type=submit]');
    await page.waitForSelector('ol.comments li');
    const comments = await page.textContent('ol.comments');
    assert.match(comments, /居民 · 3号楼/);
    assert.match(comments, /张贴通知/);
    assert.doesNotMatch(await page.content(), /13812345678|138\*\*\*\*5678|1201/);
    await page.screenshot({ path: join(artifacts, 'proposal-comment.png'), fullPage: true });

    // The vote: not yet an owner; once the community confirms, the ballot.
    await page.goto(`${base}/ledger/xinzhou/proposals/${large.id}`, { timeout: NAV_MS });
    assert.match(await page.textContent('#vote'), /业主投票/);
    assert.equal(await page.locator('#ballot').count(), 0);
    // The community's admin confirms them on the owners' register.
    const staff = await browser.newContext(phone);
    try {
      const admin = await staff.newPage();
      admin.setDefaultTimeout(ACTION_MS);
      await admin.goto(`${base}/login?next=/work/owners`, { timeout: NAV_MS });
      await admin.fill('#login', 'xinzhou');
      await admin.fill('#password', 'Baida-demo-2026');
      await admin.click('button[type=submit]');
      await admin.waitForSelector('#owners');
      const row = admin.locator('#owners tr', { hasText: '3号楼' });
      assert.match(await row.textContent(), /138\*\*\*\*5678/);
      await row.locator('button[type=submit]').click();
      await admin.locator('#owners tr', { hasText: '3号楼' }).getByText('已确认').waitFor();
      await admin.screenshot({ path: join(artifacts, 'owners-register.png'), fullPage: true });
    } finally {
      await staff.close();
    }
    await page.reload();
    await page.check('#ballot input[value=yes]');
    await page.click('#ballot button[type=submit]');
    await page.waitForSelector('#voted');
    assert.match(await page.textContent('#voted'), /您已投票/);
    assert.match(await page.textContent('#vote-closes'), /截止时间/);
    await page.screenshot({ path: join(artifacts, 'proposal-voted.png'), fullPage: true });

    // English.
    await page.goto(`${base}/ledger/xinzhou/proposals/${small.id}?lang=en`, { timeout: NAV_MS });
    assert.match(await page.textContent('#comments'), /Residents' comments/);
    assert.match(await page.textContent('ol.comments'), /Resident · 3号楼/);
    await page.screenshot({ path: join(artifacts, 'proposal-en.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
