'use strict';
// What amoCRM gives script.js, in Node: a page (jsdom) with the real jQuery on it, an AMD `define`, APP, and the
// widget SDK members ($authorizedAjax, render_template, get_settings, i18n, system).
const fs = require('fs');
const path = require('path');
const { JSDOM } = require('jsdom');
const jQueryFactory = require('jquery/factory').jQueryFactory;

const WIDGET_DIR = path.join(__dirname, '..', 'amocrm');
const SCRIPT = fs.readFileSync(path.join(WIDGET_DIR, 'script.js'), 'utf8');

/**
 * Loads script.js as amoCRM would and returns the widget with its surroundings.
 * options: area ('lcard' | 'ccard' | 'settings' | 'advanced_settings'), cardId, settings, lang.
 */
function loadWidget(options) {
  const opts = Object.assign({ area: 'lcard', cardId: 4711, lang: 'pt', settings: {} }, options || {});
  const i18n = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'i18n', opts.lang + '.json'), 'utf8'));
  const { window } = new JSDOM('<!DOCTYPE html><html><body></body></html>', { runScripts: 'outside-only' });
  const $ = jQueryFactory(window);
  let factory = null;
  let deps = null;
  window.define = (d, f) => { deps = d; factory = f; };
  window.APP = {
    lang_id: opts.lang,
    data: { current_card: { id: opts.cardId } },
    getBaseEntity() { return { lcard: 'leads', ccard: 'contacts' }[opts.area] || 'leads'; },
    isCard() { return opts.area === 'lcard' || opts.area === 'ccard'; },
  };
  window.eval(SCRIPT);
  if (typeof factory !== 'function') throw new Error('script.js did not call define(deps, factory)');

  const Widget = factory($);
  const widget = new Widget();
  const calls = { ajax: [], templates: [] };
  const ajaxReplies = [];
  widget.params = { widget_code: 'pact_test', path: '/widgets/pact_test', version: '0.1.0' };
  widget.get_settings = () => Object.assign({ widget_code: 'pact_test', connector_url: 'https://connector.example.com/' }, opts.settings);
  widget.i18n = (key) => i18n[key];
  widget.system = () => ({ area: opts.area, amouser_id: '42', subdomain: 'acme', domain: 'acme.kommo.com' });
  widget.render_template = (params) => {
    calls.templates.push(params);
    // Stands in for the card's right panel (the widget's column).
    const panel = $('<div class="card-widgets__widget"></div>');
    panel.append(params.render);
    $('body').append(panel);
  };
  // amoCRM answers with a jQuery XHR; the test settles each request's deferred by hand.
  widget.$authorizedAjax = (request) => {
    calls.ajax.push(request);
    const reply = $.Deferred();
    ajaxReplies.push(reply);
    return reply.promise();
  };
  return { widget, deps, env: { window, document: window.document }, $, APP: window.APP, calls, ajaxReplies, i18n: i18n.userLang };
}

module.exports = { loadWidget, WIDGET_DIR };
