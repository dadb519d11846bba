/*
 * One conversation inside the card, as a chat: bubbles (the client on the left, Pact operators and CRM users on the
 * right) with date, time and Pact's status icon, "older messages" paging back through the stored history, a reply
 * box (Enter sends, Shift+Enter breaks the line, quick replies, one photo or document; on WhatsApp Business also an
 * approved template, the only thing it may send outside the client's 24-hour window) and live updates by long
 * polling (GET …/messages/updates answers as soon as Pact's webhook was processed). One requestId per reply: a double
 * click or a retry after a lost answer sends once.
 */
import { api, upload } from './session.js';
import { t, language, reason } from './i18n.js';
import { el, clear, newRequestId, errorText } from './dom.js';
import { statusSvg } from './icons.js';
import { WABA, templatePicker } from './waba.js';

var ACCEPT = 'image/jpeg,image/png,image/webp,application/pdf,text/plain,text/csv,application/msword,'
  + 'application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.ms-excel,'
  + 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-powerpoint,'
  + 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
var PAGE = 30;
var RETRY_MS = 3000;

/** The old /api/v1/chats preview ({messageId, details}) and the history API ({id, statusDetails}) alike. */
export function normalize(m) {
  return {
    id: m.id !== undefined ? m.id : m.messageId, at: m.at, income: m.income, author: m.author || null, text: m.text,
    icon: m.icon, details: m.statusDetails !== undefined ? m.statusDetails : m.details, fromHistory: !!m.fromHistory,
    attachments: m.attachments || []
  };
}

export function statusIcon(m) {
  var label = t('status.' + m.icon) + (m.details ? ': ' + m.details : '')
    + (m.fromHistory && m.icon === 'clock' ? ' \u2014 ' + t('card.historyClock') : '');
  return el('span', { class: 'status status-' + m.icon.replace(' ', '-') + (m.fromHistory ? ' from-history' : ''),
    'data-icon': m.icon, role: 'img', 'aria-label': label, title: label }, statusSvg(m.icon));
}

