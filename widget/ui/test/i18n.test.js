'use strict';
// The card and settings pages' words: one JSON dictionary per language, fetched on demand by ui/assets/i18n.js.
// Runs on Node alone (part of ./mvnw test), with fetch and the page's document stood in for.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const UI = path.join(__dirname, '..');
const DICTIONARIES = path.join(UI, 'assets', 'i18n');
const LANGUAGES = ['pt', 'en', 'ru', 'es'];
const read = (lang) => JSON.parse(fs.readFileSync(path.join(DICTIONARIES, lang + '.json'), 'utf8'));

/**
 * A fresh copy of i18n.js (its module state is per import) whose fetch serves the dictionaries from disk, or the
 * given replacements, and records what was asked. Loaded as .mjs so Node need not guess that it is a module.
 */
async function loadI18n(replacements) {
  const fetched = [];
  global.document = { documentElement: { lang: '' } };
  global.fetch = async (url) => {
    const file = path.basename(new URL(url).pathname);
    fetched.push(file);
    const lang = file.replace(/\.json$/, '');
    const words = replacements && lang in replacements ? replacements[lang] : read(lang);
    return { ok: words !== null, status: words ? 200 : 404, json: async () => words };
  };
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pact-i18n-')), 'i18n.mjs');
  fs.copyFileSync(path.join(UI, 'assets', 'i18n.js'), copy);
  return { i18n: await import(pathToFileURL(copy).href), fetched };
}

test('every language has exactly the English keys, each a text', () => {
  const english = Object.keys(read('en')).sort();
  for (const lang of LANGUAGES) {
    const words = read(lang);
    assert.deepEqual(Object.keys(words).sort(), english, lang);
    for (const [key, text] of Object.entries(words)) assert.equal(typeof text, 'string', lang + ': ' + key);
  }
});

test('every key the pages name literally (data-i18n, t(\'…\')) is in the English dictionary', () => {
  // Keys built at run time ('channel.' + provider) are left to the pages' browser tests.
  const english = read('en');
  const html = ['card.html', 'settings.html'].map((f) => fs.readFileSync(path.join(UI, f), 'utf8')).join('\n');
  const scripts = fs.readdirSync(path.join(UI, 'assets')).filter((f) => f.endsWith('.js'))
    .map((f) => fs.readFileSync(path.join(UI, 'assets', f), 'utf8')).join('\n');
  const keys = [...html.matchAll(/data-i18n(?:-placeholder)?="([^"]+)"/g), ...scripts.matchAll(/\bt\('([A-Za-z.]+)'\s*[,)]/g)]
    .map((m) => m[1]);
  assert.ok(keys.length > 100, 'found ' + keys.length);
  for (const key of keys) assert.equal(typeof english[key], 'string', key);
});

test('a page fetches its own language\'s dictionary and English\'s, each once, and no other', async () => {
  const { i18n, fetched } = await loadI18n();
  assert.equal(await i18n.setLanguage('pt_BR'), 'pt');
  assert.equal(i18n.t('card.send'), 'Enviar');
  assert.equal(global.document.documentElement.lang, 'pt');
  await i18n.setLanguage('pt');
  assert.deepEqual(fetched.sort(), ['en.json', 'pt.json']);

  const english = await loadI18n();
  await english.i18n.setLanguage('en');
  assert.equal(english.i18n.t('card.send'), 'Send');
  assert.deepEqual(english.fetched, ['en.json']);
});

test('a key missing from a translation is shown in English; an unknown key as itself; placeholders filled', async () => {
  const russian = read('ru');
  delete russian['card.sent'];
  const { i18n } = await loadI18n({ ru: russian });
  await i18n.setLanguage('ru');
  assert.equal(i18n.t('card.send'), read('ru')['card.send']);
  assert.equal(i18n.t('card.sent', { conversation: 42 }), read('en')['card.sent'].replace('{conversation}', '42'));
  assert.equal(i18n.t('no.such.key'), 'no.such.key');
  assert.equal(i18n.t('card.responsible', {}), read('ru')['card.responsible'], 'an unknown value keeps its placeholder');
});

test('an unknown language is Portuguese; the server\'s reasons are shown in the page\'s language', async () => {
  const { i18n } = await loadI18n();
  assert.equal(await i18n.setLanguage('de'), 'pt');
  assert.equal(i18n.language(), 'pt');
  assert.equal(i18n.reason("the Pact company's plan is unpaid"), read('pt')['reason.unpaid']);
  assert.equal(i18n.reason('something else'), 'something else');
});

test('a dictionary that does not load fails the language change and is asked for again next time', async () => {
  const { i18n, fetched } = await loadI18n({ es: null });
  await assert.rejects(i18n.setLanguage('es'), /es dictionary did not load/);
  await assert.rejects(i18n.setLanguage('es'));
  assert.equal(fetched.filter((f) => f === 'es.json').length, 2);
});
