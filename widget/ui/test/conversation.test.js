'use strict';
// The conversation inside the card (issue 14) in headless Chromium (playwright-core; which Chromium:
// harness/chromium.js), against the RUNNING connector that CardConversationBrowserIT starts with the Pact fake: a
// lead with a 41-message history at Pact (the last one a photo). Reads the history (one Pact read), pages back,
// replies with Enter (Shift+Enter breaks the line), sends a file, and sees a client's message and a read tick arrive
// without reloading. On WhatsApp Business past the client's 24-hour window, the reply box sends an approved template
// with its values; a company without templates is told so. Without that JUnit test's environment (e.g. when
// WidgetBrowserIT runs this directory) the suite is skipped. Every wait is for a condition on the page.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { chromiumForTests } = require('../../harness/chromium');

const SKIP = process.env.CARD_CONVERSATION ? false : 'runs from CardConversationBrowserIT (./mvnw -B verify)';
const BASE = process.env.CONNECTOR_URL;
const TOKEN = process.env.CARD_TOKEN;
const ENTITY = process.env.CARD_ENTITY;
const CONVERSATION = process.env.CARD_CONVERSATION;
const HOOK_KEY = process.env.PACT_HOOK_KEY;
const FIXTURES = process.env.PACT_WEBHOOK_FIXTURES;
const SHOTS = process.env.SCREENSHOT_DIR;
const UPLOAD = process.env.CARD_UPLOAD;
const WABA_ENTITY = process.env.CARD_WABA_ENTITY;
const WABA_CONVERSATION = process.env.CARD_WABA_CONVERSATION;
const NO_TEMPLATES_TOKEN = process.env.CARD_NO_TEMPLATES_TOKEN;
const NO_TEMPLATES_ENTITY = process.env.CARD_NO_TEMPLATES_ENTITY;

let context;

test.before(async () => {
  if (SKIP) {
    return;
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'pact-chromium-card-')), {
    ...(await chromiumForTests()),
    viewport: { width: 420, height: 900 }
  });
  context.setDefaultTimeout(20000);
});

test.after(async () => {
  if (context) {
    await context.close();
  }
});

async function webhook(fixture, change) {
  const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, fixture + '.json'), 'utf8'));
  change(body.object);
  const response = await fetch(BASE + '/pact/webhooks/' + HOOK_KEY, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
  });
  assert.equal(response.status, 200);
}

/** Every status icon is drawn (an SVG with a size), never a font glyph that may render as an empty box. */
async function assertIconsDrawn(page) {
  const icons = await page.locator('.thread [data-icon]').evaluateAll((nodes) => nodes.map((n) => {
    const svg = n.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return { icon: n.getAttribute('data-icon'), text: n.textContent, width: box.width, height: box.height };
  }));
  assert.ok(icons.length > 0, 'there are status icons');
  for (const icon of icons) {
    assert.equal(icon.text, '', icon.icon + ' has no text glyph');
    assert.ok(icon.width >= 12 && icon.height >= 12, icon.icon + ' is drawn: ' + JSON.stringify(icon));
  }
}

