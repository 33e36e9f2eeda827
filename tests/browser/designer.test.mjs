// Browser test of the designer: a community's app builder builds 挪车e站 from a blank app by
// drag and drop only — a form with plate number, photo and location, a dispatch step, a
// notify step and a feedback step — fixes the validation error the designer shows, looks at
// the live preview, test-runs it, publishes, reads the history, opens the resident form,
// submits it with a photo and finds the case in the API. Then a second builder does the same
// kind of work on a phone-sized touch screen. Screenshots of each main screen go to artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifacts, ACTION_MS, NAV_MS, TEST_MS, adminToken, base, browser, here, phone, useServer } from './harness.mjs';

useServer();

const photo = join(here, '..', 'fixtures', 'photo-gps.jpg');
const desktop = { viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' };

async function api(path) {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.json();
}

/** A page whose script errors and CSP violations are recorded. */
async function newPage(options) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(ACTION_MS);
  context.setDefaultNavigationTimeout(NAV_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

async function logIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#login', username);
  await page.fill('#password', 'Baida-demo-2026');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}${next}`);
}

const center = async (locator) => {
  const b = await locator.boundingBox();
  assert.ok(b, 'the element is on screen');
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

/** Drags with the mouse: press on `source`, move a little (drop zones appear), then onto the
 *  target the function `target()` finds, and release. */
async function mouseDrag(page, source, target) {
  await source.scrollIntoViewIfNeeded();
  const from = await center(source);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 12, from.y + 12, { steps: 3 });
  const zone = target();
  await zone.waitFor({ state: 'visible' });
  const to = await center(zone);
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

/** The same with a finger, through real touch events (Chromium turns them into pointer events). */
async function touchDrag(page, cdp, source, target) {
  await source.scrollIntoViewIfNeeded();
  const from = await center(source);
  const touch = (type, p) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: p ? [{ x: p.x, y: p.y }] : [] });
  await touch('touchStart', from);
  for (let i = 1; i <= 3; i++) await touch('touchMove', { x: from.x + 4 * i, y: from.y + 4 * i });
  const zone = target();
  await zone.waitFor({ state: 'visible' });
  const to = await center(zone);
  for (let i = 1; i <= 8; i++) {
    await touch('touchMove', { x: from.x + ((to.x - from.x) * i) / 8, y: from.y + ((to.y - from.y) * i) / 8 });
  }
  await touch('touchEnd');
}

/** Waits until the editor has saved what is on screen. */
async function saved(page) {
  await page.waitForFunction(() => document.querySelector('#d-state')?.dataset.state === 'saved', null, { timeout: ACTION_MS });
}

const stepZone = (page, index) => () => page.locator(`.d-drop-step[data-index="${index}"]`);
const fieldZone = (page, step, at) => () => page.locator(`.d-drop-field[data-step="${step}"][data-at="${at}"][data-group=""]`);

test('a builder makes 挪车e站 by drag and drop, fixes an error, publishes, and a resident uses it', { timeout: TEST_MS * 2 }, async () => {
  const { context, page, problems } = await newPage(desktop);
  await logIn(page, 'xzbuilder', '/designer');
  await page.locator('baida-app-list h1', { hasText: '我的应用' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'designer-list.png'), fullPage: true });

  // A blank app: one intake form with no fields yet.
  await page.click('#d-new');
  await page.waitForURL(/\/designer\/apps\/app-[0-9a-f]{8}$/);
  const appId = page.url().split('/').pop();
  await page.locator('baida-editor[data-dictionary=loaded] .d-card[data-step="report"]').waitFor();

  // Name it in the app settings panel.
  await page.locator('[data-pointer="/name"]').fill('挪车e站');
  await page.locator('[data-pointer="/name/en"]').fill('Move-my-car station');
  await page.locator('[data-pointer="/name/en"]').press('Tab');
  await page.locator('#d-title', { hasText: '挪车e站' }).waitFor();

  // The form: plate number from the data dictionary, a photo, a location, a phone number.
  await page.locator('.d-search').fill('车牌');
  await mouseDrag(page, page.locator('[data-palette="vehicle.plate_number"]'), fieldZone(page, 0, 0));
  await page.locator('.d-card[data-step="report"] .d-field[data-field="plate_number"]').waitFor();
  await page.locator('.d-search').fill('');
  await mouseDrag(page, page.locator('[data-palette="photo"]'), fieldZone(page, 0, 1));
  await mouseDrag(page, page.locator('[data-palette="location"]'), fieldZone(page, 0, 2));
  await page.locator('.d-search').fill('手机');
  await mouseDrag(page, page.locator('[data-palette="people.phone"]'), fieldZone(page, 0, 3));
  await page.locator('.d-search').fill('');
  const reportFields = await page.locator('.d-card[data-step="report"] .d-field').evaluateAll((els) => els.map((e) => e.dataset.field));
  assert.deepEqual(reportFields, ['plate_number', 'photo', 'location', 'phone'], 'the fields in the order they were dropped');

  // Label the photo and make it and the location required in the property panel.
  await page.locator('[data-select="field:photo"]').click();
  await page.locator('[data-pointer="/record/fields/1/label"]').fill('现场照片');
  await page.locator('[data-pointer="/record/fields/1/required"]').check();
  await page.locator('[data-select="field:location"]').click();
  await page.locator('[data-pointer="/record/fields/2/required"]').check();

  // Reorder by dragging: the location above the photo, then back.
  await mouseDrag(page, page.locator('[data-select="field:location"]'), fieldZone(page, 0, 1));
  assert.deepEqual(await page.locator('.d-card[data-step="report"] .d-field').evaluateAll((els) => els.map((e) => e.dataset.field)),
    ['plate_number', 'location', 'photo', 'phone']);
  await page.click('#d-undo');
  assert.deepEqual(await page.locator('.d-card[data-step="report"] .d-field').evaluateAll((els) => els.map((e) => e.dataset.field)),
    ['plate_number', 'photo', 'location', 'phone'], 'undo puts it back');

  // The flow: dispatch, notify, then a feedback form with a rating.
  await mouseDrag(page, page.locator('[data-palette="dispatch"]'), stepZone(page, 1));
  await mouseDrag(page, page.locator('[data-palette="notify"]'), stepZone(page, 2));
  await mouseDrag(page, page.locator('[data-palette="form"]'), stepZone(page, 3));
  await page.locator('.d-card[data-step="form"]').waitFor();
  await mouseDrag(page, page.locator('[data-palette="rating"]'), fieldZone(page, 3, 0));
  const steps = await page.locator('.d-card').evaluateAll((els) => els.map((e) => e.dataset.step));
  assert.deepEqual(steps, ['report', 'dispatch', 'notify', 'form']);
  // Each step leads to the next.
  assert.match(await page.locator('.d-card[data-step="report"] .d-ways').textContent(), /派单/);
  assert.match(await page.locator('.d-card[data-step="dispatch"] .d-ways').textContent(), /通知/);

  // The notify step has no channel, receiver or template yet: the designer says so.
  await saved(page);
  const problem = page.locator('[data-problem^="/steps/2"]').first();
  await problem.waitFor();
  assert.ok(await page.locator('.d-card[data-step="notify"] .d-bad').isVisible(), 'the faulty step is marked');
  await page.screenshot({ path: join(artifacts, 'designer-error.png'), fullPage: true });
  await problem.click();
  await page.locator('baida-properties h2', { hasText: '通知' }).waitFor();
  await page.locator('[data-pointer="/steps/2/config/channel"]').selectOption('sms');
  await page.locator('[data-pointer="/steps/2/config/to"]').fill('record.phone');
  await page.locator('[data-pointer="/steps/2/config/template"]').fill('move-car-result');
  await page.locator('[data-pointer="/steps/2/config/template"]').press('Tab');
  await saved(page);
  await page.screenshot({ path: join(artifacts, 'designer-fixed.png'), fullPage: true });
  await page.locator('.d-ok', { hasText: '没有问题' }).waitFor();

  // An expression error is shown at its line and column, as the runtime reports it.
  await page.locator('[data-select="field:phone"]').click();
  const visible = page.locator('[data-pointer="/record/fields/3/visible_if"]');
  await visible.fill('record.photo ==');
  await visible.press('Tab');
  await saved(page);
  await page.locator('.d-expr .d-field-problems', { hasText: /第 1 行/ }).waitFor();
  await page.screenshot({ path: join(artifacts, 'designer-expression.png'), fullPage: true });
  await page.click('#d-undo');
  await saved(page);
  await page.locator('.d-ok').waitFor();

  // The live preview is the real form page.
  const preview = page.frameLocator('iframe.d-phone');
  await preview.locator('h1', { hasText: '挪车e站' }).waitFor();
  await preview.locator('#f-photo').waitFor();
  await page.locator('[data-preview-lang="en"]').click();
  await preview.locator('h1', { hasText: 'Move-my-car station' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'designer-editor.png'), fullPage: true });

  // A test run: where the case goes, what would be sent (nothing is).
  await page.click('#d-test-run');
  await page.locator('.d-answers [name=plate_number]').fill('粤B12345');
  await page.locator('#d-run').click();
  await page.locator('#d-stop', { hasText: '停在' }).waitFor();
  const trace = await page.locator('.d-trace li').allTextContents();
  assert.ok(trace.some((x) => x.includes('派')), `dispatch in the trace: ${trace}`);
  assert.match(await page.locator('.d-messages').textContent(), /sms → 13800138000 · move-car-result/);
  await page.screenshot({ path: join(artifacts, 'designer-test-run.png'), fullPage: true });
  await page.locator('.d-test-run form[method=dialog] button').click();

  // By keyboard: select dispatch, focus 办理 in the palette, Enter adds it right after.
  await page.locator('[data-select="step:1"]').click();
  await page.locator('[data-palette="handle"]').focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await page.locator('.d-card').evaluateAll((els) => els.map((e) => e.dataset.step)),
    ['report', 'dispatch', 'handle', 'notify', 'form']);
  assert.match(await page.locator('.d-card[data-step="dispatch"] .d-ways').textContent(), /办理/);
  await page.locator('.d-card[data-step="handle"] button[aria-label="下移 handle"]').focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await page.locator('.d-card').evaluateAll((els) => els.map((e) => e.dataset.step)),
    ['report', 'dispatch', 'notify', 'handle', 'form'], 'moved down by keyboard');
  await page.click('#d-undo');
  await saved(page);

  // Export downloads the definition; a file that is not one is refused and changes nothing.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#d-export')]);
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(exported.id, appId);
  assert.deepEqual(exported.steps.map((x) => x.id), ['report', 'dispatch', 'handle', 'notify', 'form']);
  await page.locator('#d-import').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"not": "an app"') });
  await page.locator('.d-flash-bad', { hasText: '不是有效的' }).waitFor();
  assert.equal(await page.locator('.d-card').count(), 5, 'nothing changed');

  // Publish; the history shows the version.
  await page.click('#d-publish');
  await page.locator('.d-flash', { hasText: '已发布版本' }).waitFor();
  await page.click('#d-history');
  await page.locator('.d-history tr[data-version]').first().waitFor();
  await page.screenshot({ path: join(artifacts, 'designer-history.png'), fullPage: true });
  await page.locator('baida-history form[method=dialog] button').click();

  // The list shows it published.
  await page.goto(`${base}/designer`);
  await page.locator(`tr[data-app="${appId}"] .d-status-published`).waitFor();
  assert.deepEqual(problems, [], 'no script errors or CSP violations in the designer');
  await context.close();

  // A resident opens the form on a phone and submits it with a photo.
  const resident = await newPage({ ...phone });
  const r = resident.page;
  await r.goto(`${base}/a/xinzhou/${appId}`);
  await r.locator('h1', { hasText: '挪车e站' }).waitFor();
  await r.locator('#f-plate_number').fill('粤B12345');
  await r.locator('#f-photo').setInputFiles(photo);
  await r.locator('input[name="location.address"]').fill('新洲社区 5 栋地下车库 B-12');
  await r.locator('details.coords-box summary').tap();
  await r.locator('input[name="location.lon"]').fill('114.055563');
  await r.locator('input[name="location.lat"]').fill('22.536250');
  await r.locator('#f-phone').fill('13812345678');
  await r.screenshot({ path: join(artifacts, 'designer-resident-form.png'), fullPage: true });
  await r.locator('form button[type=submit]').click();
  await r.waitForURL(/\/my\/cases\/[^/?]+\?new=1$/).catch(async (e) => {
    await r.screenshot({ path: join(artifacts, 'designer-resident-refused.png'), fullPage: true });
    throw e;
  });
  const caseId = new URL(r.url()).pathname.split('/').pop();
  await resident.context.close();

  const c = await api(`/api/v1/cases/${caseId}`);
  assert.equal(c.app_id, appId);
  assert.equal(c.record.plate_number, '粤B12345');
  assert.equal(c.record.photo.length, 1, 'the photo is in the case');
});

test('on a phone-sized touch screen, blocks and fields are dragged with a finger', { timeout: TEST_MS }, async () => {
  const { context, page, problems } = await newPage({ ...phone });
  await logIn(page, 'xzbuilder', '/designer');
  await page.locator('#d-new').tap();
  await page.waitForURL(/\/designer\/apps\//);
  await page.locator('baida-editor[data-dictionary=loaded]').waitFor();
  await page.locator('.d-tabs [data-tab="palette"]').tap();
  const cdp = await context.newCDPSession(page);
  await touchDrag(page, cdp, page.locator('[data-palette="photo"]'), fieldZone(page, 0, 0));
  await saved(page);
  await page.locator('.d-tabs [data-tab="palette"]').tap();
  await touchDrag(page, cdp, page.locator('[data-palette="notify"]'), stepZone(page, 1));
  await saved(page);
  await page.locator('baida-properties h2', { hasText: '通知' }).waitFor();
  await page.locator('.d-tabs [data-tab="canvas"]').tap();
  await page.locator('.d-main[data-tab-shown=canvas]').waitFor();
  await page.locator('.d-tabs [data-tab="properties"]').tap();
  await page.screenshot({ path: join(artifacts, 'designer-phone-properties.png'), fullPage: true });
  await page.locator('.d-tabs [data-tab="canvas"]').tap();
  await page.locator('.d-main[data-tab-shown=canvas]').waitFor();
  const steps = await page.locator('.d-card').evaluateAll((els) => els.map((e) => e.dataset.step));
  assert.deepEqual(steps, ['report', 'notify']);
  assert.equal(await page.locator('.d-card[data-step="report"] .d-field[data-field="photo"]').count(), 1);
  await page.screenshot({ path: join(artifacts, 'designer-phone-canvas.png'), fullPage: true });
  await page.locator('.d-tabs [data-tab="preview"]').tap();
  await page.frameLocator('iframe.d-phone').locator('#f-photo').waitFor();
  await page.screenshot({ path: join(artifacts, 'designer-phone-preview.png'), fullPage: true });
  await saved(page);
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
  await context.close();
});
