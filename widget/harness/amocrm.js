'use strict';
// A minimal stand-in for what amoCRM gives script.js: an AMD `define`, a jQuery subset over a tiny
// fake DOM, APP, and the widget SDK members ($authorizedAjax, render_template, get_settings, i18n,
// system). No dependencies, so `node --test` runs offline.
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const WIDGET_DIR = path.join(__dirname, '..', 'amocrm');

// ---------- fake DOM ----------
class Node {
  constructor(tag) {
    this.tag = tag;
    this.attrs = {};
    this.props = {};
    this.children = [];
    this.parent = null;
    this.text = '';
    this.handlers = [];
  }
  get classes() {
    return (this.attrs.class || '').split(/\s+/).filter(Boolean);
  }
  textContent() {
    return this.tag === '#text' ? this.text : this.children.map((c) => c.textContent()).join('');
  }
  descendants() {
    const out = [];
    const walk = (n) => n.children.forEach((c) => { if (c.tag !== '#text') { out.push(c); } walk(c); });
    walk(this);
    return out;
  }
  ancestorsAndSelf() {
    const out = [];
    for (let n = this; n; n = n.parent) out.push(n);
    return out;
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", times: '\u00d7' };
const decode = (s) => s.replace(/&(amp|lt|gt|quot|#39|times);/g, (m, e) => ENTITIES[e]);
const VOID = new Set(['input', 'br', 'img', 'hr', 'meta', 'link']);

function parseHtml(html) {
  const root = new Node('#fragment');
  let current = root;
  const re = /<\/([a-z0-9]+)\s*>|<([a-z0-9]+)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*\/?>|([^<]+)/gi;
  let m;
  while ((m = re.exec(html))) {
    if (m[1]) {
      if (current.tag !== m[1].toLowerCase()) throw new Error('unbalanced </' + m[1] + '> in ' + html);
      current = current.parent;
    } else if (m[2]) {
      const el = new Node(m[2].toLowerCase());
      const attrRe = /([a-z-]+)(?:="([^"]*)")?/gi;
      let a;
      while ((a = attrRe.exec(m[3] || ''))) el.attrs[a[1].toLowerCase()] = a[2] === undefined ? '' : decode(a[2]);
      el.parent = current;
      current.children.push(el);
      if (!VOID.has(el.tag) && !/\/>$/.test(m[0])) current = el;
    } else if (m[4]) {
      const t = new Node('#text');
      t.text = decode(m[4]);
      t.parent = current;
      current.children.push(t);
    }
  }
  if (current !== root) throw new Error('unclosed <' + current.tag + '> in ' + html);
  const top = root.children.filter((c) => c.tag !== '#text');
  top.forEach((c) => { c.parent = null; });
  return top;
}

// Selectors: compound parts (tag, #id, .class, [attr="value"]) joined by descendant spaces.
function parseCompound(s) {
  const c = { tag: null, id: null, classes: [], attrs: [] };
  const re = /^[a-z0-9]+|#[\w-]+|\.[\w-]+|\[([\w-]+)(?:="([^"]*)")?\]/gi;
  let m;
  let used = 0;
  while ((m = re.exec(s))) {
    used += m[0].length;
    if (m[0][0] === '#') c.id = m[0].slice(1);
    else if (m[0][0] === '.') c.classes.push(m[0].slice(1));
    else if (m[0][0] === '[') c.attrs.push([m[1], m[2]]);
    else c.tag = m[0].toLowerCase();
  }
  if (used !== s.length) throw new Error('selector not supported by the harness: ' + s);
  return c;
}
function matchesCompound(node, c) {
  if (node.tag === '#text' || node.tag === '#document') return false;
  if (c.tag && node.tag !== c.tag) return false;
  if (c.id && node.attrs.id !== c.id) return false;
  if (c.classes.some((k) => !node.classes.includes(k))) return false;
  return c.attrs.every(([k, v]) => (v === undefined ? k in node.attrs : node.attrs[k] === v));
}
function matches(node, selector, within) {
  const parts = selector.trim().split(/\s+/).map(parseCompound);
  if (!matchesCompound(node, parts[parts.length - 1])) return false;
  let i = parts.length - 2;
  for (let n = node.parent; n && i >= 0 && n !== within; n = n.parent) {
    if (matchesCompound(n, parts[i])) i--;
  }
  return i < 0;
}

// ---------- jQuery subset ----------
function createEnvironment() {
  const document = new Node('#document');
  const html = new Node('html');
  const body = new Node('body');
  html.parent = document;
  document.children.push(html);
  body.parent = html;
  html.children.push(body);
  const windowNode = new Node('#window');

  function wrap(nodes) {
    const q = Object.create(proto);
    q.nodes = nodes.filter(Boolean);
    q.length = q.nodes.length;
    return q;
  }
  function $(x, props) {
    if (x && x.__isQuery) return x;
    if (x === document || x === windowNode || x instanceof Node) return wrap([x]);
    if (x && x.__isWindow) return wrap([windowNode]);
    if (x && x.__isDocument) return wrap([document]);
    if (typeof x === 'string') {
      if (x.trim()[0] === '<') {
        const nodes = parseHtml(x.trim());
        if (props) Object.keys(props).forEach((k) => { nodes[0].attrs[k] = String(props[k]); });
        return wrap(nodes);
      }
      return wrap(document.descendants().filter((n) => matches(n, x, null)));
    }
    return wrap([]);
  }
  const splitEvents = (events) => events.split(/\s+/).filter(Boolean).map((e) => {
    const [type, ...names] = e.split('.');
    return { type, names };
  });
  const proto = {
    __isQuery: true,
    find(sel) {
      const out = [];
      this.nodes.forEach((n) => n.descendants().forEach((d) => { if (matches(d, sel, n) && !out.includes(d)) out.push(d); }));
      return wrap(out);
    },
    text(v) {
      if (v === undefined) return this.nodes.map((n) => n.textContent()).join('');
      this.nodes.forEach((n) => {
        const t = new Node('#text');
        t.text = String(v);
        t.parent = n;
        n.children = [t];
      });
      return this;
    },
    attr(k, v) {
      if (v === undefined) return this.nodes[0] ? this.nodes[0].attrs[k] : undefined;
      this.nodes.forEach((n) => { n.attrs[k] = String(v); });
      return this;
    },
    prop(k, v) {
      if (v === undefined) return this.nodes[0] ? this.nodes[0].props[k] : undefined;
      this.nodes.forEach((n) => { n.props[k] = v; });
      return this;
    },
    val(v) {
      if (v === undefined) return this.nodes[0] ? (this.nodes[0].props.value !== undefined ? this.nodes[0].props.value : this.nodes[0].attrs.value || '') : undefined;
      this.nodes.forEach((n) => { n.props.value = String(v); });
      return this;
    },
    append(content) {
      const target = this.nodes[0];
      const nodes = typeof content === 'string' ? parseHtml(content) : $(content).nodes;
      nodes.forEach((c) => {
        if (c.parent) c.parent.children = c.parent.children.filter((x) => x !== c);
        c.parent = target;
        target.children.push(c);
      });
      return this;
    },
    remove() {
      this.nodes.forEach((n) => {
        if (n.parent) n.parent.children = n.parent.children.filter((x) => x !== n);
        n.parent = null;
      });
      return this;
    },
    on(events, selector, handler) {
      if (typeof selector === 'function') { handler = selector; selector = null; }
      this.nodes.forEach((n) => splitEvents(events).forEach(({ type, names }) => n.handlers.push({ type, names, selector, handler })));
      return this;
    },
    off(events) {
      this.nodes.forEach((n) => splitEvents(events).forEach(({ type, names }) => {
        n.handlers = n.handlers.filter((h) => !((!type || h.type === type) && names.every((x) => h.names.includes(x))));
      }));
      return this;
    },
    // Dispatches like a browser event: the target, then each ancestor up to the document,
    // running delegated handlers whose selector matches the target's path.
    trigger(type, extra) {
      this.nodes.forEach((target) => {
        const event = Object.assign({ type, target, preventDefault() {}, stopPropagation() {} }, extra || {});
        const path = target === windowNode ? [windowNode] : target.ancestorsAndSelf();
        path.forEach((current) => current.handlers.filter((h) => h.type === type).forEach((h) => {
          if (!h.selector) return h.handler.call(current, event);
          const hit = target.ancestorsAndSelf().find((n) => n !== current && matches(n, h.selector, null));
          if (hit && hit.ancestorsAndSelf().includes(current)) h.handler.call(hit, Object.assign({}, event, { currentTarget: hit }));
          return undefined;
        }));
      });
      return this;
    },
    click() { return this.trigger('click'); },
  };
  $.fn = proto;
  return { $, document, body, window: windowNode, Node };
}

/** A jQuery-style deferred the test settles by hand. */
function deferred() {
  const done = [];
  const fail = [];
  let state = null;
  let value;
  const d = {
    done(fn) { if (state === 'done') fn(value); else done.push(fn); return d; },
    fail(fn) { if (state === 'fail') fn(value); else fail.push(fn); return d; },
    resolve(v) { state = 'done'; value = v; done.forEach((fn) => fn(v)); },
    reject(v) { state = 'fail'; value = v; fail.forEach((fn) => fn(v)); },
  };
  return d;
}

/**
 * Loads script.js as amoCRM would and returns the widget with its fake surroundings.
 * options: area ('lcard' | 'ccard' | 'settings' | 'advanced_settings'), cardId, settings, lang.
 */
function loadWidget(options) {
  const opts = Object.assign({ area: 'lcard', cardId: 4711, lang: 'pt', settings: {} }, options || {});
  const env = createEnvironment();
  const i18n = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'i18n', opts.lang + '.json'), 'utf8'));
  let factory = null;
  let deps = null;
  const APP = {
    lang_id: opts.lang,
    data: { current_card: { id: opts.cardId } },
    getBaseEntity() { return { lcard: 'leads', ccard: 'contacts' }[opts.area] || 'leads'; },
    isCard() { return opts.area === 'lcard' || opts.area === 'ccard'; },
  };
  const sandbox = {
    define(d, f) { deps = d; factory = f; },
    APP,
    document: env.document,
    window: env.window,
    console,
    Date,
    JSON,
  };
  vm.createContext(sandbox);
  vm.runInContext(fs.readFileSync(path.join(WIDGET_DIR, 'script.js'), 'utf8'), sandbox, { filename: 'script.js' });
  if (typeof factory !== 'function') throw new Error('script.js did not call define(deps, factory)');

  const Widget = factory(env.$);
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
    const panel = env.$('<div class="card-widgets__widget"></div>');
    panel.append(params.render);
    env.$('body').append(panel);
  };
  widget.$authorizedAjax = (request) => {
    calls.ajax.push(request);
    const d = deferred();
    ajaxReplies.push(d);
    return d;
  };
  return { widget, deps, env, $: env.$, APP, calls, ajaxReplies, i18n: i18n.userLang };
}

module.exports = { loadWidget, deferred, WIDGET_DIR };
