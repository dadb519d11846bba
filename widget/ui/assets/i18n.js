/*
 * The UI's words in pt (the default for this market), en, ru and es, in the Pact help page's terms:
 * "write first", responsible, comment, archive, unanswered, and the status icons (clock, one tick, two ticks, error).
 * One dictionary per language, i18n/<lang>.json ({"key": "text"}); a page fetches only its own language's, and
 * English's, which fills in any key a translation lacks.
 */
export var LANGUAGES = ['pt', 'en', 'ru', 'es'];
var FALLBACK = 'en';
var current = 'pt';
var words = {};
var fallbackWords = {};
/** Language code → the promise of its dictionary, so each is fetched once per page. */
var dictionaries = {};

function dictionary(code) {
  if (!dictionaries[code]) {
    dictionaries[code] = fetch(new URL('./i18n/' + code + '.json', import.meta.url)).then(function (response) {
      if (!response.ok) {
        throw new Error('the ' + code + ' dictionary did not load (HTTP ' + response.status + ')');
      }
      return response.json();
    });
    // A failed fetch is not kept: the next language change asks again.
    dictionaries[code].catch(function () { delete dictionaries[code]; });
  }
  return dictionaries[code];
}

/**
 * amoCRM's lang_id ("pt", "en", "ru", "es", sometimes "pt_BR") or the settings' language; pt otherwise. Resolves with
 * the language once its words are loaded; until then {@link t} keeps the previous language's.
 */
export function setLanguage(wanted) {
  var code = String(wanted || '').toLowerCase().slice(0, 2);
  code = LANGUAGES.indexOf(code) >= 0 ? code : 'pt';
  return Promise.all([dictionary(code), dictionary(FALLBACK)]).then(function (loaded) {
    current = code;
    words = loaded[0];
    fallbackWords = loaded[1];
    document.documentElement.lang = code;
    return code;
  });
}

export function language() {
  return current;
}

/** The text for key in the current language (English when missing), with {name} placeholders filled. */
export function t(key, values) {
  var text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : fallbackWords[key];
  if (text === undefined) {
    return key;
  }
  return text.replace(/\{([a-zA-Z]+)\}/g, function (whole, name) {
    return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : whole;
  });
}

/** The server's plain reasons (English) that the pages show in the user's language; others are shown as they are. */
var REASONS = {
  "the Pact company's plan is unpaid": 'reason.unpaid',
  'Pact is not connected: an admin must enter the Pact API token in the settings': 'reason.notConnected',
  'the Pact plan does not allow writing first on this channel': 'reason.forbidden',
  'Pact did not accept the message; the sync journal has the details': 'reason.rejected',
  'Pact refused the API token: check it in app.pact.im': 'reason.badToken',
  "this Pact token may not manage the company's webhooks": 'reason.noWebhooks',
  'Pact did not list the WABA templates just now; try again in a minute': 'reason.templatesUnavailable',
  "Pact does not let this token list the company's WABA templates": 'reason.templatesForbidden'
};

export function reason(text) {
  return REASONS[text] ? t(REASONS[text]) : text;
}

/** Fills every [data-i18n] element's text and every [data-i18n-placeholder] placeholder under root. */
export function translate(root) {
  root.querySelectorAll('[data-i18n]').forEach(function (el) {
    el.textContent = t(el.getAttribute('data-i18n'));
  });
  root.querySelectorAll('[data-i18n-placeholder]').forEach(function (el) {
    el.setAttribute('placeholder', t(el.getAttribute('data-i18n-placeholder')));
  });
}
