// Browser test of the district catalog: a community admin browses the catalog, previews an
// app and installs it in one action; the district publishes a new version that collides with a
// local change; the community sees the diff and the conflict, picks a side and upgrades. Also
// the data dictionary page. Against a server of its own (see harness.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, adminToken, base, browser, here, useServer } from './harness.mjs';

useServer();

const desktop = { viewport: { width: 1100, height: 900 }, locale: 'zh-CN' };

async function api(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json().catch(() => null);
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

async function logIn(page, username) {
  await page.goto(`${base}/login?next=/catalog`, { timeout: NAV_MS });
  await page.fill('#login', username);
  await page.fill('#password', 'Baida-demo-2026');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/catalog`, { timeout: NAV_MS });
}

const note = (def) => def.record.fields.find((f) => f.key === 'note');

test('a community installs an app from the catalog and upgrades it through a conflict', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await logIn(page, 'tianan');
    assert.match(await page.textContent('h1'), /应用目录/);
    assert.match(await page.textContent('#entries'), /挪车e站/);
    await page.fill('#c-q', '挪车');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/q=/);
    assert.doesNotMatch(await page.textContent('#entries'), /民意速办/);
    await page.screenshot({ path: join(artifacts, 'catalog.png'), fullPage: true });
    await page.click('#entries a');
    await page.waitForSelector('#flow');
    assert.match(await page.textContent('#preview'), /车牌号码/);
    await page.locator('#install select[name=community]').selectOption('tianan');
    await page.click('#install button[type=submit]');
    await page.waitForSelector('.success');
    assert.match(await page.textContent('#installed-by'), /天安社区/);
    await page.screenshot({ path: join(artifacts, 'catalog-app.png'), fullPage: true });

    // The district publishes 1.1.0; meanwhile the community rewrote the same help text.
    const source = JSON.parse(await readFile(join(here, '../../templates-library/apps/nuoche-e-zhan.json'), 'utf8'));
    source.version = '1.1.0';
    note(source).help = { 'zh-CN': '请说明原因和车辆特征', en: 'Say why, and how to spot the car' };
    source.record.fields.push({ key: 'car_color', dict: 'vehicle.color' });
    await api('POST', '/api/v1/apps', source);
    const sub = await api('POST', '/api/v1/catalog/submissions', {
      app: 'nuoche-e-zhan', description: { 'zh-CN': '挪车', en: 'Move' },
      changelog: { 'zh-CN': '新增车身颜色；说明文字更清楚', en: 'Car colour; clearer help' },
    });
    await api('POST', `/api/v1/catalog/submissions/${sub.id}/review`, { decision: 'approve' });
    const fork = (await api('GET', '/api/v1/apps/nuoche-e-zhan-tianan')).definition;
    note(fork).help = { 'zh-CN': '天安：请写明楼栋和车位', en: "Tian'an: say the block and space" };
    await api('POST', '/api/v1/apps', fork);

    await page.goto(`${base}/catalog`, { timeout: NAV_MS });
    assert.match(await page.textContent('#my-installs'), /有新版本 1\.1\.0/);
    await page.click('#my-installs a');
    await page.waitForSelector('#upgrade');
    assert.match(await page.textContent('#changes'), /新增 字段“car_color”/);
    assert.match(await page.textContent('#local'), /修改 字段“note”：help/);
    assert.match(await page.textContent('.conflict'), /天安：请写明楼栋和车位/);
    await page.screenshot({ path: join(artifacts, 'catalog-upgrade.png'), fullPage: true });
    await page.check('.conflict input[value=theirs]');
    await page.click('#upgrade button[type=submit]');
    await page.waitForSelector('.success');
    await page.screenshot({ path: join(artifacts, 'catalog-upgraded.png'), fullPage: true });
    const now = (await api('GET', '/api/v1/apps/nuoche-e-zhan-tianan')).definition;
    assert.equal(note(now).help['zh-CN'], '请说明原因和车辆特征');
    assert.ok(now.record.fields.some((f) => f.key === 'car_color'));
  } finally {
    await context.close();
  }
});

test('the district reviews at /catalog/review and anyone browses the dictionary', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    const mine = JSON.parse(await readFile(join(here, '../../templates-library/apps/minyi-suban.json'), 'utf8'));
    mine.id = 'tianan-parking';
    mine.name = { 'zh-CN': '天安停车诉求', en: "Tian'an parking requests" };
    await api('POST', '/api/v1/apps?owner=tianan', mine);
    await api('POST', '/api/v1/catalog/submissions', {
      app: 'tianan-parking', scenario: 'parking',
      description: { 'zh-CN': '小区停车问题的受理和处置', en: 'Parking problems in estates' },
      changelog: { 'zh-CN': '首次发布', en: 'First release' },
    });
    await logIn(page, 'district');
    await page.click('text=审核队列');
    await page.waitForSelector('section.card');
    assert.match(await page.textContent('section.card'), /天安停车诉求/);
    // The review is a case: its timeline, and a link to it on the workbench.
    assert.match(await page.textContent('section.card .timeline'), /提交目录审核[\s\S]*转到：区级审核/);
    assert.ok(await page.isVisible('section.card a[href^="/work/cases/"]'));
    await page.screenshot({ path: join(artifacts, 'catalog-review.png'), fullPage: true });
    await page.fill('section.card input[name=comment]', '同意发布');
    await page.click('section.card button[value=approve]');
    await page.waitForSelector('.success');
    assert.match(await page.textContent('main'), /已发布/);
    await page.goto(`${base}/catalog`, { timeout: NAV_MS });
    assert.match(await page.textContent('#entries'), /天安停车诉求/);

    await page.goto(`${base}/dictionary?scenario=move-car`, { timeout: NAV_MS });
    assert.match(await page.textContent('table.dict'), /车牌号码/);
    await page.screenshot({ path: join(artifacts, 'dictionary.png'), fullPage: true });
    await page.goto(`${base}/dictionary?lang=en&category=business`, { timeout: NAV_MS });
    assert.match(await page.textContent('table.dict'), /Unified social credit code/);
  } finally {
    await context.close();
  }
});
