(function () {
  'use strict';
  var query = new URLSearchParams(window.location.search);
  var entityType = query.get('entityType');
  var entityId = query.get('entityId');
  var ICONS = { clock: '🕓', 'one tick': '✓', 'two ticks': '✓✓', error: '⚠', incoming: '↙' };
  var CHANNELS = { whatsapp: 'WhatsApp', whatsapp_business: 'WABA', telegram_personal: 'Telegram Personal' };
  var requestId = null;
  var $ = function (id) { return document.getElementById(id); };

  function newRequestId() {
    requestId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function render(context) {
    $('entity-name').textContent = context.entity.name || (entityType + ' ' + entityId);
    $('entity-phones').textContent = context.entity.phones.join(', ');
    var phones = $('phones');
    phones.innerHTML = '';
    context.entity.phones.forEach(function (p) { var o = document.createElement('option'); o.value = p; phones.appendChild(o); });
    if (!$('recipient').value && context.entity.phones.length) { $('recipient').value = context.entity.phones[0]; }
    var select = $('provider');
    if (!select.options.length) {
      context.channels.forEach(function (c) { var o = document.createElement('option'); o.value = c; o.textContent = CHANNELS[c] || c; select.appendChild(o); });
    }
    var list = $('chats');
    list.innerHTML = '';
    if (!context.conversations.length) { var none = document.createElement('li'); none.textContent = 'Nenhuma conversa ainda.'; list.appendChild(none); }
    context.conversations.forEach(function (c) {
      var li = document.createElement('li');
      var m = c.lastMessage;
      var state = [c.operationalState === 'archived' ? 'arquivada' : '', c.operationalState === 'blocked' ? 'cliente bloqueado' : '',
        c.repliedState === 'unreplied' ? 'sem resposta' : ''].filter(Boolean).join(', ');
      li.textContent = (CHANNELS[c.provider] || c.provider || '') + ' · ' + (c.contact || '') + (state ? ' (' + state + ')' : '') + ': ';
      if (m) {
        var s = document.createElement('span');
        s.className = 'status' + (m.icon === 'error' ? ' error' : '');
        s.textContent = (ICONS[m.icon] || '') + ' ';
        s.title = m.icon + (m.details ? ' — ' + m.details : '');
        li.appendChild(s);
        li.appendChild(document.createTextNode(m.text || ''));
      }
      list.appendChild(li);
    });
  }

  function load() {
    return window.pactApi('GET', '/api/v1/context?entityType=' + encodeURIComponent(entityType) + '&entityId=' + encodeURIComponent(entityId))
      .then(render)
      .catch(function (e) { $('result').textContent = e.status === 401 ? 'Sessão expirada: abra o cartão de novo.' : e.message; });
  }

  function onProvider() {
    var provider = $('provider').value;
    var waba = provider === 'whatsapp_business';
    $('recipient-label').textContent = provider === 'telegram_personal' ? 'Telefone ou apelido do Telegram' : 'Telefone (só dígitos)';
    $('waba-label').hidden = !waba; $('waba-template').hidden = !waba;
    $('text-label').hidden = waba; $('text').hidden = waba;
  }

  function send(event) {
    event.preventDefault();
    var button = $('send');
    if (button.disabled) { return; }
    var provider = $('provider').value;
    var recipient = $('recipient').value.trim();
    var nickname = provider === 'telegram_personal' && /[A-Za-z_]/.test(recipient);
    var body = { requestId: requestId, entityType: entityType, entityId: entityId, provider: provider,
      phone: nickname ? null : recipient, nickname: nickname ? recipient.replace(/^@/, '') : null,
      text: $('text').value, wabaTemplateId: $('waba-template').value ? Number($('waba-template').value) : null, substitutions: [] };
    button.disabled = true;
    $('result').textContent = 'Enviando…';
    window.pactApi('POST', '/api/v1/chats', body).then(function (r) {
      $('result').textContent = r.status === 'sent' ? 'Mensagem enviada: conversa ' + r.conversationId + ' aberta no Pact.'
        : r.status === 'queued' ? 'Mensagem na fila do Pact.' : 'Não enviada: ' + r.reason;
      $('text').value = '';
      newRequestId();
      return load();
    }).catch(function (e) {
      $('result').textContent = e.message;
    }).then(function () { button.disabled = false; });
  }

  $('provider').addEventListener('change', onProvider);
  $('write-first').addEventListener('submit', send);
  $('text').addEventListener('keydown', function (e) {
    // As in Pact: Enter sends, Shift+Enter breaks the line.
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('write-first').requestSubmit(); }
  });
  newRequestId();
  load().then(onProvider);
  setInterval(load, 10000);
}());
