// Browser test of the designer's app settings beyond the form and the flow: a builder writes a
// message, defines a register with its fields and adds a monthly schedule over it, in the
// property panel only, sees a problem the moment a message names a field that does not exist,
// fixes it and publishes; the published definition has all three; then the published schedule
// shows its next run, is dry-run and paused from the same panel. Screenshots in artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, adminToken, base, browser, useServer } from './harness.mjs';

useServer();

const desktop = { viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' };

async function saved(page) {
  await page.waitForFunction(() => document.querySelector('#d-state')?.dataset.state === 'saved', null, { timeout: ACTION_MS });
}

async function fill(page, pointer, value) {
  const input = page.locator(`[data-pointer="${pointer}"]`).first();
  await input.fill(value);
  await input.press('Tab');
  await saved(page);
}

test('a builder writes a message, a register and a schedule in the designer and publishes', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(desktop);
  context.setDefaultTimeout(ACTION_MS);
  context.setDefaultNavigationTimeout(NAV_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    await page.goto(`${base}/login?next=${encodeURIComponent('/designer')}`);
    await page.fill('#login', 'xzbuilder');
    await page.fill('#password', 'Baida-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/designer`);
    await page.click('#d-new');
    await page.waitForURL(/\/designer\/apps\/app-[0-9a-f]{8}$/);
    const appId = page.url().split('/').pop();
    await page.locator('baida-editor[data-dictionary=loaded] .d-card[data-step="report"]').waitFor();
    await fill(page, '/name', '独居老人走访');

    // A register of elderly residents: its id, name, key field and two fields.
    await page.locator('#d-registers [data-pointer="/registers/-"]').click();
    await fill(page, '/registers/0/id', 'elderly');
    await fill(page, '/registers/0/name', '独居老人台账');
    await fill(page, '/registers/0/key', 'phone');
    await page.locator('[data-pointer="/registers/0/fields/-"]').click();
    await fill(page, '/registers/0/fields/0/key', 'phone');
    await page.locator('[data-pointer="/registers/0/fields/0/type"]').selectOption('phone');
    await saved(page);
    await page.locator('[data-pointer="/registers/0/fields/-"]').click();
    await fill(page, '/registers/0/fields/1/key', 'name');
    await page.locator('[data-pointer="/registers/0/fields/1/type"]').selectOption('text');
    await saved(page);

    // A message naming a field the record does not have: the problem shows at once.
    await page.locator('#d-messages [data-pointer="/messages/-"]').click();
    await fill(page, '/messages/0/id', 'visit-due');
    await fill(page, '/messages/0/text', '请于本月走访{{record.resident}}');
    await page.locator('[data-problem="/messages/0/text"]').first().waitFor();
    assert.match(await page.locator('[data-problem="/messages/0/text"]').first().textContent(), /record\.resident/);
    await fill(page, '/messages/0/text', '请于本月走访（{{app.name}}，{{today}}）');

    // A monthly schedule over the register.
    await page.locator('#d-add-schedule').click();
    await saved(page);
    await fill(page, '/triggers/0/id', 'monthly-visit');
    await page.locator('[data-pointer="/triggers/0/every"]').selectOption('month');
    await saved(page);
    await page.locator('.d-ok', { hasText: '没有问题' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'designer-parts.png'), fullPage: true });

    await page.click('#d-publish');
    let published = null;
    for (let i = 0; i < 50 && !published; i++) {
      const r = await fetch(`${base}/api/v1/apps/${appId}`, { headers: { authorization: `Bearer ${adminToken}` } });
      if (r.ok) published = await r.json();
      else await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(published, 'the app was published');
    const def = published.definition;
    assert.equal(def.registers[0].id, 'elderly');
    assert.deepEqual(def.registers[0].fields.map((f) => f.key), ['phone', 'name']);
    assert.equal(def.messages[0].text['zh-CN'] ?? def.messages[0].text, '请于本月走访（{{app.name}}，{{today}}）');
    assert.equal(def.triggers[0].type, 'schedule');
    assert.equal(def.triggers[0].on, 'first_working_day');

    // Published, the schedule shows when it runs next; a dry run says what it would open; it
    // can be paused from here.
    const state = page.locator('[data-schedule-state="monthly-visit"]');
    await state.getByText('下次运行').waitFor();
    await state.locator('[data-schedule-act="preview"]').click();
    await state.locator('.d-dry-run', { hasText: '现在运行将生成 1 件案件' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'designer-schedule.png'), fullPage: true });
    await state.locator('[data-schedule-act="pause"]').click();
    await page.locator('[data-schedule-state="monthly-visit"]', { hasText: '已暂停' }).waitFor();
    const r = await fetch(`${base}/api/v1/apps/${appId}/schedules`, { headers: { authorization: `Bearer ${adminToken}` } });
    const schedules = await r.json();
    assert.ok(schedules[0].state.paused_at, 'paused from the designer');
    assert.deepEqual(problems, [], 'no script errors');
  } finally {
    await context.close();
  }
});
