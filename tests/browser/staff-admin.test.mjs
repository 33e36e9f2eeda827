// Browser tests of staff log-in, the admin page, the workbench, and cross-site request
// forgery: a page served on a second loopback port (another origin, the same site) posting to
// Baida. Against a server of its own (see harness.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, phone, base, browser, useServer, adminToken, sleep } from './harness.mjs';

useServer();

const desktop = { viewport: { width: 1100, height: 900 }, locale: 'zh-CN' };

test('a district admin logs in, sees the tree, adds a grid and an account', { timeout: TEST_MS }, async () => {
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/admin`, { timeout: NAV_MS });
    assert.match(new URL(page.url()).pathname, /^\/login$/, 'sent to log in first');
    await page.fill('#login', 'district');
    await page.fill('#password', 'wrong-Password-1');
    await page.click('button[type=submit]');
    await page.waitForSelector('.errors');
    assert.match(await page.textContent('.errors'), /用户名或密码不正确/);
    await page.fill('#password', 'Baida-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`, { timeout: NAV_MS });
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'baida_session');
    assert.ok(session && session.httpOnly && session.sameSite === 'Lax', JSON.stringify(cookies));
    assert.match(await page.textContent('h1'), /管理/);
    assert.match(await page.textContent('.tree'), /新洲第一网格/);
    // Add a grid through the form.
    await page.click('text=新增机构');
    const add = page.locator('form[action="/admin/units"]');
    await add.locator('input[name=id]').fill('tianan-grid-2');
    await add.locator('select[name=kind]').selectOption('grid');
    await add.locator('select[name=parent_id]').selectOption('tianan');
    await add.locator('input[name=name_zh]').fill('天安第二网格');
    await add.locator('input[name=name_en]').fill("Tian'an Grid 2");
    await add.locator('button[type=submit]').click();
    await page.waitForSelector('.success');
    assert.match(await page.textContent('.tree'), /天安第二网格/);
    // A weak password is refused with the reason, in Chinese.
    await page.click('text=新增账号');
    const user = page.locator('form[action="/admin/users"]');
    await user.locator('input[name=username]').fill('grid5');
    await user.locator('input[name=name]').fill('网格员 五');
    await user.locator('select[name=unit_id]').selectOption('tianan-grid-2');
    await user.locator('input[name=password]').fill('short');
    await user.locator('button[type=submit]').click();
    await page.waitForSelector('#error-summary');
    assert.match(await page.textContent('#error-summary'), /密码至少 10 个字符/);
    await page.screenshot({ path: join(artifacts, 'admin-error.png'), fullPage: true });
    await page.click('text=新增账号');
    await user.locator('input[name=username]').fill('grid5');
    await user.locator('input[name=name]').fill('网格员 五');
    await user.locator('select[name=unit_id]').selectOption('tianan-grid-2');
    await user.locator('input[name=password]').fill('Grid-five-2026');
    await user.locator('button[type=submit]').click();
    await page.waitForSelector('.success');
    assert.match(await page.textContent('table.people'), /grid5/);
    await page.screenshot({ path: join(artifacts, 'admin.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a page on another port cannot make a logged-in browser post to Baida', { timeout: TEST_MS }, async () => {
  // The attacker's page: same host, other port — a different origin but the same site, so
  // SameSite cookies alone would not stop it.
  const evil = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><form id=f method=post action="${base}/admin/users">
      <input name=username value=intruder><input name=name value=x><input name=unit_id value=futian>
      <input name=password value=Intruder-pass-2026></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const evilUrl = `http://127.0.0.1:${evil.address().port}/`;
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/login?next=/admin`, { timeout: NAV_MS });
    await page.fill('#login', 'district');
    await page.fill('#password', 'Baida-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`, { timeout: NAV_MS });
    const answer = page.waitForResponse((r) => r.url() === `${base}/admin/users`, { timeout: NAV_MS });
    await page.goto(evilUrl, { timeout: NAV_MS });
    const res = await answer;
    assert.equal(res.status(), 403, 'the forged post is refused');
    const body = await res.text();
    assert.match(body, /cross_origin/);
    await page.screenshot({ path: join(artifacts, 'csrf-refused.png') });
    // And nothing was made.
    await page.goto(`${base}/admin`, { timeout: NAV_MS });
    assert.doesNotMatch(await page.textContent('table.people'), /intruder/);
  } finally {
    await context.close();
    evil.close();
  }
});

