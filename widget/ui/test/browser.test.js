'use strict';
// The card and settings pages in headless Chromium (playwright-core; which Chromium: harness/chromium.js), against
// the RUNNING connector that WidgetBrowserIT starts with the Pact fake and the recording CRM behind it. That JUnit
// test passes what it set up in the environment and checks the Pact fake afterwards; run alone it has nothing to
// talk to. Every wait is for a condition on the page, never a fixed sleep.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { chromiumForTests } = require('../../harness/chromium');

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(name + ' is not set: this suite runs from WidgetBrowserIT (./mvnw -B verify)');
  }
  return value;
};
const BASE = env('CONNECTOR_URL');
const AMO_ORIGIN = env('AMO_ORIGIN');
const ADMIN = env('ADMIN_TOKEN');
const MANAGER = env('MANAGER_TOKEN');
const HOOK_KEY = env('PACT_HOOK_KEY');
const FIXTURES = env('PACT_WEBHOOK_FIXTURES');
const SHOTS = env('SCREENSHOT_DIR');
const WRONG_PACT_TOKEN = env('WRONG_PACT_TOKEN');
const RIGHT_PACT_TOKEN = env('RIGHT_PACT_TOKEN');
const WIDGET = path.join(__dirname, '..', '..');
const TIMEOUT = 20000;

let context;

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'pact-chromium-')), {
    ...(await chromiumForTests()),
    viewport: { width: 1280, height: 860 }
  });
  context.setDefaultTimeout(TIMEOUT);
});

/** Browser-side problems go to the test output, where a failing wait is explained. */
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { console.log('# browser ' + m.type() + ': ' + m.text()); } });
  page.on('pageerror', (e) => console.log('# page error: ' + e.message));
  page.on('requestfailed', (r) => console.log('# request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  return page;
}

test.after(async () => {
  if (context) {
    await context.close();
  }
});

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

/** A connector page opened the way the CRMs open it: session token (and language) in the fragment. */
async function openPage(page, pagePath, token, lang) {
  // A new fragment alone would not reload the page: start from a blank one.
  await page.goto('about:blank');
  await page.goto(BASE + pagePath + '#token=' + encodeURIComponent(token) + (lang ? '&lang=' + lang : ''));
  await page.waitForSelector('body[data-ready="true"]');
}

/** Pact's v2 message webhook fixture for another message and conversation (as PactWebhooks.message does). */
async function postPactWebhook(fixture, messageId, conversationId) {
  const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, fixture + '.json'), 'utf8'));
  body.object.id = messageId;
  body.object.conversation_id = conversationId;
  body.object.conversation.id = conversationId;
  body.object.conversation.last_message_id = messageId;
  const response = await fetch(BASE + '/pact/webhooks/' + HOOK_KEY, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
  });
  assert.equal(response.status, 200);
}

/** Serves the harness page, jQuery, script.js and its i18n as if they came from the amoCRM account's host. */
async function routeAmoCrm(page) {
  const config = {
    connectorUrl: BASE,
    disposableTokens: JSON.parse(env('AMO_DISPOSABLE_TOKENS')),
    i18n: JSON.parse(fs.readFileSync(path.join(WIDGET, 'amocrm', 'i18n', 'en.json'), 'utf8'))
  };
  const files = {
    '/harness/jquery.js': path.join(WIDGET, 'node_modules', 'jquery', 'dist', 'jquery.min.js'),
    '/harness/script.js': path.join(WIDGET, 'amocrm', 'script.js')
  };
  await page.route(AMO_ORIGIN + '/**', (route) => {
    const url = new URL(route.request().url());
    if (files[url.pathname]) {
      return route.fulfill({ contentType: 'application/javascript', body: fs.readFileSync(files[url.pathname], 'utf8') });
    }
    const html = fs.readFileSync(path.join(WIDGET, 'harness', 'amocrm-page.html'), 'utf8')
      .replace('__CONFIG__', JSON.stringify(config).replace(/</g, '\\u003c'));
    return route.fulfill({ contentType: 'text/html', body: html });
  });
}

