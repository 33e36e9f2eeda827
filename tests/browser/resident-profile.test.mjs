// Browser test of "enter once, many share": a resident logs in with a code, allows sharing,
// files 民意速办 with their name and phone, then opens 新邻护航 and finds them filled in, with a
// note saying they come from the profile; the profile page lists the read. Then they register
// their home, the community admin confirms it, a grid worker fills 新邻护航 for them from the workbench (pre-filled from their
// profile), and the resident sees the case, the worker's read and their household's address. Against a server of
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
    await page.check('#assisted-consent input');
    await page.click('#consent button[type=submit]');
    await page.waitForURL(`${base}/my/profile`);
    assert.ok(await page.isChecked('input[name=level][value=personal]'));
    assert.ok(await page.isChecked('#assisted-consent input'));

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
    assert.match(await page.textContent('#profile-reads'), /新邻护航/);
    await page.screenshot({ path: join(artifacts, 'profile-page.png'), fullPage: true });

    // The resident registers their home: household facts will be shared there.
    await page.goto(`${base}/my/home`, { timeout: NAV_MS });
    await page.selectOption('#community', 'xinzhou');
    await page.fill('#building', '3号楼');
    await page.fill('#room', '1201');
    await page.click('#home-form button[type=submit]');
    await page.waitForURL(`${base}/my/home`);
    // Until the community confirms the home, nothing of a household is shared.
    await page.goto(`${base}/my/profile`, { timeout: NAV_MS });
    await page.waitForSelector('#home-unconfirmed');
    await page.screenshot({ path: join(artifacts, 'profile-home-unconfirmed.png'), fullPage: true });

    // The community admin confirms them at that home (the register at /work/owners).
    const office = await browser.newContext(phone);
    const admin = await office.newPage();
    admin.setDefaultTimeout(ACTION_MS);
    try {
      await admin.goto(`${base}/login?next=/work/owners`, { timeout: NAV_MS });
      await admin.fill('#login', 'xinzhou');
      await admin.fill('#password', 'Baida-demo-2026');
      await admin.click('button[type=submit]');
      await admin.waitForURL(/\/work\/owners/, { timeout: NAV_MS });
      await admin.click('tr:has-text("3号楼") button[type=submit]');
      await admin.waitForSelector('tr:has-text("3号楼") >> text=✓');
    } finally {
      await office.close();
    }

    // A grid worker, on a visit, fills 新邻护航 for them from the workbench.
    const staff = await browser.newContext(phone);
    const worker = await staff.newPage();
    worker.setDefaultTimeout(ACTION_MS);
    try {
      await worker.goto(`${base}/login?next=/work`, { timeout: NAV_MS });
      await worker.fill('#login', 'grid1');
      await worker.fill('#password', 'Baida-demo-2026');
      await worker.click('button[type=submit]');
      await worker.waitForURL(`${base}/work`, { timeout: NAV_MS });
      await worker.screenshot({ path: join(artifacts, 'work-assist.png'), fullPage: true });
      await worker.click('#assist-forms >> text=新邻护航');
      await worker.waitForSelector('#assist');
      await worker.fill('#assist input[name=for]', '13812345678');
      await worker.click('#assist button[type=submit]');
      await worker.waitForSelector('#profile-note');
      assert.match(await worker.textContent('#profile-note'), /138\*\*\*\*5678/);
      assert.equal(await worker.inputValue('#f-name'), '李明');
      await worker.fill('#f-id_number', '11010519491231002X');
      await worker.fill('#f-move_in_date', '2026-10-01');
      await worker.fill('#f-address', '新洲花园 3号楼 1201');
      await worker.check('input[name=consent][value=yes]');
      await worker.screenshot({ path: join(artifacts, 'profile-assist.png'), fullPage: true });
      await worker.click('form[enctype] button.primary');
      await worker.waitForURL(/\/my\/cases\//, { timeout: NAV_MS });
    } finally {
      await staff.close();
    }

    // The resident finds the case among theirs, the worker's read in the log, and the
    // address in their household's profile.
    await page.goto(`${base}/my`, { timeout: NAV_MS });
    assert.match(await page.textContent('main'), /新邻护航/);
    await page.goto(`${base}/my/profile`, { timeout: NAV_MS });
    assert.match(await page.textContent('#profile-reads'), /网格员 王磊 代您填写时读取/);
    assert.match(await page.textContent('#household-values'), /新洲花园 3号楼 1201/);
    await page.screenshot({ path: join(artifacts, 'profile-household.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