function when(iso) {
  if (!iso) {
    return '';
  }
  return new Date(iso).toLocaleString(language(), { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function authorText(m) {
  if (!m.author) {
    return null;
  }
  if (m.author.kind === 'crm') {
    return t('card.sentFromCrm', { name: m.author.name });
  }
  return m.author.name || t(m.author.kind === 'client' ? 'card.client' : 'card.operator');
}

function size(bytes) {
  return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(bytes / 1024)) + ' KB';
}

function attachment(a) {
  if (a.image) {
    return el('a', { class: 'attachment image', href: a.url, target: '_blank', rel: 'noopener' },
      el('img', { src: a.url, alt: a.name || t('card.file', { name: '' }), loading: 'lazy' }));
  }
  return el('a', { class: 'attachment file', href: a.url, download: a.name || 'file' },
    t('card.file', { name: a.name || '' }) + (a.size ? ' (' + size(a.size) + ')' : ''));
}

/** A message as a bubble; {@code data-message-id} lets updates replace it in place. */
export function bubble(raw) {
  var m = normalize(raw);
  var meta = el('div', { class: 'meta' }, el('time', { datetime: m.at || '' }, when(m.at)));
  if (!m.income && m.icon && m.icon !== 'incoming') {
    meta.appendChild(statusIcon(m));
  }
  var item = el('li', { class: 'message bubble ' + (m.income ? 'income' : 'outgoing'), 'data-message-id': String(m.id) },
    authorText(m) ? el('div', { class: 'author' }, authorText(m)) : null,
    m.text ? el('div', { class: 'text' }, m.text) : null,
    m.attachments.map(attachment), meta);
  if (m.icon === 'error' && m.details) {
    item.appendChild(el('div', { class: 'error reason' }, m.details));
  }
  return item;
}

/** The open conversation: history, paging, reply box and live updates. */
export function openConversation(container, conversation, context) {
  var view = { id: conversation.conversationId, oldest: null, cursor: null, closed: false, rule: null,
    requestId: newRequestId(), attachment: null, sending: false };
  var list = el('ul', { class: 'messages thread', 'aria-live': 'polite' });
  var older = el('button', { type: 'button', class: 'secondary small older', hidden: true }, t('card.older'));
  var rule = el('p', { class: 'hint reply-rule', hidden: true });
  var textId = 'reply-text-' + view.id;
  var text = el('textarea', { id: textId, class: 'reply-text', rows: '2', 'aria-describedby': textId + '-hint' });
  var quick = el('select', { class: 'reply-quick', 'aria-label': t('card.quickReply') },
    el('option', { value: '' }, t('card.quickReply')),
    (context.templates || []).map(function (q) { return el('option', { value: String(q.id) }, q.title); }));
  var fileInput = el('input', { type: 'file', class: 'reply-file', accept: ACCEPT, 'aria-label': t('card.attach') });
  var fileName = el('span', { class: 'reply-file-name muted' });
  var removeFile = el('button', { type: 'button', class: 'secondary small', hidden: true }, t('card.removeFile'));
  var send = el('button', { type: 'submit', class: 'reply-send' }, t('card.send'));
  var result = el('p', { class: 'reply-result', role: 'status', 'aria-live': 'polite' });
  var waba = conversation.provider === WABA ? wabaTemplates(view.id, updateSendable) : null;
  var form = el('form', { class: 'reply', novalidate: true },
    el('label', { for: textId }, t('card.reply')), text,
    el('p', { id: textId + '-hint', class: 'hint' }, t('card.replyHint')),
    rule, waba && waba.box,
    el('div', { class: 'row' }, quick, el('label', { class: 'inline attach' }, fileInput), fileName, removeFile, send),
    result);
  clear(container);
  container.appendChild(el('div', { class: 'thread-box', 'data-thread': String(view.id) }, older, list, form));

  function put(raw, atTop) {
    var node = bubble(raw);
    var existing = list.querySelector('[data-message-id="' + node.getAttribute('data-message-id') + '"]');
    if (existing) {
      list.replaceChild(node, existing);
    } else if (atTop) {
      list.insertBefore(node, list.firstChild);
    } else {
      list.appendChild(node);
      node.scrollIntoView({ block: 'nearest' });
    }
    var empty = list.querySelector('.no-messages');
    if (empty) { empty.remove(); }
  }

  function showRule(r) {
    view.rule = r;
    if (!r || (!r.templateRequired && !r.windowEndsAt)) {
      rule.hidden = true;
      updateSendable();
      return;
    }
    rule.hidden = false;
    rule.className = 'hint reply-rule' + (r.templateRequired ? ' notice' : '');
    rule.textContent = r.templateRequired ? t(r.windowEndsAt ? 'card.windowClosed' : 'card.noWindow')
      : t('card.windowOpen', { time: when(r.windowEndsAt) });
    updateSendable();
  }

  /**
   * Outside WhatsApp Business's window only a template may go; a chosen template goes alone (no text, quick reply or
   * file), once each of its placeholders has a value.
   */
  function updateSendable() {
    var template = !!(waba && waba.picker.chosen());
    var textBlocked = template || !!(view.rule && view.rule.templateRequired);
    text.disabled = textBlocked;
    quick.disabled = textBlocked;
    fileInput.disabled = textBlocked;
    send.disabled = view.sending || (template ? !waba.picker.ready() : textBlocked);
  }

  function loadPage(before) {
    return api('GET', '/api/v1/conversations/' + view.id + '/messages?limit=' + PAGE + (before ? '&before=' + before : ''))
      .then(function (page) {
        var messages = page.messages;
        if (before) {
          for (var i = messages.length - 1; i >= 0; i--) { put(messages[i], true); }
        } else {
          messages.forEach(function (m) { put(m, false); });
          view.cursor = page.cursor;
          showRule(page.reply);
          if (!messages.length) {
            list.appendChild(el('li', { class: 'no-messages muted' }, t('card.noMessages')));
          }
        }
        if (messages.length) {
          view.oldest = messages[0].id;
        }
        older.hidden = !page.hasMore || !messages.length;
      });
  }

  function follow() {
    if (view.closed) {
      return;
    }
    api('GET', '/api/v1/conversations/' + view.id + '/messages/updates?cursor=' + encodeURIComponent(view.cursor) + '&wait=25')
      .then(function (news) {
        news.messages.forEach(function (m) { put(m, false); });
        view.cursor = news.cursor;
        showRule(news.reply);
        follow();
      }, function (e) {
        if (e.status !== 401 && e.status !== 404) {
          setTimeout(follow, RETRY_MS);
        }
      });
  }

  function sendReply(event) {
    event.preventDefault();
    if (view.sending) {
      return;
    }
    var body = { requestId: view.requestId };
    var template = waba && waba.picker.chosen();
    if (template) {
      if (!waba.picker.ready()) {
        result.className = 'reply-result error';
        result.textContent = t('card.needTemplate');
        return;
      }
      body.wabaTemplateId = template.wabaId;
      body.substitutions = waba.picker.values();
    } else {
      if (text.value.trim()) { body.text = text.value; }
      if (view.attachment) { body.attachmentId = view.attachment.attachmentId; }
      if (!body.text && !body.attachmentId && quick.value) { body.quickReplyId = Number(quick.value); }
    }
    if (!body.text && !body.attachmentId && !body.quickReplyId && !body.wabaTemplateId) {
      result.className = 'reply-result error';
      result.textContent = t('card.needReply');
      text.focus();
      return;
    }
    view.sending = true;
    updateSendable();
    result.className = 'reply-result';
    result.textContent = t('card.sending');
    api('POST', '/api/v1/conversations/' + view.id + '/messages', body).then(function (sent) {
      if (sent.id) {
        put(sent, false);
        result.textContent = t('card.replySent');
      } else {
        result.textContent = t('card.replyQueued');
      }
      if (template) {
        waba.picker.reset();
      } else {
        text.value = '';
        quick.value = '';
        clearFile();
      }
      view.requestId = newRequestId();
    }, function (e) {
      result.className = 'reply-result error';
      if (e.status === 400 || e.status === 422) {
        // Refused for good (window closed, unknown file, Pact refused): the next message gets a new requestId.
        result.textContent = e.status === 422 ? t('card.failed', { reason: reason(e.message) }) : e.message;
        view.requestId = newRequestId();
      } else {
        // The answer was lost: the same requestId on retry cannot send twice.
        result.textContent = errorText(e, t);
      }
    }).then(function () {
      view.sending = false;
      updateSendable();
    });
  }

  function clearFile() {
    view.attachment = null;
    fileInput.value = '';
    fileName.textContent = '';
    removeFile.hidden = true;
  }

  fileInput.addEventListener('change', function () {
    var file = fileInput.files[0];
    if (!file) {
      return;
    }
    view.sending = true;
    updateSendable();
    fileName.textContent = t('card.uploading');
    result.className = 'reply-result';
    result.textContent = '';
    upload('/api/v1/attachments', file).then(function (uploaded) {
      view.attachment = uploaded;
      fileName.textContent = t('card.file', { name: uploaded.name }) + ' (' + size(uploaded.size) + ')';
      removeFile.hidden = false;
    }, function (e) {
      clearFile();
      result.className = 'reply-result error';
      result.textContent = e.status === 400 || e.status === 413 ? e.message : errorText(e, t);
    }).then(function () {
      view.sending = false;
      updateSendable();
    });
  });
  removeFile.addEventListener('click', clearFile);
  quick.addEventListener('change', function () {
    var reply = (context.templates || []).filter(function (q) { return String(q.id) === quick.value; })[0];
    if (reply) {
      text.value = reply.text;
      text.focus();
    }
  });
  text.addEventListener('keydown', function (e) {
    // As in Pact: Enter sends, Shift+Enter breaks the line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', sendReply);
  older.addEventListener('click', function () {
    older.disabled = true;
    loadPage(view.oldest).catch(function (e) {
      result.className = 'reply-result error';
      result.textContent = errorText(e, t);
    }).then(function () { older.disabled = false; });
  });

  if (waba) {
    waba.picker.load();
  }
  view.ready = loadPage(null).then(follow);
  view.close = function () { view.closed = true; };
  return view;
}

/**
 * A WhatsApp Business conversation's template picker: the approved templates, the chosen one's inputs and its text
 * as it will go (shown only once one is chosen).
 */
function wabaTemplates(conversationId, onChange) {
  var id = 'reply-template-' + conversationId;
  var select = el('select', { id: id, class: 'reply-template' });
  var note = el('p', { class: 'hint', 'aria-live': 'polite', hidden: true });
  var substitutions = el('div', { class: 'reply-substitutions' });
  var preview = el('p', { class: 'preview reply-template-preview', 'aria-live': 'polite' });
  var chosen = el('div', { hidden: true }, substitutions, el('div', { class: 'hint' }, t('card.preview')), preview);
  var picker = templatePicker({ select: select, note: note, substitutions: substitutions, preview: preview },
    'reply-substitution-' + conversationId + '-', function () {
      chosen.hidden = !picker.chosen();
      onChange();
    });
  return { picker: picker, box: el('div', { class: 'reply-waba' }, el('label', { for: id }, t('card.wabaTemplate')), select, note, chosen) };
}