test('amoCRM lead card: write first on WhatsApp with a quick reply, then clock, one tick, two ticks', async () => {
  // In production the connector is a public host; here it is on loopback, which Chromium's Local Network Access
  // lets a public page (the amoCRM account) reach only with the user's permission.
  await context.grantPermissions(['local-network-access'], { origin: AMO_ORIGIN });
  const page = watch(await context.newPage());
  await routeAmoCrm(page);
  await page.goto(AMO_ORIGIN + '/leads/detail/31926520');
  const button = page.locator('#right-panel .pact-widget__write');
  assert.equal(await button.textContent(), 'Write first');
  await shot(page, 'amocrm-panel');
  await button.click();

  const card = page.frameLocator('.pact-widget-overlay__frame');
  await card.locator('body[data-ready="true"]').waitFor();
  assert.equal(await page.evaluate(() => window.harness.sessionRequests), 1, 'one $authorizedAjax session request');
  assert.equal(await card.locator('#entity-name').textContent(), 'João Silva');
  assert.equal(await card.locator('#write-title').textContent(), 'Write first', 'the card speaks the amoCRM user\'s language');

  // Shift+Enter breaks the line and sends nothing.
  await card.locator('#text').fill('Line one');
  await card.locator('#text').press('Shift+Enter');
  await card.locator('#text').pressSequentially('line two');
  assert.equal(await card.locator('#text').inputValue(), 'Line one\nline two');
  assert.equal(await card.locator('#result').textContent(), '');

  await card.locator('#quick-reply').selectOption({ label: 'Saudação' });
  assert.equal(await card.locator('#text').inputValue(), 'Olá João Silva, aqui é Ana Souza!');
  await shot(page, 'card-dialog-quick-reply-en');
  await card.locator('#text').press('Enter');
  await card.locator('#result', { hasText: 'Message sent' }).waitFor();

  const message = card.locator('.chat[data-conversation-id] .message').first();
  await message.locator('[data-icon="clock"]').waitFor();
  assert.match(await message.textContent(), /Olá João Silva, aqui é Ana Souza!/);
  await shot(page, 'card-chats-clock-en');

  const messageId = Number(await message.getAttribute('data-message-id'));
  const conversationId = Number(await card.locator('.chat[data-conversation-id]').first().getAttribute('data-conversation-id'));
  await postPactWebhook('message-update-delivered', messageId, conversationId);
  await message.locator('[data-icon="one tick"]').waitFor();
  await shot(page, 'card-chats-one-tick-en');
  await postPactWebhook('message-update-read', messageId, conversationId);
  await message.locator('[data-icon="two ticks"]').waitFor();
  assert.equal(await message.locator('[data-icon="two ticks"]').getAttribute('aria-label'), 'Read (two ticks)');
  await shot(page, 'card-chats-two-ticks-en');
  await page.close();
});

test('WABA cannot be sent without an approved template; with one and its substitutions it can (narrow panel, pt)', async () => {
  const page = watch(await context.newPage());
  await page.setViewportSize({ width: 300, height: 900 });
  await openPage(page, '/ui/card?entityType=lead&entityId=4711', MANAGER);
  assert.equal(await page.locator('#write-title').textContent(), 'Escrever primeiro', 'pt is the default');

  await page.locator('#phone').fill('call me');
  await page.locator('#phone-check', { hasText: 'não é um telefone' }).waitFor();
  await page.locator('#phone').fill('+55 (11) 98765-4321');
  await page.locator('#phone-check', { hasText: 'Será enviado para 5511987654321' }).waitFor();

  await page.locator('#provider').selectOption('whatsapp_business');
  await page.locator('#waba-template option', { hasText: 'order_ready' }).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#send').isDisabled(), true, 'no template chosen: nothing to send');
  assert.equal(await page.locator('#text').isVisible(), false, 'no free text on WABA');
  await page.locator('#waba-template').selectOption({ label: 'order_ready' });
  assert.equal(await page.locator('#send').isDisabled(), true, 'substitutions still empty');
  await page.locator('#substitution-1').fill('João');
  await page.locator('#substitution-2').fill('A-1001');
  assert.equal(await page.locator('#waba-preview').textContent(), 'Hello João, your order A-1001 is ready');
  assert.equal(await page.locator('#send').isDisabled(), false);
  await shot(page, 'card-dialog-waba-pt-narrow');
  await page.locator('#send').dblclick();
  await page.locator('#result', { hasText: 'Mensagem enviada' }).waitFor();
  await page.locator('.chat .message [data-icon="clock"]').waitFor();
  await shot(page, 'card-chats-pt-narrow');
  await page.close();
});

