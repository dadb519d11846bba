/*
 * The card panel: the entity's Pact conversations as chats (conversation.js: history, reply, files, live status
 * icons) and the "write first" dialog, folded once a conversation exists. One requestId per message: a double click, or a retry
 * after a lost answer, never sends twice.
 */
import { sessionReady, api } from './session.js';
import { t, setLanguage, translate, reason } from './i18n.js';
import { el, clear, newRequestId, phoneDigits, errorText } from './dom.js';
import { openConversation, bubble } from './conversation.js';
import { WABA, templatePicker } from './waba.js';

var POLL_MS = 3000;
var query = new URLSearchParams(window.location.search);
var entityType = query.get('entityType');
var entityId = query.get('entityId');
var $ = function (id) { return document.getElementById(id); };

var state = { context: null, requestId: newRequestId(), sending: false, templatesAsked: false, polling: null, views: {},
  autoOpened: false };
var wabaPicker = templatePicker({ select: $('waba-template'), note: $('waba-note'), substitutions: $('substitutions'),
  preview: $('waba-preview') }, 'substitution-', updateSendable);

function showError(error) {
  $('page-error').textContent = errorText(error, t);
  $('page-error').hidden = false;
}

function renderEntity(context) {
  var entity = context.entity;
  $('entity-name').textContent = entity.name || (entityType + ' ' + entityId);
  $('entity-phones').textContent = entity.phones.map(function (p) { return '+' + p; }).join(', ');
  $('crm-unavailable').hidden = entity.available;
  var phones = $('phones');
  clear(phones);
  entity.phones.forEach(function (p) { phones.appendChild(el('option', { value: '+' + p })); });
  if (!$('phone').value && entity.phones.length) {
    $('phone').value = '+' + entity.phones[0];
  }
  var select = $('provider');
  clear(select);
  context.channels.forEach(function (c) { select.appendChild(el('option', { value: c }, t('channel.' + c))); });
  var replies = $('quick-reply');
  clear(replies);
  replies.appendChild(el('option', { value: '' }, t('card.noQuickReply')));
  context.templates.forEach(function (q) { replies.appendChild(el('option', { value: String(q.id) }, q.title)); });
}

function badgesOf(c) {
  var badges = [];
  if (c.operationalState === 'archived') { badges.push(el('span', { class: 'badge' }, t('card.archived'))); }
  if (c.operationalState === 'blocked') { badges.push(el('span', { class: 'badge warning' }, t('card.blocked'))); }
  if (c.repliedState === 'unreplied' || c.repliedState === 'unanswered') {
    badges.push(el('span', { class: 'badge' }, t('card.unanswered')));
  }
  return badges;
}

/** A conversation not opened yet: its latest messages (oldest first) and a button that opens it. */
function preview(c, body) {
  clear(body);
  var messages = el('ul', { class: 'messages' });
  (c.messages || []).slice().reverse().forEach(function (m) { messages.appendChild(bubble(m)); });
  var open = el('button', { type: 'button', class: 'secondary small open-conversation' }, t('card.open'));
  open.addEventListener('click', function () { openView(c, body); });
  body.appendChild(messages);
  body.appendChild(open);
}

function openView(c, body) {
  state.views[String(c.conversationId)] = openConversation(body, c, state.context);
}

/**
 * The entity's conversations, refreshed by polling (states, responsible, new conversations); an opened
 * conversation's messages follow Pact by long polling instead and are not redrawn here. The first conversation
 * opens by itself (one Pact read at most, once, for its history); the others open on request.
 */
function renderChats(conversations) {
  var list = $('chats');
  if (!conversations.length) {
    clear(list);
    list.appendChild(el('li', { class: 'muted no-chats' }, t('card.noChats')));
    return;
  }
  var none = list.querySelector('.no-chats');
  if (none) { none.remove(); }
  var present = {};
  conversations.forEach(function (c) {
    var key = String(c.conversationId);
    present[key] = true;
    var item = list.querySelector('.chat[data-conversation-id="' + key + '"]');
    if (!item) {
      item = el('li', { class: 'chat', 'data-conversation-id': key }, el('div', { class: 'chat-head' }),
        el('div', { class: 'muted responsible' }), el('div', { class: 'chat-body' }));
      list.appendChild(item);
    }
    var head = item.querySelector('.chat-head');
    clear(head);
    head.appendChild(el('strong', {}, t('channel.' + c.provider) + ' \u00b7 ' + (c.contact || '')));
    badgesOf(c).forEach(function (b) { head.appendChild(document.createTextNode(' ')); head.appendChild(b); });
    item.querySelector('.responsible').textContent = c.responsible
      ? t('card.responsible', { name: c.responsible.name || ('#' + c.responsible.crmUserId) }) : t('card.noResponsible');
    if (!state.views[key]) {
      if (!state.autoOpened) {
        state.autoOpened = true;
        openView(c, item.querySelector('.chat-body'));
      } else {
        preview(c, item.querySelector('.chat-body'));
      }
    }
  });
  Array.prototype.forEach.call(list.querySelectorAll('.chat[data-conversation-id]'), function (item) {
    var key = item.getAttribute('data-conversation-id');
    if (!present[key]) {
      if (state.views[key]) { state.views[key].close(); delete state.views[key]; }
      item.remove();
    }
  });
}

function load() {
  return api('GET', '/api/v1/context?entityType=' + encodeURIComponent(entityType) + '&entityId=' + encodeURIComponent(entityId))
    .then(function (context) {
      state.context = context;
      renderEntity(context);
      renderChats(context.conversations);
      // The write-first dialog stays folded once the entity has a conversation: the chat is where one answers.
      $('write-first-box').open = !context.conversations.length;
      onProvider();
    });
}

