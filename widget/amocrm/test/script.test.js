'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { loadWidget, WIDGET_DIR } = require('../../harness/amocrm');

const SESSION = { token: 'sess.tok/en+1', expiresAt: new Date(Date.now() + 15 * 60 * 1000).toISOString(), installationId: 7, user: { id: '42', name: null, admin: false } };

function openCard(options) {
  const w = loadWidget(options);
  assert.equal(w.widget.callbacks.render(), true);
  assert.equal(w.widget.callbacks.init(), true);
  assert.equal(w.widget.callbacks.bind_actions(), true);
  return w;
}
const button = (w) => w.$('.pact-widget .pact-widget__write');
const status = (w) => w.$('.pact-widget .pact-widget__status').text();
const frame = (w) => w.$('.pact-widget-overlay .pact-widget-overlay__frame');

test('script.js is an AMD module on jquery exposing every documented callback', () => {
  const w = loadWidget();
  assert.deepEqual(Array.from(w.deps), ['jquery']);
  for (const name of ['render', 'init', 'bind_actions', 'settings', 'onSave', 'destroy', 'advancedSettings']) {
    assert.equal(typeof w.widget.callbacks[name], 'function', name);
  }
});

test('render puts the Pact block with the "write first" button in the lead card panel', () => {
  const w = openCard({ area: 'lcard', lang: 'pt' });
  assert.equal(w.calls.templates.length, 1);
  assert.equal(button(w).length, 1);
  assert.equal(button(w).text(), 'Escrever primeiro');
  assert.equal(w.$('.pact-widget .pact-widget__status').length, 1);
  assert.equal(w.$('.pact-widget').attr('data-pact-widget'), 'pact_test');
});

test('render shows the block in the contact card in the user\'s language, and nothing outside cards', () => {
  assert.equal(button(openCard({ area: 'ccard', lang: 'en' })).text(), 'Write first');
  assert.equal(button(openCard({ area: 'ccard', lang: 'ru' })).text(), 'Написать первым');
  const settings = loadWidget({ area: 'settings' });
  assert.equal(settings.widget.callbacks.render(), true);
  assert.equal(settings.calls.templates.length, 0);
});

test('a click asks for one session with $authorizedAjax; a double click does not ask twice', () => {
  const w = openCard();
  button(w).click();
  button(w).click();
  assert.equal(w.calls.ajax.length, 1);
  assert.equal(w.calls.ajax[0].url, 'https://connector.example.com/api/v1/sessions/amocrm');
  assert.equal(w.calls.ajax[0].method, 'POST');
  assert.equal(status(w), w.i18n.connecting);
  assert.equal(button(w).prop('disabled'), true);
});

test('bind_actions called again on an area change does not bind the click twice', () => {
  const w = openCard();
  w.widget.callbacks.bind_actions();
  w.widget.callbacks.bind_actions();
  button(w).click();
  assert.equal(w.calls.ajax.length, 1);
});

test('the card page opens in an iframe with the entity in the query and the token only in the fragment', () => {
  const w = openCard({ area: 'lcard', cardId: 4711 });
  button(w).click();
  w.ajaxReplies[0].resolve(SESSION);
  assert.equal(frame(w).length, 1);
  const url = new URL(frame(w).attr('src'));
  assert.equal(url.origin + url.pathname, 'https://connector.example.com/ui/card');
  assert.equal(url.searchParams.get('entityType'), 'lead');
  assert.equal(url.searchParams.get('entityId'), '4711');
  assert.ok(!url.search.includes('token'), 'no token in the query string');
  assert.equal(new URLSearchParams(url.hash.slice(1)).get('token'), SESSION.token);
  assert.equal(button(w).prop('disabled'), false);
  assert.equal(status(w), w.i18n.ready);
});

test('a contact card opens entityType=contact', () => {
  const w = openCard({ area: 'ccard', cardId: 99 });
  button(w).click();
  w.ajaxReplies[0].resolve(SESSION);
  const url = new URL(frame(w).attr('src'));
  assert.equal(url.searchParams.get('entityType'), 'contact');
  assert.equal(url.searchParams.get('entityId'), '99');
});

test('the session is kept in memory: a second click reuses it, an expired one is renewed', () => {
  const w = openCard();
  button(w).click();
  w.ajaxReplies[0].resolve(SESSION);
  w.$('.pact-widget-overlay .pact-widget-overlay__close').click();
  assert.equal(w.$('.pact-widget-overlay').length, 0, 'the close button closes the overlay');
  button(w).click();
  assert.equal(w.calls.ajax.length, 1);
  assert.equal(w.$('.pact-widget-overlay').length, 1, 'one overlay at a time');

  const expired = openCard();
  button(expired).click();
  expired.ajaxReplies[0].resolve(Object.assign({}, SESSION, { expiresAt: new Date(Date.now() + 30 * 1000).toISOString() }));
  button(expired).click();
  assert.equal(expired.calls.ajax.length, 2);
});