test('settings for an admin, in pt and en: every tab, the default phone country, quick replies, dry run, journal and health', async () => {
  const page = watch(await context.newPage());
  await openPage(page, '/ui/settings', ADMIN, 'pt');
  assert.equal(await page.locator('#tab-pact').textContent(), 'Conectar o Pact');
  await page.locator('#pact-state', { hasText: 'Conectado à empresa' }).waitFor();
  await shot(page, 'settings-pact-pt');

  await page.locator('#api-token').fill(WRONG_PACT_TOKEN);
  await page.locator('#connect').click();
  await page.locator('#pact-result', { hasText: 'o Pact recusou o token da API' }).waitFor();
  await shot(page, 'settings-pact-wrong-token-pt');
  await page.locator('#api-token').fill(RIGHT_PACT_TOKEN);
  await page.locator('#connect').click();
  await page.locator('#pact-result', { hasText: 'O webhook do Pact foi registrado e ativado' }).waitFor();
  assert.equal(await page.locator('#api-token').inputValue(), '', 'the token is not kept on the page');
  await page.locator('#test-pact').click();
  await page.locator('#pact-result', { hasText: 'O webhook do conector está ativo' }).waitFor();

  await page.locator('#tab-general').click();
  await shot(page, 'settings-general-pt');
  await page.locator('#toggle-autoCreateClients').check();
  await page.locator('#general-form button[type="submit"]').click();
  await page.locator('#general-result', { hasText: 'Salvo' }).waitFor();

  // The default phone country: suggested from the .amocrm.ru account, changed to Brazil, read back through the API.
  const country = page.locator('#default-country');
  await country.locator('option[value="BR"]').waitFor({ state: 'attached' });
  assert.equal(await country.inputValue(), 'RU');
  assert.equal(await country.locator('option[value=""]').textContent(), 'Automático: Rússia (+7), pelo endereço da conta do CRM');
  assert.equal(await country.locator('option[value="BR"]').textContent(), 'Brasil (+55)');
  await country.selectOption({ label: 'Brasil (+55)' });
  await page.locator('#phone-form button[type="submit"]').click();
  await page.locator('#phone-result', { hasText: 'Salvo: telefones sem código do país são lidos como Brasil (+55).' }).waitFor();
  const stored = await page.evaluate(async (token) => (await fetch('/api/v1/settings/phone',
    { headers: { Authorization: 'Bearer ' + token } })).json(), ADMIN);
  assert.equal(stored.defaultCountry, 'BR');
  await shot(page, 'settings-general-phone-pt');

  await page.locator('#tab-stages').click();
  await page.locator('#pipeline-whatsapp').fill('11');
  await page.locator('#status-whatsapp').fill('22');
  await page.locator('#stages-form button[type="submit"]').click();
  await page.locator('#stages-result', { hasText: 'Salvo' }).waitFor();
  await shot(page, 'settings-stages-pt');

  await page.locator('#tab-users').click();
  const bruno = page.locator('tr[data-crm-user="8123457"]');
  assert.match(await bruno.textContent(), /Bruno Lima/);
  await bruno.locator('select').selectOption('other');
  await bruno.locator('input').fill('777');
  await page.locator('#users-form button[type="submit"]').click();
  await page.locator('#users-result', { hasText: 'Salvo' }).waitFor();
  assert.match(await page.locator('tr[data-crm-user="8123457"]').textContent(), /manual/);
  await shot(page, 'settings-users-pt');

  await page.locator('#tab-templates').click();
  await page.locator('.template', { hasText: 'Saudação' }).waitFor();
  await page.locator('#template-title').fill('Retorno');
  await page.locator('#template-body').fill('{{contact.name}}, retorno amanhã. {{user.name}}');
  await page.locator('#template-save').click();
  await page.locator('.template', { hasText: 'Retorno' }).waitFor();
  await shot(page, 'settings-templates-pt');

  await page.locator('#tab-dry-run').click();
  await page.locator('#dry-phone').fill('+55 11 98765-0000');
  await page.locator('#dry-run-form button[type="submit"]').click();
  await page.locator('#dry-run-result [data-outcome="CREATED"]', { hasText: 'no funil 11, etapa 22' }).waitFor();
  await shot(page, 'settings-dry-run-pt');

  await page.locator('#tab-journal').click();
  await page.locator('#journal tr').first().waitFor();
  const when = await page.locator('#journal tr td').first().textContent();
  assert.ok(when.includes('/' + new Date().getFullYear()), 'the API\'s ISO-8601 instant shown as today\'s date: ' + when);
  await shot(page, 'settings-journal-pt');
  await page.locator('#tab-health').click();
  await page.locator('#queue-outbox').waitFor();
  await shot(page, 'settings-health-pt');

  await openPage(page, '/ui/settings', ADMIN, 'en');
  assert.equal(await page.locator('#tab-pact').textContent(), 'Connect Pact');
  await shot(page, 'settings-pact-en');
  await page.locator('#tab-general').click();
  await page.locator('#default-country option[value="BR"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#default-country').inputValue(), 'BR', 'kept after reopening');
  assert.equal(await page.locator('#default-country option:checked').textContent(), 'Brazil (+55)');
  await page.locator('#tab-health').click();
  await page.locator('#queue-outbox', { hasText: 'Outgoing:' }).waitFor();
  await shot(page, 'settings-health-en');
  await page.locator('#tab-journal').click();
  await page.locator('#journal-conversation').fill(env('JOURNAL_CONVERSATION'));
  await page.locator('#journal-form button[type="submit"]').click();
  await page.locator('#journal tr', { hasText: 'DEAD' }).waitFor();
  await page.locator('#journal tr', { hasText: 'DEAD' }).locator('button').click();
  await page.locator('#journal-result', { hasText: 'Queued again' }).waitFor();
  await shot(page, 'settings-journal-retry-en');

  // Keyboard: the arrow keys move between tabs; in the narrow panel the users table stacks into labelled blocks.
  await page.locator('#tab-journal').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#tab-dry-run').getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-dry-run');
  await page.setViewportSize({ width: 300, height: 900 });
  await page.locator('#tab-users').click();
  await page.locator('tr[data-crm-user="8123457"] td[data-label="CRM user"]').waitFor();
  await shot(page, 'settings-users-en-narrow');
  await page.close();
});