test('a department handler works a case from the workbench', { timeout: TEST_MS }, async () => {
  const answers = {
    category: 'noise', subcategory: 'construction_noise', title: '工地夜间施工噪音',
    description: '新洲路工地每天晚上十一点后仍在施工，噪音很大，影响休息。',
    anonymous: false, contact_name: '李明', contact_phone: '13812345678',
  };
  const res = await fetch(`${base}/api/v1/apps/minyi-suban/submissions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ community: 'xinzhou', answers }), signal: AbortSignal.timeout(ACTION_MS),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const created = JSON.parse(text);
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/login?next=/work`, { timeout: NAV_MS });
    await page.fill('#login', 'urban');
    await page.fill('#password', 'Baida-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/work`, { timeout: NAV_MS });
    assert.match(await page.textContent('main'), /待签收/);
    await page.screenshot({ path: join(artifacts, 'work-queue.png'), fullPage: true });
    await page.click(`text=${created.number}`);
    await page.waitForSelector('#act');
    assert.match(await page.textContent('#due'), /剩余/);
    await page.click('#act button[type=submit]');
    await page.waitForSelector('.success');
    assert.match(await page.textContent('#current-step'), /办理答复/);
    await page.screenshot({ path: join(artifacts, 'work-case.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a community admin reads on the workbench that a case waits for dispatch by hand', { timeout: TEST_MS }, async () => {
  const api = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: body && JSON.stringify(body), signal: AbortSignal.timeout(ACTION_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  // A grid the app sends its cases to, retired after the app is published.
  let r = await api('POST', '/api/v1/org-units', { id: 'xinzhou-grid-7', kind: 'grid', parent_id: 'xinzhou', name_zh: '新洲第七网格', name_en: 'Xinzhou Grid 7' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api('POST', '/api/v1/apps?owner=xinzhou', {
    id: 'lamp-report', version: '1.0.0', name: { 'zh-CN': '路灯报修', en: 'Street lamps' }, category: 'test',
    record: { fields: [{ key: 'title', type: 'text', required: true }] },
    steps: [{ id: 'report', block: 'form', config: {} },
      { id: 'dispatch', block: 'dispatch', name: { 'zh-CN': '派单', en: 'Dispatch' }, config: { otherwise: 'unit:xinzhou-grid-7' } },
      { id: 'handle', block: 'handle', config: {} }],
    transitions: [{ from: 'report', to: 'dispatch' }, { from: 'dispatch', to: 'handle' }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api('POST', '/api/v1/org-units/xinzhou-grid-7/retire', {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await api('POST', '/api/v1/apps/lamp-report/submissions', { community: 'xinzhou', answers: { title: '3号楼路灯不亮' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const number = r.body.number;
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_MS);
  try {
    await page.goto(`${base}/login?next=/work`, { timeout: NAV_MS });
    await page.fill('#login', 'xinzhou');
    await page.fill('#password', 'Baida-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/work`, { timeout: NAV_MS });
    // The letter is delivered by the outbox in the background, within a few seconds.
    for (let i = 0; i < 20 && !(await page.isVisible('#inbox')); i++) {
      await sleep(500);
      await page.reload({ timeout: NAV_MS });
    }
    const inbox = await page.textContent('#inbox');
    assert.match(inbox, /待人工派单/);
    assert.match(inbox, new RegExp(number));
    await page.screenshot({ path: join(artifacts, 'work-inbox.png'), fullPage: true });
    await page.click(`#inbox a:has-text("${number}")`);
    await page.waitForSelector('#current-step');
    assert.match(await page.textContent('#current-step'), /派单/);
    // Re-dispatched by hand, to a grid of the community (offered first, before departments).
    const redispatch = page.locator('form:has(input[name=action][value=redispatch])');
    assert.equal(await redispatch.locator('select[name=to] option').first().getAttribute('value'), 'xinzhou');
    await redispatch.locator('select[name=to]').selectOption('xinzhou-grid-1');
    await page.screenshot({ path: join(artifacts, 'work-case-waiting.png'), fullPage: true });
    await redispatch.locator('input[name=reason]').fill('第七网格已撤销，改由第一网格');
    await redispatch.locator('button[type=submit]').click();
    await page.waitForSelector('.success');
    assert.match(await page.textContent('main'), /新洲第一网格/);
  } finally {
    await context.close();
  }
});
