// Browser test of a register (台账) on a phone: a grid worker finds the register from the
// workbench, adds a row (a bad phone number is named at its field first), finds it by search,
// changes it and reads its history; the community admin imports a spreadsheet with a bad line
// (nothing written, the line and column named) and then a good one. Screenshots in artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, adminToken, base, browser, phone, useServer } from './harness.mjs';

useServer();

const volunteers = {
  id: 'volunteer-register', version: '1.0.0', name: { 'zh-CN': '志愿者服务', en: 'Volunteering' }, category: 'people',
  registers: [{
    id: 'volunteers', name: { 'zh-CN': '志愿者台账', en: 'Volunteers' }, key: 'phone',
    fields: [
      { key: 'phone', type: 'phone', label: { 'zh-CN': '手机号', en: 'Phone' }, required: true },
      { key: 'name', type: 'text', label: { 'zh-CN': '姓名', en: 'Name' }, required: true },
      { key: 'team', type: 'select', label: { 'zh-CN': '服务队', en: 'Team' },
        options: [{ value: 'elder', label: { 'zh-CN': '助老队', en: 'Elder care' } },
                  { value: 'repair', label: { 'zh-CN': '维修队', en: 'Repairs' } }] },
      { key: 'hours', type: 'number', label: { 'zh-CN': '服务时长', en: 'Hours' }, min: 0 },
    ],
  }],
  record: { fields: [{ key: 'note', type: 'text' }] },
  steps: [{ id: 'ask', block: 'form', config: {} }],
};

async function publish() {
  const r = await fetch(`${base}/api/v1/apps?owner=xinzhou`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(volunteers),
  });
  assert.equal(r.status, 201, await r.text());
}

