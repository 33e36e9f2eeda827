// Browser tests of the resident form (民意速办) as a resident on a phone would use it, against
// a server of its own (see harness.mjs). Screenshots go to tests/browser/artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, adminToken, ACTION_MS, NAV_MS, TEST_MS, phone, base, browser, here, useServer } from './harness.mjs';

const photo = join(here, '..', 'fixtures', 'photo-gps.jpg');
const FORM = '/a/xinzhou/minyi-suban';

useServer();

/** A page whose waits are bounded and whose script errors and CSP violations are recorded. */
async function newPage(options = {}) {
  const context = await browser.newContext({ ...phone, ...options });
  context.setDefaultTimeout(ACTION_MS);
  context.setDefaultNavigationTimeout(NAV_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed loads are reported with their address below, not as bare console lines.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const url = new URL(r.url());
    const expected = r.status() === 422 && r.request().method() === 'POST' && url.pathname === FORM;
    // Browsers ask for /favicon.ico on their own; the pages do not declare one.
    if (r.status() >= 400 && !expected && url.pathname !== '/favicon.ico') {
      problems.push(`HTTP ${r.status()} for ${r.request().method()} ${url.pathname}`);
    }
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  return { context, page, problems };
}

/** Runs `action` and waits for the page script to ask the server for the form's state. */
async function withStateRequest(page, action) {
  const asked = page.waitForResponse(
    (r) => new URL(r.url()).pathname === `${FORM}/state` && r.request().method() === 'POST',
    { timeout: ACTION_MS },
  );
  await action();
  const res = await asked;
  assert.equal(res.status(), 200, 'the state request succeeds');
}

/** Submits the form by tapping its button and waits for the page that answers the POST. */
async function submit(page) {
  const answered = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === FORM,
    { timeout: NAV_MS },
  );
  await page.locator('button[type=submit].primary').tap();
  const res = await answered;
  await page.waitForLoadState('load');
  return res;
}

const optionValues = (page, sel) =>
  page.locator(`${sel} option`).evaluateAll((os) => os.map((o) => o.value).filter((v) => v !== ''));

