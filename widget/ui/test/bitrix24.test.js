'use strict';
// The connector UI inside Bitrix24's frames, in headless Chromium (playwright-core; which Chromium:
// harness/chromium.js), against the RUNNING connector that Bitrix24BrowserIT starts with its Bitrix24 portal fake
// and Pact fake. A harness page plays the portal on the fake's own origin: it POSTs the frame form into an iframe as
// Bitrix24 does, so the placement's AUTH_ID check, the redirect to /ui and the page's frame-ancestors are the real
// ones. Without that JUnit test's environment (e.g. when WidgetBrowserIT runs this directory) the suite is skipped.
// Waits are for conditions.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { chromiumForTests } = require('../../harness/chromium');

const SKIP = process.env.B24_PORTAL ? false : 'runs from Bitrix24BrowserIT (./mvnw -B verify)';
const BASE = process.env.CONNECTOR_URL;
const PORTAL = process.env.B24_PORTAL;
const SHOTS = process.env.SCREENSHOT_DIR;
const DEAL = process.env.B24_DEAL;
const HARNESS = path.join(__dirname, '..', '..', 'harness', 'bitrix24-portal.html');

let context;

test.before(async () => {
  if (SKIP) {
    return;
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'pact-chromium-b24-')), {
    ...(await chromiumForTests()),
    viewport: { width: 1280, height: 1000 }
  });
  context.setDefaultTimeout(20000);
  // In production the portal and the connector are public hosts; here both are on loopback, but a page Playwright
  // serves counts as public for Chromium's Local Network Access, which then needs the user's permission.
  await context.grantPermissions(['local-network-access'], { origin: PORTAL });
});

test.after(async () => {
  if (context) {
    await context.close();
  }
});