test('Escape and a close message from the connector origin close the overlay; other origins do not', () => {
  const w = openCard();
  button(w).click();
  w.ajaxReplies[0].resolve(SESSION);
  const { window } = w.env;
  window.dispatchEvent(new window.MessageEvent('message', { origin: 'https://evil.example.net', data: { type: 'pact:close' } }));
  assert.equal(w.$('.pact-widget-overlay').length, 1);
  window.dispatchEvent(new window.MessageEvent('message', { origin: 'https://connector.example.com', data: { type: 'pact:close' } }));
  assert.equal(w.$('.pact-widget-overlay').length, 0);

  button(w).click();
  assert.equal(w.$('.pact-widget-overlay').length, 1);
  window.document.body.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  assert.equal(w.$('.pact-widget-overlay').length, 0);
});

for (const [status, key] of [[401, 'not_authorised'], [403, 'not_installed'], [0, 'unreachable'], [500, 'server']]) {
  test(`a session refused with HTTP ${status} shows the "${key}" text and lets the user try again`, () => {
    const w = openCard({ lang: 'pt' });
    button(w).click();
    w.ajaxReplies[0].reject({ status });
    assert.equal(w.$('.pact-widget .pact-widget__status').text(), w.i18n.errors[key]);
    assert.equal(w.$('.pact-widget .pact-widget__status').attr('data-state'), 'error');
    assert.equal(w.$('.pact-widget-overlay').length, 0);
    assert.equal(button(w).prop('disabled'), false);
    button(w).click();
    assert.equal(w.calls.ajax.length, 2, 'a failed attempt is not cached');
  });
}

test('errors are in the user\'s language', () => {
  const w = openCard({ lang: 'es' });
  button(w).click();
  w.ajaxReplies[0].reject({ status: 403 });
  assert.match(status(w), /^Pact todavía no está instalado/);
});

test('a reply without a token is an error, not an iframe', () => {
  const w = openCard();
  button(w).click();
  w.ajaxReplies[0].resolve({ type: 'about:blank' });
  assert.equal(status(w), w.i18n.errors.server);
  assert.equal(w.$('.pact-widget-overlay').length, 0);
});

test('no connector address, a non-https one, or an unsaved card: plain words and no request', () => {
  const cases = [
    [{ settings: { connector_url: '' } }, 'no_url'],
    [{ settings: { connector_url: 'http://connector.example.com' } }, 'bad_url'],
    [{ settings: { connector_url: 'javascript:alert(1)' } }, 'bad_url'],
    [{ cardId: 0 }, 'save_first'],
  ];
  for (const [options, key] of cases) {
    const w = openCard(options);
    button(w).click();
    assert.equal(w.calls.ajax.length, 0, key);
    assert.equal(status(w), w.i18n.errors[key], key);
  }
});

test('a connector on localhost over plain http is accepted for development', () => {
  const w = openCard({ settings: { connector_url: 'http://localhost:8080' } });
  button(w).click();
  assert.equal(w.calls.ajax[0].url, 'http://localhost:8080/api/v1/sessions/amocrm');
});

test('settings: the modal gets an "open Pact settings" button that opens /ui/settings with the token in the fragment', () => {
  const w = loadWidget({ area: 'settings', lang: 'pt' });
  const modal = w.$('<div class="modal-body"><input name="connector_url" value="https://typed.example.com"></div>');
  w.$('body').append(modal);
  assert.equal(w.widget.callbacks.settings(modal), true);
  const open = modal.find('.pact-widget-settings__open');
  assert.equal(open.text(), 'Abrir as configurações do Pact');
  open.click();
  open.click();
  assert.equal(w.calls.ajax.length, 1);
  assert.equal(w.calls.ajax[0].url, 'https://typed.example.com/api/v1/sessions/amocrm');
  w.ajaxReplies[0].resolve(SESSION);
  const url = new URL(frame(w).attr('src'));
  assert.equal(url.origin + url.pathname, 'https://typed.example.com/ui/settings');
  assert.equal(url.search, '');
  assert.equal(new URLSearchParams(url.hash.slice(1)).get('token'), SESSION.token);
});

test('settings: before the integration is installed the modal says so', () => {
  const w = loadWidget({ area: 'settings', lang: 'en' });
  const modal = w.$('<div class="modal-body"></div>');
  w.$('body').append(modal);
  w.widget.callbacks.settings(modal);
  modal.find('.pact-widget-settings__open').click();
  w.ajaxReplies[0].reject({ status: 403 });
  assert.equal(modal.find('.pact-widget__status').text(), w.i18n.errors.not_installed);
});

test('onSave refuses a connector address that is not https and accepts a good one', () => {
  const w = loadWidget({ area: 'settings' });
  const modal = w.$('<div class="modal-body"><input name="connector_url" value="ftp://x"></div>');
  w.$('body').append(modal);
  w.widget.callbacks.settings(modal);
  assert.equal(w.widget.callbacks.onSave(), false);
  assert.equal(modal.find('.pact-widget__status').text(), w.i18n.errors.bad_url);
  modal.find('input').val('https://connector.example.com');
  assert.equal(w.widget.callbacks.onSave(), true);
});