test('the card shows the whole conversation, pages back, replies, sends a file and follows Pact live', { skip: SKIP }, async () => {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('# page error: ' + e.message));
  await page.goto(BASE + '/ui/card?entityType=lead&entityId=' + ENTITY + '#token=' + encodeURIComponent(TOKEN) + '&lang=en');
  await page.waitForSelector('body[data-ready="true"]');
  const thread = page.locator('.chat[data-conversation-id="' + CONVERSATION + '"] .thread');
  await thread.locator('.bubble').nth(29).waitFor();

  assert.equal(await page.locator('#write-first-box').evaluate((d) => d.open), false, 'write first is folded');
  assert.equal(await thread.locator('.bubble').count(), 30, 'the newest page');
  const newest = thread.locator('.bubble').last();
  assert.equal(await newest.locator('img').count(), 1, 'the client\'s photo is shown');
  assert.ok(await newest.locator('img').evaluate((img) => img.complete ? img.naturalWidth
    : new Promise((resolve) => { img.onload = () => resolve(img.naturalWidth); img.onerror = () => resolve(0); })) > 0,
  'and loads through the connector\'s link');
  assert.match(await newest.locator('time').textContent(), /\d{2}.\d{2}.\d{4}.*\d{2}:\d{2}/, 'date and time');
  assert.match(await thread.locator('.bubble.income').first().locator('.author').textContent(), /Maria Souza/);
  assert.equal(await page.locator('.reply-template').count(), 0, 'WhatsApp (not WABA) offers no template');
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-en.png'), fullPage: true });

  await page.locator('.older').click();
  await thread.locator('.bubble').nth(40).waitFor();
  assert.equal(await thread.locator('.bubble').count(), 41, 'every message after paging back');
  assert.equal(await thread.locator('.bubble .text').first().textContent(), 'mensagem 1', 'the oldest on top');
  assert.equal(await page.locator('.older').isHidden(), true, 'nothing older');

  const text = page.locator('.reply-text');
  await text.fill('Oi Maria,');
  await text.press('Shift+Enter');
  await text.pressSequentially('temos sim.');
  assert.equal(await text.inputValue(), 'Oi Maria,\ntemos sim.');
  await text.press('Enter');
  const reply = thread.locator('.bubble.outgoing', { hasText: 'temos sim.' });
  await reply.locator('[data-icon="clock"]').waitFor();
  assert.match(await reply.locator('.author').textContent(), /sent from the CRM by Ana Souza/);
  await assertIconsDrawn(page);

  await page.locator('.reply-file').setInputFiles(UPLOAD);
  await page.locator('.reply-file-name', { hasText: 'catalogo.png' }).waitFor();
  await text.fill('Nosso catálogo');
  await text.press('Enter');
  const sentFile = thread.locator('.bubble.outgoing', { hasText: 'Nosso catálogo' });
  await sentFile.locator('img').waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-reply-file-en.png'), fullPage: true });

  const replyId = Number(await reply.getAttribute('data-message-id'));
  await webhook('message-update-read', (m) => {
    m.id = replyId; m.conversation_id = Number(CONVERSATION); m.conversation.id = Number(CONVERSATION);
  });
  await reply.locator('[data-icon="two ticks"]').waitFor({ timeout: 5000 });
  await webhook('message-create-incoming', (m) => {
    m.id = 4999000001; m.conversation_id = Number(CONVERSATION); m.conversation.id = Number(CONVERSATION);
    m.message = 'Perfeito, obrigada!'; m.external_created_at = new Date().toISOString();
  });
  await thread.locator('.bubble.income', { hasText: 'Perfeito, obrigada!' }).waitFor({ timeout: 5000 });
  await assertIconsDrawn(page);
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-live-en.png'), fullPage: true });
});

test('on WhatsApp Business past the 24-hour window the reply box sends an approved template with its values', { skip: SKIP }, async () => {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('# page error: ' + e.message));
  await page.goto(BASE + '/ui/card?entityType=lead&entityId=' + WABA_ENTITY + '#token=' + encodeURIComponent(TOKEN) + '&lang=en');
  await page.waitForSelector('body[data-ready="true"]');
  const chat = page.locator('.chat[data-conversation-id="' + WABA_CONVERSATION + '"]');
  await chat.locator('.reply-rule', { hasText: 'more than 24 hours ago; only an approved template can be sent' }).waitFor();
  const picker = chat.locator('.reply-template');
  await picker.locator('option', { hasText: 'order_ready' }).waitFor({ state: 'attached' });
  assert.equal(await chat.locator('.reply-text').isDisabled(), true, 'no free text past the window');
  assert.equal(await chat.locator('.reply-send').isDisabled(), true, 'nothing to send before a template is chosen');

  await picker.selectOption({ label: 'order_ready' });
  assert.equal(await chat.locator('.reply-send').isDisabled(), true, 'its values still empty');
  await chat.locator('#reply-substitution-' + WABA_CONVERSATION + '-1').fill('Maria');
  assert.equal(await chat.locator('.reply-template-preview').textContent(), 'Hello Maria, your order {{2}} is ready');
  await chat.locator('#reply-substitution-' + WABA_CONVERSATION + '-2').fill('A-1001');
  assert.equal(await chat.locator('.reply-template-preview').textContent(), 'Hello Maria, your order A-1001 is ready');
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-waba-template-en.png'), fullPage: true });
  await chat.locator('.reply-send').click();

  await chat.locator('.reply-result', { hasText: 'Sent.' }).waitFor();
  const sent = chat.locator('.thread .bubble.outgoing').last();
  await sent.locator('[data-icon="clock"]').waitFor();
  assert.match(await sent.locator('.author').textContent(), /sent from the CRM by Ana Souza/);
  assert.equal(await picker.inputValue(), '', 'the picker is ready for the next one');
  assert.equal(await chat.locator('.reply-template-preview').isVisible(), false);
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-waba-sent-en.png'), fullPage: true });

  await page.goto('about:blank');
  await page.goto(BASE + '/ui/card?entityType=lead&entityId=' + NO_TEMPLATES_ENTITY + '#token='
    + encodeURIComponent(NO_TEMPLATES_TOKEN) + '&lang=en');
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('.reply-waba', { hasText: 'The Pact company has no approved WABA templates.' }).waitFor();
  assert.equal(await page.locator('.reply-template').isDisabled(), true);
  assert.equal(await page.locator('.reply-send').isDisabled(), true, 'the client never wrote: only a template could go');
  await page.screenshot({ path: path.join(SHOTS, 'card-conversation-waba-no-templates-en.png'), fullPage: true });
  await page.close();
});