/** Browser-side problems go to the test output; CSP refusals are collected to be asserted on. */
function watch(page) {
  page.refusals = [];
  page.on('console', (m) => {
    if (m.text().includes('frame-ancestors')) {
      page.refusals.push(m.text());
    }
    if (m.type() === 'error' || m.type() === 'warning') {
      console.log('# browser ' + m.type() + ': ' + m.text());
    }
  });
  page.on('pageerror', (e) => console.log('# page error: ' + e.message));
  page.on('requestfailed', (r) => console.log('# request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  return page;
}

/**
 * Opens a portal page (on the portal's origin) whose frame is POSTed to the connector like Bitrix24 does it.
 * @param handler '/bitrix24/placement' or '/bitrix24/app'
 */
async function openPortal(page, portalPath, handler, authId, placement, options) {
  const query = '?DOMAIN=' + encodeURIComponent(process.env.B24_DOMAIN) + '&PROTOCOL=0&LANG=br&APP_SID=7b1e2c3d4f5a6b7c';
  const config = {
    title: 'Bitrix24 · ' + portalPath,
    action: BASE + handler + query,
    fields: {
      AUTH_ID: authId, AUTH_EXPIRES: '3600', REFRESH_ID: 'b24-frame-refresh-unused',
      SERVER_ENDPOINT: 'https://oauth.bitrix.info/rest/', member_id: process.env.B24_MEMBER_ID, status: 'L',
      PLACEMENT: placement, PLACEMENT_OPTIONS: JSON.stringify(options)
    }
  };
  await page.route(PORTAL + '/**', (route) => route.fulfill({ contentType: 'text/html', body:
    fs.readFileSync(HARNESS, 'utf8').replace('__CONFIG__', JSON.stringify(config).replace(/</g, '\\u003c')) }));
  await page.goto(PORTAL + portalPath);
  const frame = page.frameLocator('#pact-frame');
  await frame.locator('body[data-ready="true"]').waitFor();
  return frame;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

test('the deal tab shows the deal\'s chats and writes first once, in the portal user\'s language', { skip: SKIP }, async () => {
  const page = watch(await context.newPage());
  const card = await openPortal(page, '/crm/deal/details/' + DEAL + '/', '/bitrix24/placement', process.env.B24_MANAGER_AUTH,
    'CRM_DEAL_DETAIL_TAB', { ID: DEAL, URI: '/crm/deal/details/' + DEAL + '/' });
  assert.equal(await card.locator('#entity-name').textContent(), 'Pedido 1042');
  assert.equal(await card.locator('#write-title').textContent(), 'Escrever primeiro', 'LANG=br is pt');
  assert.equal(await card.locator('#phone').inputValue(), '+5511987654321', 'the deal contact\'s phone');
  await card.locator('#chats li', { hasText: 'Ainda não há conversas' }).waitFor();
  const frameUrl = page.frames().find((f) => f.name() === 'pact-frame').url();
  assert.match(frameUrl, /\/ui\/card\?entityType=deal&entityId=\d+&portal=\w+$/, 'the token left the address bar');

  await card.locator('#text').fill(process.env.B24_TEXT);
  await card.locator('#text').press('Enter');
  await card.locator('#result', { hasText: 'Mensagem enviada' }).waitFor();
  const message = card.locator('.chat[data-conversation-id] .message').first();
  await message.locator('[data-icon="clock"]').waitFor();
  assert.match(await message.textContent(), new RegExp(process.env.B24_TEXT));
  await shot(page, 'bitrix24-deal-tab-pt');

  // The conversation now lives in the tab: write first is folded, the reply box answers in the same conversation.
  assert.equal(await card.locator('#write-first-box').evaluate((d) => d.open), true, 'still open as it was used');
  const conversation = await card.locator('.chat[data-conversation-id]').first().getAttribute('data-conversation-id');
  await card.locator('.reply-file').setInputFiles(process.env.B24_UPLOAD);
  await card.locator('.reply-file-name', { hasText: 'proposta.pdf' }).waitFor();
  await card.locator('.reply-text').fill('Segue a proposta');
  await card.locator('.reply-text').press('Enter');
  const reply = card.locator('.bubble.outgoing', { hasText: 'Segue a proposta' });
  await reply.locator('[data-icon="clock"]').waitFor();
  assert.match(await reply.locator('.author').textContent(), /^enviada do CRM por \S/);
  assert.equal(await reply.locator('a.attachment', { hasText: 'proposta.pdf' }).count(), 1);
  const body = JSON.parse(fs.readFileSync(path.join(process.env.PACT_WEBHOOK_FIXTURES, 'message-update-delivered.json'), 'utf8'));
  body.object.id = Number(await reply.getAttribute('data-message-id'));
  body.object.conversation_id = Number(conversation);
  body.object.conversation.id = Number(conversation);
  assert.equal((await fetch(BASE + '/pact/webhooks/' + process.env.PACT_HOOK_KEY, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
  })).status, 200);
  await reply.locator('[data-icon="one tick"]').waitFor({ timeout: 5000 });
  const drawn = await reply.locator('[data-icon] svg').evaluate((svg) => svg.getBoundingClientRect().width);
  assert.ok(drawn >= 12, 'the tick is drawn, not a glyph');
  await shot(page, 'bitrix24-deal-tab-reply-pt');
  assert.deepEqual(page.refusals, []);
  await page.close();
});

test('the UI opened for no portal cannot be framed by the portal (frame-ancestors)', { skip: SKIP }, async () => {
  const page = watch(await context.newPage());
  await page.route(PORTAL + '/**', (route) => route.fulfill({ contentType: 'text/html', body:
    '<!doctype html><title>portal</title><iframe id="f" src="' + BASE + '/ui/card?entityType=deal&entityId=' + DEAL + '"></iframe>' }));
  const refused = page.waitForEvent('console', (m) => m.text().includes('frame-ancestors'));
  await page.goto(PORTAL + '/crm/deal/details/' + DEAL + '/');
  assert.match((await refused).text(), /^Framing 'http:\/\/localhost:\d+\/' violates .*"frame-ancestors 'self' https:\/\/\*\.amocrm\.ru/);
  await page.close();
});

test('the app page gives an admin the settings, with the portal\'s users to map', { skip: SKIP }, async () => {
  const page = watch(await context.newPage());
  const settings = await openPortal(page, '/marketplace/app/57/', '/bitrix24/app', process.env.B24_ADMIN_AUTH, 'DEFAULT', {});
  assert.equal(await settings.locator('#tab-pact').textContent(), 'Conectar o Pact');
  await settings.locator('#pact-state', { hasText: 'Conectado à empresa' }).waitFor();
  await shot(page, 'bitrix24-app-settings-pt');
  await settings.locator('#tab-users').click();
  await settings.locator('tr[data-crm-user="7"]', { hasText: 'Carlos Pereira' }).waitFor();
  await shot(page, 'bitrix24-app-users-pt');
  assert.deepEqual(page.refusals, []);
  await page.close();
});

async function options(frame, select) {
  return (await frame.locator(select + ' option').allTextContents()).map((o) => o.trim());
}

test('the first-run step picks lead or deal, category and stage from the portal, and is shown until saved', { skip: SKIP }, async () => {
  const page = watch(await context.newPage());
  let settings = await openPortal(page, '/marketplace/app/57/', '/bitrix24/app', process.env.B24_ADMIN_AUTH, 'DEFAULT', {});
  await settings.locator('#first-run[data-ready="true"]').waitFor();
  assert.equal(await settings.locator('#first-run-title').textContent(), 'Primeiros passos');
  assert.equal(await settings.locator('#first-auto-create').isChecked(), true, 'a new portal creates clients');
  assert.equal(await settings.locator('#first-tasks').isChecked(), true, 'and tasks');
  // A deal: the portal's categories, then the chosen category's stages (closing stages are not offered).
  await settings.locator('#first-entity').selectOption('deal');
  assert.deepEqual(await options(settings, '#first-pipeline'), ['Geral', 'Atacado']);
  await settings.locator('#first-pipeline').selectOption({ label: 'Atacado' });
  assert.deepEqual(await options(settings, '#first-stage'), ['Novo', 'Proposta']);
  // A lead: no category, the lead statuses.
  await settings.locator('#first-entity').selectOption('lead');
  assert.equal(await settings.locator('#first-pipeline-row').isVisible(), false);
  assert.deepEqual(await options(settings, '#first-stage'), ['Não processado', 'Em andamento']);
  await settings.locator('#first-stage').selectOption({ label: 'Em andamento' });
  await settings.locator('#first-responsible').selectOption('roundRobin');
  await settings.locator('#first-round-robin').waitFor();
  await settings.locator('#first-round-robin label', { hasText: 'Carlos Pereira' }).locator('input').check();
  await settings.locator('#first-task-minutes').fill('45');
  await shot(page, 'bitrix24-first-run-pt');
  await settings.locator('#first-run-form button[type="submit"]').click();
  await settings.locator('#general-result', { hasText: 'Pronto' }).waitFor();
  assert.equal(await settings.locator('#first-run').isVisible(), false);
  // Opened again, the step is gone.
  settings = await openPortal(page, '/marketplace/app/57/', '/bitrix24/app', process.env.B24_ADMIN_AUTH, 'DEFAULT', {});
  await settings.locator('#pact-state', { hasText: 'Conectado à empresa' }).waitFor();
  assert.equal(await settings.locator('#first-run').isVisible(), false);
  assert.deepEqual(page.refusals, []);
  await page.close();
});

test('the app page politely refuses a user who is not an admin', { skip: SKIP }, async () => {
  const page = watch(await context.newPage());
  const settings = await openPortal(page, '/marketplace/app/57/', '/bitrix24/app', process.env.B24_MANAGER_AUTH, 'DEFAULT', {});
  await settings.locator('#admin-only', { hasText: 'apenas para administradores' }).waitFor();
  assert.equal(await settings.locator('#settings').isVisible(), false);
  await shot(page, 'bitrix24-app-refused-pt');
  await page.close();
});
