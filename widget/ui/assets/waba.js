/*
 * WhatsApp Business (WABA) templates, as the write-first dialog and a WABA conversation's reply box offer them: on
 * WABA a business may write first, or answer after the client's 24-hour window, only with a template Meta approved.
 * The Pact company's templates are asked once per page (GET /api/v1/waba-templates); a template's {{1}}, {{2}}, …
 * get one input each, and its text is shown filled as far as typed.
 */
import { api } from './session.js';
import { t } from './i18n.js';
import { el, clear, errorText } from './dom.js';

export var WABA = 'whatsapp_business';

var listing = null;

/** The approved templates ({id, wabaId, name, body, substitutionsCount}); asked again after a failure. */
function wabaTemplates() {
  if (!listing) {
    listing = api('GET', '/api/v1/waba-templates').then(function (r) { return r.templates; }, function (e) {
      listing = null;
      throw e;
    });
  }
  return listing;
}

function filled(template, values) {
  return template.body.replace(/\{\{(\d+)\}\}/g, function (whole, n) { return values[n - 1] ? values[n - 1] : whole; });
}

/**
 * Makes {select, note, substitutions, preview} a template picker: {@code load()} lists the templates in select (note
 * says in words when there are none or why Pact gave none, with a retry), a choice gets one input per placeholder
 * (ids idPrefix + n) and its text in preview; onChange runs after every choice and keystroke.
 */
export function templatePicker(parts, idPrefix, onChange) {
  var templates = [];
  var chosen = null;

  function values() {
    return Array.prototype.map.call(parts.substitutions.querySelectorAll('.substitution'), function (input) {
      return input.value.trim();
    });
  }

  function render() {
    parts.preview.textContent = chosen ? filled(chosen, values()) : '';
    onChange();
  }

  function choose() {
    chosen = templates.filter(function (tpl) { return String(tpl.wabaId) === parts.select.value; })[0] || null;
    clear(parts.substitutions);
    for (var n = 1; chosen && n <= chosen.substitutionsCount; n++) {
      parts.substitutions.appendChild(el('label', { for: idPrefix + n }, t('card.substitution', { n: n })));
      parts.substitutions.appendChild(el('input', { id: idPrefix + n, class: 'substitution', autocomplete: 'off' }));
    }
    render();
  }

  function say(text, error, retry) {
    clear(parts.note);
    parts.note.hidden = !text;
    parts.note.className = error ? 'hint error' : 'hint';
    if (text) {
      parts.note.appendChild(document.createTextNode(text + ' '));
    }
    if (retry) {
      var again = el('button', { type: 'button', class: 'secondary small' }, t('common.retry'));
      again.addEventListener('click', load);
      parts.note.appendChild(again);
    }
  }

  function load() {
    clear(parts.select);
    parts.select.appendChild(el('option', { value: '' }, t('common.loading')));
    parts.select.disabled = true;
    say('');
    return wabaTemplates().then(function (list) {
      templates = list;
      clear(parts.select);
      parts.select.appendChild(el('option', { value: '' }, list.length ? t('card.chooseTemplate') : t('common.none')));
      list.forEach(function (tpl) { parts.select.appendChild(el('option', { value: String(tpl.wabaId) }, tpl.name)); });
      parts.select.disabled = !list.length;
      say(list.length ? '' : t('card.noTemplates'));
    }, function (e) {
      clear(parts.select);
      parts.select.appendChild(el('option', { value: '' }, t('common.none')));
      say(errorText(e, t), true, e.status !== 401);
    }).then(choose);
  }

  parts.select.addEventListener('change', choose);
  parts.substitutions.addEventListener('input', render);

  return {
    load: load,
    /** The chosen template, or null. */
    chosen: function () { return chosen; },
    values: values,
    /** A template is chosen and every placeholder has a value. */
    ready: function () { return !!chosen && values().every(function (v) { return v.length > 0; }); },
    reset: function () {
      parts.select.value = '';
      choose();
    }
  };
}
