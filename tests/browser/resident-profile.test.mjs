// Browser test of "enter once, many share": a resident logs in with a code, allows sharing,
// files 民意速办 with their name and phone, then opens 新邻护航 and finds them filled in, with a
// note saying they come from the profile; the profile page lists the read. Against a server of
// its own (see harness.mjs); in --demo the log-in code is printed to the server's log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as harness from './harness.mjs';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, base, browser, phone, sleep, useServer } from './harness.mjs';

useServer();

async function codeFromLog() {
  for (let i = 0; i < 50; i++) {
    const all = [...harness.serverLog.matchAll(/code=(\d{6})/g)];
    if (all.length) return all[all.length - 1][1];
    await sleep(100);
  }
  throw new Error('no log-in code in the server log');
}

test('a resident shares their profile and a second app is filled from it', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/my/login`, { timeout: NAV_MS });
    await page.fill('#phone', '13812345678');
    await page.click('button[type=submit]');
    await page.waitForSelector('#code');
    await page.fill('#code', await codeFromLog());
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/my`, { timeout: NAV_MS });
    await page.click('text=我的共享档案');
    await page.check('input[name=level][value=personal]');
    await page.click('#consent button[type=submit]');
    await page.waitForURL(`${base}/my/profile`);
    assert.ok(await page.isChecked('input[name=level][value=personal]'));

    // File 民意速办 with a name and phone (as the form would post it).
    const r = await page.request.post(`${base}/a/xinzhou/minyi-suban`, {
      headers: { origin: base },
      multipart: {
        category: 'city_appearance', subcategory: 'garbage', title: '东门垃圾没人清运',
        description: '东门垃圾桶满溢已经三天了，气味很大', 'location.lon': '114.0513', 'location.lat': '22.5121',
        'location.address': '新洲花园东门', anonymous: 'no', contact_name: '李明', contact_phone: '13812345678',
      },
      maxRedirects: 0,
    });
    assert.equal(r.status(), 303, await r.text());

    await page.goto(`${base}/a/xinzhou/xinlin-huhang`, { timeout: NAV_MS });
    await page.waitForSelector('#profile-note');
    assert.match(await page.textContent('#profile-note'), /来自您的个人档案/);
    assert.equal(await page.inputValue('#f-name'), '李明');
    await page.screenshot({ path: join(artifacts, 'profile-prefill.png'), fullPage: true });
    await page.click('#profile-note a');
    await page.waitForSelector('#profile-reads');
    assert.match(await page.textContent('#profile-reads'), /xinlin-huhang/);
    await page.screenshot({ path: join(artifacts, 'profile-page.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