async function logIn(page, username) {
  await page.goto(`${base}/login?next=/work`, { timeout: NAV_MS });
  await page.fill('#login', username);
  await page.fill('#password', 'Baida-demo-2026');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/work`, { timeout: NAV_MS });
}

test('a grid worker keeps a register on a phone; an admin imports a spreadsheet', { timeout: TEST_MS }, async () => {
  await publish();
  const context = await browser.newContext({ ...phone, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await logIn(page, 'grid1');
    await page.click('a[href="/work/registers"]');
    await page.click('text=志愿者台账');
    assert.match(await page.textContent('h1'), /志愿者台账/);
    assert.match(await page.textContent('#no-rows'), /没有符合条件的行/);

    // Add a row: a bad phone is named at its field, nothing written.
    await page.click('#add-row summary');
    await page.fill('#f-phone', '12345');
    await page.fill('#f-name', '李梅');
    await page.selectOption('#f-team', 'elder');
    await page.click('#add-row button[type=submit]');
    await page.waitForSelector('#error-summary');
    assert.match(await page.textContent('#error-summary'), /什么也没有写入/);
    assert.match(await page.textContent('#f-phone-wrap'), /手机/);
    await page.fill('#f-phone', '138 1234 5678');
    await page.fill('#f-hours', '2');
    await page.click('#add-row button[type=submit]');
    await page.waitForSelector('#notice');
    assert.match(await page.textContent('#notice'), /已新增一行/);

    // On a phone every row is a card with its labels.
    const card = page.locator('#rows tbody tr').first();
    assert.match(await card.textContent(), /李梅/);
    assert.match(await card.textContent(), /助老队/);
    assert.doesNotMatch(await card.textContent(), /2\.0/, 'a whole number as typed');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= phone.viewport.width + 1, `no sideways scrolling (${width}px)`);
    await page.screenshot({ path: join(artifacts, 'register-phone.png'), fullPage: true });

    // Find it, open it, change it, read its history.
    await page.fill('#q', '李梅');
    await page.click('form.search button[type=submit]');
    assert.match(await page.textContent('#rows-count'), /共 1 行/);
    await page.click('#rows tbody tr a');
    await page.click('#edit summary');
    await page.selectOption('#f-team', 'repair');
    await page.click('#edit form button[type=submit]');
    await page.waitForSelector('#notice');
    assert.match(await page.textContent('#values'), /维修队/);
    const history = await page.textContent('#history');
    assert.match(history, /修改/);
    assert.match(history, /助老队/);
    assert.match(history, /工作人员录入/);
    assert.match(history, /王磊/, 'who changed it, by name');
    await page.screenshot({ path: join(artifacts, 'register-row-phone.png'), fullPage: true });
  } finally {
    await context.close();
  }

  // The community admin imports: a bad line first (nothing written), then a good file.
  const admin = await browser.newContext({ ...phone, locale: 'zh-CN' });
  const ap = await admin.newPage();
  ap.setDefaultTimeout(ACTION_MS);
  try {
    await logIn(ap, 'xinzhou');
    await ap.goto(`${base}/work/registers/volunteer-register/volunteers`, { timeout: NAV_MS });
    const bad = join(artifacts, 'volunteers-bad.csv');
    writeFileSync(bad, '\ufeff手机号,姓名,服务队\n13800000001,张三,助老队\n1380000,王五,合唱队\n');
    await ap.click('#import summary');
    await ap.setInputFiles('#file', bad);
    await ap.click('#import button[type=submit]');
    await ap.waitForSelector('#error-summary');
    const problems = await ap.textContent('#error-summary');
    assert.match(problems, /第 3 行“手机号”/);
    assert.match(problems, /第 3 行“服务队”/);
    assert.match(await ap.textContent('#rows-count'), /共 1 行/, 'nothing was written');
    await ap.screenshot({ path: join(artifacts, 'register-import-error.png'), fullPage: true });
    assert.equal(await ap.locator('#import').getAttribute('open'), '', 'the import form stays open to try again');
    assert.equal(await ap.locator('#add-row').getAttribute('open'), null, 'the add-row form stays closed');
    const good = join(artifacts, 'volunteers-good.csv');
    writeFileSync(good, '手机号,姓名,服务队\n13800000001,张三,助老队\n13800000002,王五,维修队\n');
    await ap.setInputFiles('#file', good);
    await ap.click('#import button[type=submit]');
    await ap.waitForSelector('#notice');
    assert.match(await ap.textContent('#notice'), /新增 2/);
    assert.match(await ap.textContent('#rows-count'), /共 3 行/);
    assert.ok(await ap.locator('#export a[href$="export.xlsx"]').count(), 'the admin may export');
  } finally {
    await admin.close();
  }
});

test('a resident picks a free parking space on a phone; the space is then taken', { timeout: TEST_MS }, async () => {
  const app = {
    id: 'parking-pick', version: '1.0.0', name: { 'zh-CN': '车位申请', en: 'Parking permit' }, category: 'vehicles-parking',
    registers: [{ id: 'spaces', name: { 'zh-CN': '车位台账', en: 'Parking spaces' }, key: 'space_no',
      fields: [{ key: 'space_no', type: 'text', label: { 'zh-CN': '车位号', en: 'Space' }, required: true },
               { key: 'area', type: 'text', label: { 'zh-CN': '区域', en: 'Area' } },
               { key: 'free', type: 'yes_no', label: { 'zh-CN': '空闲', en: 'Free' } }] }],
    record: { fields: [{ key: 'space', type: 'relation', label: { 'zh-CN': '车位', en: 'Space' }, required: true,
                         register: 'spaces', filter: 'row.free == true', show: ['area'] },
                       { key: 'from', type: 'time', label: { 'zh-CN': '每天几点起停', en: 'Parked from' } },
                       { key: 'need', type: 'slider', label: { 'zh-CN': '急需程度', en: 'How urgent' }, min: 0, max: 10 }] },
    steps: [{ id: 'apply', block: 'form', config: {} },
            { id: 'take', block: 'register', config: { register: 'spaces', action: 'update', row: 'record.space.key', set: { free: 'false' } } }],
    transitions: [{ from: 'apply', to: 'take' }],
  };
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  let r = await fetch(`${base}/api/v1/apps?owner=xinzhou`, { method: 'POST', headers, body: JSON.stringify(app) });
  assert.equal(r.status, 201, await r.text());
  for (const [no, area, free] of [['B-1', '东区', true], ['B-2', '西区', true], ['B-3', '北区', false]]) {
    r = await fetch(`${base}/api/v1/apps/parking-pick/registers/spaces/rows`, { method: 'POST', headers,
      body: JSON.stringify({ unit: 'xinzhou', values: { space_no: no, area, free } }) });
    assert.equal(r.status, 201, await r.text());
  }
  const context = await browser.newContext({ ...phone, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/a/xinzhou/parking-pick`, { timeout: NAV_MS });
    const options = await page.locator('#f-space option').allTextContents();
    assert.deepEqual(options.slice(1), ['B-1 · 东区', 'B-2 · 西区'], 'only the free spaces, by number and area');
    await page.selectOption('#f-space', { label: 'B-2 · 西区' });
    assert.equal(await page.locator('#f-from').getAttribute('type'), 'time');
    await page.fill('#f-from', '18:30');
    assert.equal(await page.locator('#f-need').getAttribute('type'), 'range');
    await page.locator('#f-need').evaluate((el) => { el.value = '7'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    assert.equal(await page.textContent('output[for="f-need"]'), '7', 'the slider says its value');
    await page.screenshot({ path: join(artifacts, 'relation-form-phone.png'), fullPage: true });
    await page.click('button[type=submit]');
    await page.waitForURL(/\/my\/cases\/[^/?]+\?new=1$/, { timeout: NAV_MS });
    r = await fetch(`${base}/api/v1/apps/parking-pick/registers/spaces/rows?q=B-2`, { headers });
    const rows = await r.json();
    assert.equal(rows.rows[0].values.free, false, 'the space is taken by the case');
    r = await fetch(`${base}/api/v1/cases?app=parking-pick`, { headers });
    const filed = (await r.json()).items[0].record;
    assert.deepEqual([filed.from, filed.need, filed.space.key], ['18:30', 7, 'B-2']);
    await page.goto(`${base}/a/xinzhou/parking-pick`, { timeout: NAV_MS });
    assert.deepEqual((await page.locator('#f-space option').allTextContents()).slice(1), ['B-1 · 东区'], 'no longer offered');
  } finally {
    await context.close();
  }
});