async function apiCases() {
  const res = await fetch(`${base}/api/v1/cases`, {
    headers: { Authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(res.status, 200, 'GET /api/v1/cases with the admin token');
  return (await res.json()).items;
}

test('a resident reports a problem on a phone, fixes a mistake and finds the case', { timeout: TEST_MS }, async () => {
  const { context, page, problems } = await newPage();
  try {
    const res = await page.goto(`${base}${FORM}`);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await page.locator('h1', { hasText: '民意速办' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'form-phone.png'), fullPage: true });
    // As served, every subcategory is offered, grouped by category.
    const parents = await page.locator('#f-subcategory option[data-parent]').evaluateAll((os) =>
      Object.fromEntries(os.map((o) => [o.value, o.dataset.parent])));
    assert.ok(Object.keys(parents).length > 10, 'before a category is chosen, every subcategory is offered');

    // Anonymous: the contact fields disappear live, and come back.
    const name = page.locator('#f-contact_name-wrap');
    const phoneWrap = page.locator('#f-contact_phone-wrap');
    assert.ok(await name.isVisible(), 'contact name is shown at first');
    assert.ok(await phoneWrap.isVisible(), 'contact phone is shown at first');
    const yes = page.locator('#f-anonymous-wrap label.choice', { hasText: '是' });
    const no = page.locator('#f-anonymous-wrap label.choice', { hasText: '否' });
    await withStateRequest(page, () => yes.tap());
    await name.waitFor({ state: 'hidden' });
    await phoneWrap.waitFor({ state: 'hidden' });
    await withStateRequest(page, () => no.tap());
    await name.waitFor({ state: 'visible' });
    await phoneWrap.waitFor({ state: 'visible' });

    // Cascading subcategories; 安全隐患 makes the computed priority critical.
    const priority = page.locator('#f-priority');
    // A computed choice shows its label (一般, 特急), not its code (normal, critical).
    assert.equal((await priority.textContent()).trim(), '一般');
    await withStateRequest(page, () => page.locator('#f-category').selectOption({ label: '安全隐患' }));
    await page.waitForFunction(() => document.getElementById('f-priority').textContent.trim() !== '一般', null,
      { timeout: ACTION_MS });
    assert.equal((await priority.textContent()).trim(), '特急');
    const offered = await optionValues(page, '#f-subcategory');
    const expected = Object.entries(parents).filter(([, p]) => p === 'safety_hazard').map(([v]) => v);
    assert.deepEqual(offered.sort(), expected.sort(), 'only 安全隐患 subcategories remain');
    assert.equal(await page.locator('#f-subcategory optgroup').count(), 0, 'no other groups remain');
    await page.locator('#f-subcategory').selectOption({ label: '电动车飞线充电' });

    // Everything but the title.
    const description = '3 栋 1 单元楼道里每晚都有电动车飞线充电，电线从 5 楼窗户垂下来，很危险，请尽快处理。';
    await page.locator('#f-description').fill(description);
    await page.locator('input[name="location.address"]').fill('新洲社区 3 栋 1 单元楼道');
    // Coordinates are optional and folded away; a resident who knows them opens the fold.
    await page.locator('details.coords-box summary').tap();
    await page.locator('input[name="location.lon"]').fill('114.055563');
    await page.locator('input[name="location.lat"]').fill('22.536250');
    await page.locator('#f-photos').setInputFiles(photo);
    await page.locator('#f-contact_name').fill('王小明');
    await page.locator('#f-contact_phone').fill('13812345678');
    assert.equal(await page.locator('#f-title').inputValue(), '');

    // First try: the title is missing.
    const first = await submit(page);
    assert.equal(first.status(), 422, 'the form comes back with errors');
    const summary = page.locator('#error-summary');
    await summary.waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'error-summary', null,
      { timeout: ACTION_MS });
    const links = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(links, ['#f-title'], 'one error, linked to the title field');
    assert.match(await summary.locator('a').textContent(), /诉求标题/);
    assert.equal(await page.locator('#f-title').getAttribute('aria-invalid'), 'true');
    assert.ok(await page.locator('#f-title-error').isVisible(), 'the error is shown beside the title');
    await page.screenshot({ path: join(artifacts, 'form-errors.png'), fullPage: true });

    // Everything else typed is still there, the photo included.
    assert.equal(await page.locator('#f-category').inputValue(), 'safety_hazard');
    assert.equal(await page.locator('#f-subcategory').inputValue(), 'ebike_charging');
    assert.equal(await page.locator('#f-description').inputValue(), description);
    assert.equal(await page.locator('input[name="location.address"]').inputValue(), '新洲社区 3 栋 1 单元楼道');
    assert.equal(await page.locator('input[name="location.lon"]').inputValue(), '114.055563');
    assert.equal(await page.locator('input[name="location.lat"]').inputValue(), '22.536250');
    assert.equal(await page.locator('#f-contact_name').inputValue(), '王小明');
    assert.equal(await page.locator('#f-contact_phone').inputValue(), '13812345678');
    assert.equal(await page.locator('input[name=anonymous][value=no]').isChecked(), true);
    assert.equal((await priority.textContent()).trim(), '特急');
    assert.equal(await page.locator('input[type=hidden][name=photos]').count(), 1, 'the uploaded photo is kept');
    const thumb = page.locator('#f-photos-wrap .thumb img');
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle(),
      { timeout: ACTION_MS });

    // Second try.
    const title = '3 栋楼道电动车飞线充电';
    await page.locator('#f-title').fill(title);
    const second = await submit(page);
    assert.equal(second.status(), 303, 'a valid form redirects to the tracking page');
    await page.waitForURL(/\/my\/cases\/[^/?]+\?new=1$/); // the link's token moved into a cookie
    await page.locator('.success h1', { hasText: '提交成功' }).waitFor();
    const number = (await page.locator('.success strong.number').textContent()).trim();
    assert.match(number, /^\S+$/, 'a case number is shown');
    await page.screenshot({ path: join(artifacts, 'submitted.png'), fullPage: true });

    // The same case through the API.
    const id = new URL(page.url()).pathname.split('/').pop();
    const found = (await apiCases()).find((c) => c.number === number);
    assert.ok(found, `case ${number} is listed by the API`);
    assert.equal(found.id, id);
    assert.equal(found.app_id, 'minyi-suban');
    assert.equal(found.community_id, 'xinzhou');
    assert.equal(found.record.title, title);
    assert.equal(found.record.description, description);
    assert.equal(found.record.category, 'safety_hazard');
    assert.equal(found.record.subcategory, 'ebike_charging');
    assert.equal(found.record.priority, 'critical');
    assert.equal(found.record.anonymous, false);
    assert.equal(found.record.photos.length, 1, 'the photo is attached once');

    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  } finally {
    await context.close();
  }
});