function poll() {
  if (document.hidden) {
    return Promise.resolve();
  }
  return api('GET', '/api/v1/chats?entityType=' + encodeURIComponent(entityType) + '&entityId=' + encodeURIComponent(entityId))
    .then(function (r) { renderChats(r.conversations); }, function (e) { if (e.status === 401) { showError(e); } });
}

function provider() {
  return $('provider').value;
}

function byNickname() {
  return provider() === 'telegram_personal' && document.querySelector('input[name="recipient-kind"]:checked').value === 'nickname';
}

function onProvider() {
  var waba = provider() === WABA;
  $('recipient-kind').hidden = provider() !== 'telegram_personal';
  $('nickname-field').hidden = !byNickname();
  $('phone-field').hidden = byNickname();
  $('text-fields').hidden = waba;
  $('waba-fields').hidden = !waba;
  if (waba && !state.templatesAsked) {
    state.templatesAsked = true;
    wabaPicker.load();
  }
  updateSendable();
}

function updateSendable() {
  // WABA without an approved template and every substitution cannot be sent at all.
  $('send').disabled = state.sending || (provider() === WABA && !wabaPicker.ready());
}

function checkPhone() {
  var raw = $('phone').value.trim();
  var digits = phoneDigits(raw);
  $('phone-check').className = 'hint';
  if (!raw) {
    $('phone-check').textContent = '';
  } else if (digits) {
    $('phone-check').textContent = t('card.willSendTo', { digits: digits });
  } else {
    $('phone-check').textContent = t('card.notAPhone', { value: raw });
    $('phone-check').className = 'hint error';
  }
  return digits;
}

function buildRequest() {
  var body = { requestId: state.requestId, entityType: entityType, entityId: entityId, provider: provider() };
  if (byNickname()) {
    var nickname = $('nickname').value.trim().replace(/^@/, '');
    if (!nickname) { throw new Error(t('card.needNickname')); }
    body.nickname = nickname;
  } else {
    var digits = checkPhone();
    if (!digits) { $('phone').focus(); throw new Error(t('card.notAPhone', { value: $('phone').value.trim() })); }
    // As typed: the server reads a national form (8 (999) …, a Brazilian number without 55) in the default country.
    body.phone = $('phone').value.trim();
  }
  if (provider() === WABA) {
    if (!wabaPicker.ready()) { throw new Error(t('card.needTemplate')); }
    body.wabaTemplateId = wabaPicker.chosen().wabaId;
    body.substitutions = wabaPicker.values();
  } else {
    body.text = $('text').value;
    if (!body.text.trim()) { $('text').focus(); throw new Error(t('card.needText')); }
  }
  return body;
}

function send(event) {
  event.preventDefault();
  if (state.sending) {
    return;
  }
  var body;
  try {
    body = buildRequest();
  } catch (e) {
    $('result').textContent = e.message;
    $('result').className = 'error';
    return;
  }
  state.sending = true;
  updateSendable();
  $('result').className = '';
  $('result').textContent = t('card.sending');
  api('POST', '/api/v1/chats', body).then(function (r) {
    $('result').textContent = r.status === 'sent' ? t('card.sent', { conversation: r.conversationId }) : t('card.queued');
    $('text').value = '';
    $('quick-reply').value = '';
    state.requestId = newRequestId();
    return poll();
  }, function (e) {
    $('result').className = 'error';
    if (e.status === 422 && e.message) {
      // Pact refused it for good (e.g. unpaid plan): a new message gets a new requestId.
      $('result').textContent = t('card.failed', { reason: reason(e.message) });
      state.requestId = newRequestId();
    } else if (e.status === 400) {
      $('result').textContent = e.message;
      state.requestId = newRequestId();
    } else {
      // The answer was lost or the service was busy: the same requestId on retry cannot send twice.
      $('result').textContent = errorText(e, t);
    }
  }).then(function () {
    state.sending = false;
    updateSendable();
  });
}

function onQuickReply() {
  var id = Number($('quick-reply').value);
  var reply = state.context.templates.filter(function (q) { return q.id === id; })[0];
  if (reply) {
    $('text').value = reply.text;
    $('text').focus();
  }
}

function bind() {
  $('provider').addEventListener('change', onProvider);
  document.querySelectorAll('input[name="recipient-kind"]').forEach(function (r) { r.addEventListener('change', onProvider); });
  $('phone').addEventListener('input', checkPhone);
  $('quick-reply').addEventListener('change', onQuickReply);
  $('write-first').addEventListener('submit', send);
  $('text').addEventListener('keydown', function (e) {
    // As in Pact: Enter sends, Shift+Enter breaks the line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('write-first').requestSubmit();
    }
  });
  document.addEventListener('visibilitychange', poll);
}

/** The installation's language, when the CRM gave the page none: the card is drawn again in it. */
function redrawIn(lang) {
  return setLanguage(lang).then(function () {
    translate(document);
    renderEntity(state.context);
    Object.keys(state.views).forEach(function (key) { state.views[key].close(); });
    state.views = {};
    state.autoOpened = false;
    clear($('chats'));
    renderChats(state.context.conversations);
    onProvider();
  });
}

sessionReady().then(function (session) {
  return setLanguage(session.language).then(function () {
    translate(document);
    bind();
    return load();
  }).then(function () {
    return session.language ? null : redrawIn(state.context.language);
  });
}).then(function () {
  checkPhone();
  document.body.setAttribute('data-ready', 'true');
  state.polling = setInterval(poll, POLL_MS);
}).catch(showError);