test('a manager sees a polite refusal and gets 403 from every settings endpoint', async () => {
  const page = watch(await context.newPage());
  await openPage(page, '/ui/settings', MANAGER, 'pt');
  await page.locator('#admin-only', { hasText: 'apenas para administradores' }).waitFor();
  assert.equal(await page.locator('#settings').isVisible(), false);
  await shot(page, 'settings-refused-pt');
  const statuses = await page.evaluate(async (token) => {
    const calls = [['GET', '/api/v1/settings'], ['PUT', '/api/v1/settings', {}], ['PUT', '/api/v1/settings/pact', {}],
      ['POST', '/api/v1/settings/pact/test', {}], ['GET', '/api/v1/health'], ['GET', '/api/v1/journal'],
      ['POST', '/api/v1/journal/event-1/retry'], ['GET', '/api/v1/templates'], ['POST', '/api/v1/templates', {}],
      ['PUT', '/api/v1/templates/1', {}], ['DELETE', '/api/v1/templates/1'], ['POST', '/api/v1/dry-run', {}],
      ['GET', '/api/v1/settings/phone'], ['PUT', '/api/v1/settings/phone', { defaultCountry: 'BR' }]];
    const out = [];
    for (const [method, url, body] of calls) {
      const r = await fetch(url, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body) });
      out.push(method + ' ' + url + ' ' + r.status + ' ' + r.headers.get('content-type'));
    }
    return out;
  }, MANAGER);
  for (const line of statuses) {
    assert.match(line, / 403 application\/problem\+json$/, line);
  }
  await page.close();
});

test('a frame without a fragment gets its session by postMessage from its parent (for CRM frames that cannot use the fragment); Telegram by nickname', async () => {
  await context.grantPermissions(['local-network-access'], { origin: AMO_ORIGIN });
  const page = watch(await context.newPage());
  await page.route(AMO_ORIGIN + '/frame-host', (route) => route.fulfill({ contentType: 'text/html', body:
    '<!doctype html><title>CRM tab</title><body style="margin:0">'
    + '<iframe id="pact" title="Pact" style="width:100%;height:900px;border:0" src="' + BASE + '/ui/card?entityType=deal&entityId=55"></iframe>'
    + '<script>window.addEventListener("message", function (e) {'
    + '  if (e.data && e.data.type === "pact:ready") {'
    + '    e.source.postMessage({ type: "pact:session", token: ' + JSON.stringify(MANAGER) + ', lang: "es" }, ' + JSON.stringify(BASE) + ');'
    + '  }'
    + '});</script></body>' }));
  await page.goto(AMO_ORIGIN + '/frame-host');
  const card = page.frameLocator('#pact');
  await card.locator('body[data-ready="true"]').waitFor();
  assert.equal(await card.locator('#write-title').textContent(), 'Escribir primero');
  assert.equal(await card.locator('#entity-name').textContent(), 'João Silva');
  await card.locator('#provider').selectOption('telegram_personal');
  await card.locator('input[name="recipient-kind"][value="nickname"]').check();
  assert.equal(await card.locator('#phone').isVisible(), false, 'a nickname instead of a phone');
  await card.locator('#nickname').fill('@joao_silva');
  await card.locator('#text').fill('Hola, João');
  await card.locator('#text').press('Enter');
  await card.locator('#result', { hasText: 'Mensaje enviado' }).waitFor();
  await shot(page, 'card-postmessage-es-wide');
  await page.close();
});