test('the language link switches the form to English', { timeout: TEST_MS }, async () => {
  const { context, page, problems } = await newPage();
  try {
    await page.goto(`${base}${FORM}`);
    const link = page.locator('header a.lang');
    assert.equal((await link.textContent()).trim(), 'English');
    await Promise.all([page.waitForURL(/[?&]lang=en\b/), link.tap()]);
    await page.waitForLoadState('load');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.locator('h1', { hasText: 'Citizen requests, quick handling' }).waitFor();
    assert.match(await page.locator('label[for=f-title]').textContent(), /^Title\b/);
    assert.match(await page.locator('label[for=f-description]').textContent(), /^Description\b/);
    assert.match(await page.locator('#f-anonymous').textContent(), /^Report anonymously/);
    assert.match(await page.locator('label[for=f-contact_phone]').textContent(), /^Your mobile phone/);
    assert.equal((await page.locator('button[type=submit].primary').textContent()).trim(), 'Submit');
    assert.equal((await page.locator('header a.lang').textContent()).trim(), '中文');
    // No Chinese left in what the form says (labels, help, options, placeholders, buttons).
    const texts = await page.locator('form').evaluate((f) => [
      ...[...f.querySelectorAll('label, legend, .help, option, optgroup, button, .tag')]
        .map((e) => e.getAttribute('label') || e.textContent),
      ...[...f.querySelectorAll('[placeholder]')].map((e) => e.getAttribute('placeholder')),
      ...[...f.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label')),
    ].map((s) => s.trim()).filter(Boolean));
    const chinese = texts.filter((s) => /[\u3400-\u9fff\uff00-\uffef]/.test(s));
    assert.deepEqual(chinese, [], 'every text of the English form is English');
    await page.screenshot({ path: join(artifacts, 'form-en.png'), fullPage: true });
    assert.equal((await page.locator('#f-priority').textContent()).trim(), 'Normal');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  } finally {
    await context.close();
  }
});

test('on the English form, live updates stay English', {
  timeout: TEST_MS,
}, async () => {
  // The phone's language is Chinese (Accept-Language: zh-CN); the resident chose English on the page.
  const { context, page } = await newPage();
  try {
    await page.goto(`${base}${FORM}?lang=en`);
    assert.equal((await page.locator('#f-priority').textContent()).trim(), 'Normal');
    await withStateRequest(page, () => page.locator('#f-category').selectOption({ label: 'Safety hazard' }));
    await page.waitForFunction(() => document.getElementById('f-priority').textContent.trim() !== 'Normal', null,
      { timeout: ACTION_MS });
    assert.equal((await page.locator('#f-priority').textContent()).trim(), 'Critical');
  } finally {
    await context.close();
  }
});

test('after a failed submit, changing the category offers its subcategories', {
  timeout: TEST_MS,
}, async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(`${base}${FORM}`);
    await withStateRequest(page, () => page.locator('#f-category').selectOption('noise'));
    const res = await submit(page); // nothing else filled: comes back with errors
    assert.equal(res.status(), 422);
    await withStateRequest(page, () => page.locator('#f-category').selectOption('parking'));
    await page.waitForFunction(() => document.querySelectorAll('#f-subcategory option:not([value=""])').length > 0,
      null, { timeout: 3_000 });
    assert.deepEqual((await optionValues(page, '#f-subcategory')).sort(),
      ['disorderly_parking', 'fire_lane_blocked', 'private_lock', 'zombie_car']);
  } finally {
    await context.close();
  }
});

test('switching back from English to 中文 shows Chinese again', {
  timeout: TEST_MS,
}, async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(`${base}${FORM}?lang=en`);
    await page.locator('header a.lang').tap();
    await page.waitForLoadState('load');
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  } finally {
    await context.close();
  }
});

test('without JavaScript the form still submits', { timeout: TEST_MS }, async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    const stateRequests = [];
    page.on('request', (r) => { if (r.url().endsWith('/state')) stateRequests.push(r.url()); });
    await page.goto(`${base}${FORM}`);
    // Without the script every subcategory is offered, grouped by category.
    assert.ok(await page.locator('#f-subcategory optgroup').count() > 1);
    await page.locator('#f-category').selectOption('noise');
    await page.locator('#f-subcategory').selectOption({ label: '广场舞、娱乐活动噪音' });
    await page.locator('#f-title').fill('小区广场舞晚上十点后仍在放音乐');
    await page.locator('#f-description').fill('每天晚上十点以后，中心花园的广场舞音响仍然很大声，影响老人和孩子休息。');
    await page.locator('#f-photos').setInputFiles(photo);
    await page.locator('#f-contact_name').fill('李华');
    await page.locator('#f-contact_phone').fill('13912345678');
    const res = await submit(page);
    assert.equal(res.status(), 303, `the form is accepted (got ${res.status()})`);
    await page.waitForURL(/\/my\/cases\/[^/?]+\?new=1$/); // the link's token moved into a cookie
    await page.locator('.success h1', { hasText: '提交成功' }).waitFor();
    const number = (await page.locator('.success strong.number').textContent()).trim();
    const found = (await apiCases()).find((c) => c.number === number);
    assert.ok(found, `case ${number} is listed by the API`);
    assert.equal(found.record.subcategory, 'square_dance');
    assert.equal(found.record.priority, 'normal');
    assert.deepEqual(stateRequests, [], 'no script ran');
  } finally {
    await context.close();
  }
});