test('advancedSettings renders the settings block in the widget work area', () => {
  const w = loadWidget({ area: 'advanced_settings' });
  w.$('body').append('<div id="work-area-pact_test"></div>');
  assert.equal(w.widget.callbacks.advancedSettings(), true);
  w.$('#work-area-pact_test .pact-widget-settings__open').click();
  assert.equal(w.calls.ajax[0].url, 'https://connector.example.com/api/v1/sessions/amocrm');
  w.ajaxReplies[0].resolve(SESSION);
  assert.equal(new URL(frame(w).attr('src')).pathname, '/ui/settings');
});

test('destroy unbinds the card button, closes the overlay and forgets the session', () => {
  const w = openCard();
  button(w).click();
  w.ajaxReplies[0].resolve(SESSION);
  w.widget.callbacks.destroy();
  assert.equal(w.$('.pact-widget-overlay').length, 0);
  button(w).click();
  assert.equal(w.calls.ajax.length, 1, 'no handler after destroy');
  w.widget.callbacks.bind_actions();
  button(w).click();
  assert.equal(w.calls.ajax.length, 2, 'the session was forgotten');
});

test('i18n: every language has the same keys, and the manifest\'s keys exist in each', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'manifest.json'), 'utf8'));
  const keys = (obj, prefix) => Object.keys(obj).flatMap((k) =>
    (typeof obj[k] === 'object' ? keys(obj[k], prefix + k + '.') : [prefix + k])).sort();
  const byLang = {};
  for (const lang of manifest.widget.locale) {
    byLang[lang] = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'i18n', lang + '.json'), 'utf8'));
  }
  assert.deepEqual(Object.keys(byLang).sort(), ['en', 'es', 'pt', 'ru']);
  for (const lang of Object.keys(byLang)) {
    assert.deepEqual(keys(byLang[lang], ''), keys(byLang.pt, ''), lang);
    const lookup = (k) => k.split('.').reduce((o, p) => (o == null ? o : o[p]), byLang[lang]);
    const referenced = [manifest.widget.name, manifest.widget.description, manifest.widget.short_description, manifest.advanced.title]
      .concat(Object.values(manifest.settings).map((s) => s.name)).concat(Object.values(manifest.dp.settings).map((s) => s.name))
      .concat([manifest.salesbot_designer.pact_send.name]);
    for (const key of referenced) assert.equal(typeof lookup(key), 'string', lang + ': ' + key);
  }
});

test('manifest: documented shape, card and settings locations, version in step with the Maven project', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'manifest.json'), 'utf8'));
  assert.equal(manifest.widget.interface_version, 2);
  assert.equal(manifest.widget.installation, true);
  assert.deepEqual(manifest.locations, ['lcard-1', 'ccard-1', 'settings', 'advanced_settings', 'digital_pipeline',
    'salesbot_designer']);
  assert.deepEqual(Object.keys(manifest.salesbot_designer.pact_send.settings), ['text', 'waba_id', 'substitutions']);
  assert.equal(manifest.settings.connector_url.type, 'text');
  // The digital-pipeline action (issue 15): its settings, one action per stage, and the connector's endpoint, whose
  // host the build fills in (-Dwidget.connector-url).
  assert.deepEqual(Object.keys(manifest.dp.settings), ['text', 'waba_id', 'substitutions', 'key']);
  assert.equal(manifest.dp.action_multiple, false);
  assert.equal(manifest.dp.webhook_url, '@CONNECTOR_URL@/amocrm/automation');
  const pom = fs.readFileSync(path.join(WIDGET_DIR, '..', '..', 'pom.xml'), 'utf8');
  const projectVersion = /<artifactId>pact-crm-connector<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom)[1];
  assert.equal(manifest.widget.version, projectVersion.replace(/-SNAPSHOT$/, ''));
});

test('images: every documented logo exists as a PNG of its size and under 300 KB', () => {
  const sizes = { 'logo_main.png': [400, 272], 'logo_medium.png': [240, 84], 'logo_small.png': [108, 108], 'logo_min.png': [84, 84], 'logo.png': [130, 100] };
  for (const [name, [w, h]] of Object.entries(sizes)) {
    const bytes = fs.readFileSync(path.join(WIDGET_DIR, 'images', name));
    assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG', name);
    assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [w, h], name);
    assert.ok(bytes.length < 300 * 1024, name);
  }
});

test('the Salesbot step calls the connector with widget_request and the step\'s values', () => {
  const w = loadWidget({ settings: { connector_url: 'https://connector.example.com/' } });
  const step = JSON.parse(w.widget.callbacks.onSalesbotDesignerSave('pact_send',
    { text: 'Olá {{lead.name}}', waba_id: '', substitutions: 'João\n\n1042' }));
  const call = step[0].question[0];
  assert.equal(call.handler, 'widget_request');
  assert.equal(call.params.url, 'https://connector.example.com/amocrm/salesbot');
  assert.deepEqual(call.params.data, { text: 'Olá {{lead.name}}', waba_id: '', substitutions: ['João', '1042'] });
});
