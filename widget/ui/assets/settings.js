/*
 * The admin's settings: connect Pact, toggles and responsible policy, the default phone country, stages for new
 * clients, the user mapping, quick replies, health, the sync journal and the dry run. The server checks the admin flag on every call;
 * a manager who opens this page only gets the polite refusal.
 */
import { sessionReady, api } from './session.js';
import { t, setLanguage, translate, LANGUAGES, language } from './i18n.js';
import { el, clear, phoneDigits, errorText } from './dom.js';

var STAGE_CHANNELS = ['whatsapp', 'whatsapp_business', 'telegram_personal', 'default'];
var DRY_RUN_CHANNELS = ['whatsapp', 'whatsapp_business', 'telegram_personal'];
var TOGGLES = ['statuses', 'history', 'conversationStates', 'comments', 'autoCreateClients'];
var $ = function (id) { return document.getElementById(id); };
var settings = null;
var phone = null;
var fragmentLanguage = null;

function say(id, text, ok) {
  $(id).textContent = text;
  $(id).className = ok === false ? 'error' : (ok ? 'ok' : '');
}

function failed(id) {
  return function (e) { say(id, errorText(e, t), false); };
}

function when(at) {
  return at ? new Date(at).toLocaleString(language()) : t('health.never');
}

// ---------- tabs (arrow keys move between them, as the WAI-ARIA tabs pattern says) ----------
var TAB_LOADERS = { 'tab-general': loadPhone, 'tab-health': loadHealth, 'tab-journal': function () { searchJournal(); }, 'tab-templates': loadTemplates };

function selectTab(tab) {
  document.querySelectorAll('[role="tab"]').forEach(function (other) {
    var selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute('aria-controls')).hidden = !selected;
  });
  if (TAB_LOADERS[tab.id]) {
    TAB_LOADERS[tab.id]();
  }
}

function bindTabs() {
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  tabs.forEach(function (tab, i) {
    tab.type = 'button';
    tab.addEventListener('click', function () { selectTab(tab); });
    tab.addEventListener('keydown', function (e) {
      var next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
      if (next) { e.preventDefault(); next.focus(); selectTab(next); }
    });
  });
  selectTab(tabs[0]);
}

// ---------- render ----------
function render() {
  say('pact-state', settings.pact.connected ? t('pact.connected', { company: settings.pact.companyId }) : t('pact.notConnected'),
    settings.pact.connected ? true : undefined);
  if (settings.pact.companyId && !$('company-id').value) {
    $('company-id').value = settings.pact.companyId;
  }
  TOGGLES.forEach(function (name) { $('toggle-' + name).checked = !!settings.toggles[name]; });
  $('responsible-from').value = settings.responsibleFrom;
  var languages = $('language');
  clear(languages);
  LANGUAGES.forEach(function (code) { languages.appendChild(el('option', { value: code }, nameOf(code))); });
  languages.value = settings.language;
  renderPhone();
  renderStages();
  renderUsers();
  var dry = $('dry-provider');
  clear(dry);
  DRY_RUN_CHANNELS.forEach(function (c) { dry.appendChild(el('option', { value: c }, t('channel.' + c))); });
}

function nameOf(code) {
  return { pt: 'Português', en: 'English', ru: 'Русский', es: 'Español' }[code];
}

// ---------- default phone country (its own endpoint: GET, PUT /api/v1/settings/phone) ----------
function loadPhone() {
  return api('GET', '/api/v1/settings/phone').then(function (p) {
    phone = p;
    renderPhone();
  }, failed('phone-result'));
}

/** A country in the page's language with its calling code: "Brasil (+55)". */
function countryLabel(code) {
  var country = phone.countries.filter(function (c) { return c.code === code; })[0];
  return new Intl.DisplayNames([language()], { type: 'region' }).of(code) + (country ? ' (+' + country.callingCode + ')' : '');
}

function renderPhone() {
  if (!phone) {
    return;
  }
  var select = $('default-country');
  clear(select);
  select.appendChild(el('option', { value: '' },
    phone.suggested ? t('phone.automatic', { country: countryLabel(phone.suggested) }) : t('phone.none')));
  phone.countries.map(function (c) { return { code: c.code, label: countryLabel(c.code) }; })
    .sort(function (a, b) { return a.label.localeCompare(b.label, language()); })
    .forEach(function (c) { select.appendChild(el('option', { value: c.code }, c.label)); });
  select.value = phone.defaultCountry || '';
}

function savePhone(e) {
  e.preventDefault();
  api('PUT', '/api/v1/settings/phone', { defaultCountry: $('default-country').value || null }).then(function (saved) {
    phone = saved;
    renderPhone();
    say('phone-result', saved.defaultCountry ? t('phone.saved', { country: countryLabel(saved.defaultCountry) })
      : t('phone.savedNone'), true);
  }, failed('phone-result'));
}

function renderStages() {
  var box = $('stages');
  clear(box);
  STAGE_CHANNELS.forEach(function (channel) {
    var stage = settings.newClientStages[channel] || {};
    box.appendChild(el('fieldset', {},
      el('legend', {}, t('channel.' + channel)),
      el('div', { class: 'grid' },
        el('div', {}, el('label', { for: 'pipeline-' + channel }, t('stages.pipeline')),
          el('input', { id: 'pipeline-' + channel, inputmode: 'numeric', value: stage.pipelineId || '' })),
        el('div', {}, el('label', { for: 'status-' + channel }, t('stages.status')),
          el('input', { id: 'status-' + channel, inputmode: 'numeric', value: stage.statusId || '' })))));
  });
}

function renderUsers() {
  $('users-unavailable').hidden = settings.crmUsersAvailable;
  var body = $('users');
  clear(body);
  settings.users.forEach(function (u, i) {
    var select = el('select', { id: 'operator-' + i, 'data-crm-user': u.crmUserId, 'aria-label': t('users.operator') + ': ' + (u.crmUserName || u.crmUserId) },
      el('option', { value: '' }, t('common.none')));
    var known = false;
    settings.pactOperators.forEach(function (o) {
      known = known || o.pactUserId === u.pactUserId;
      select.appendChild(el('option', { value: String(o.pactUserId) }, (o.name || '') + ' (#' + o.pactUserId + ')'));
    });
    select.appendChild(el('option', { value: 'other' }, t('users.otherId')));
    var other = el('input', { id: 'operator-id-' + i, inputmode: 'numeric', hidden: true,
      'aria-label': t('users.operatorId', { name: u.crmUserName || u.crmUserId }) });
    if (u.pactUserId && known) {
      select.value = String(u.pactUserId);
    } else if (u.pactUserId) {
      select.value = 'other';
      other.value = String(u.pactUserId);
      other.hidden = false;
    }
    select.addEventListener('change', function () { other.hidden = select.value !== 'other'; if (!other.hidden) { other.focus(); } });
    body.appendChild(el('tr', { 'data-crm-user': u.crmUserId },
      el('td', { 'data-label': t('users.crmUser') }, u.crmUserName || ('#' + u.crmUserId)),
      el('td', { 'data-label': t('users.email') }, u.email || ''),
      el('td', { 'data-label': t('users.operator') }, select, other),
      el('td', { 'data-label': t('users.source') }, t('users.source.' + u.source))));
  });
}

// ---------- first-run step (new installations, until the admin saves it) ----------
var pipelines = [];

function stageOptions() {
  var entity = $('first-entity').value;
  var pipelineId = $('first-pipeline').value;
  var pipeline = pipelines.filter(function (p) {
    return p.entity === entity && (entity === 'lead' && settings.crm === 'BITRIX24' || String(p.id) === pipelineId);
  })[0];
  var stage = $('first-stage');
  clear(stage);
  (pipeline ? pipeline.stages : []).forEach(function (st) { stage.appendChild(el('option', { value: st.id }, st.name)); });
}

function pipelineOptions() {
  var entity = $('first-entity').value;
  var select = $('first-pipeline');
  clear(select);
  pipelines.filter(function (p) { return p.entity === entity && p.id !== null; })
    .forEach(function (p) { select.appendChild(el('option', { value: String(p.id) }, p.name)); });
  // Bitrix24 leads have no pipeline (category), only statuses.
  $('first-pipeline-row').hidden = select.options.length === 0;
  stageOptions();
}

function renderFirstRun() {
  var a = settings.automation;
  $('first-run').hidden = !a.firstRunPending;
  if (!a.firstRunPending) {
    return;
  }
  var current = settings.newClientStages['default'] || {};
  $('first-auto-create').checked = !!settings.toggles.autoCreateClients;
  $('first-entity').value = current.entity || 'deal';
  $('first-responsible').value = a.newClientResponsible;
  $('first-tasks').checked = !!a.unansweredTasks;
  $('first-task-minutes').value = a.unansweredTaskMinutes;
  var users = $('first-round-robin-users');
  clear(users);
  settings.users.forEach(function (u, i) {
    users.appendChild(el('label', { class: 'inline' }, el('input', { type: 'checkbox', id: 'rr-' + i, value: u.crmUserId }),
      ' ' + u.crmUserName));
    users.appendChild(el('br'));
  });
  $('first-round-robin').hidden = a.newClientResponsible !== 'roundRobin';
  // The server says which CRM this is; only Bitrix24 chooses between a lead and a deal.
  api('GET', '/api/v1/settings/pipelines').then(function (r) {
    settings.crm = r.crm;
    pipelines = r.pipelines;
    $('first-entity-row').hidden = r.crm !== 'BITRIX24';
    $('first-no-pipelines').hidden = pipelines.length > 0;
    pipelineOptions();
    if (current.pipelineId !== undefined && current.pipelineId !== null) { $('first-pipeline').value = String(current.pipelineId); stageOptions(); }
    if (current.stageId || current.statusId) { $('first-stage').value = current.stageId || String(current.statusId); }
    $('first-run').setAttribute('data-ready', 'true');
  }, function () {
    $('first-no-pipelines').hidden = false;
    $('first-run').setAttribute('data-ready', 'true');
  });
}

function saveFirstRun(e) {
  e.preventDefault();
  var crm = settings.crm;
  var entity = crm === 'BITRIX24' ? $('first-entity').value : 'lead';
  var stageValue = $('first-stage').value;
  var pipelineValue = $('first-pipeline-row').hidden ? null : $('first-pipeline').value;
  var stage = { pipelineId: pipelineValue === null || pipelineValue === '' ? null : Number(pipelineValue) };
  if (crm === 'BITRIX24') {
    stage.entity = entity;
    stage.stageId = stageValue || null;
  } else if (stageValue === 'unsorted') {
    stage.stageId = 'unsorted';
  } else if (stageValue) {
    stage.statusId = Number(stageValue);
  }
  var toggles = {};
  TOGGLES.forEach(function (name) { toggles[name] = !!settings.toggles[name]; });
  toggles.autoCreateClients = $('first-auto-create').checked;
  var chosen = settings.users.map(function (u, i) { return $('rr-' + i) && $('rr-' + i).checked ? u.crmUserId : null; })
    .filter(function (id) { return id; });
  var update = {
    toggles: toggles,
    newClientStages: Object.assign({}, settings.newClientStages, { 'default': stage }),
    automation: { firstRunPending: false, newClientResponsible: $('first-responsible').value, roundRobinUsers: chosen,
      unansweredTasks: $('first-tasks').checked, unansweredTaskMinutes: positive($('first-task-minutes').value) }
  };
  api('PUT', '/api/v1/settings', update).then(function (saved) {
    settings = saved;
    render();
    $('first-run').hidden = true;
    say('general-result', t('firstRun.done'), true);
    selectTab($('tab-general'));
  }, failed('first-run-result'));
}

function bindFirstRun() {
  $('first-entity').addEventListener('change', pipelineOptions);
  $('first-pipeline').addEventListener('change', stageOptions);
  $('first-responsible').addEventListener('change', function () {
    $('first-round-robin').hidden = $('first-responsible').value !== 'roundRobin';
  });
  $('first-run-form').addEventListener('submit', saveFirstRun);
}

// ---------- save ----------
function save(update, resultId) {
  return api('PUT', '/api/v1/settings', update).then(function (saved) {
    settings = saved;
    return update.language && !fragmentLanguage ? setLanguage(saved.language).then(function () { translate(document); }) : null;
  }).then(function () {
    render();
    say(resultId, t('common.saved'), true);
  }, failed(resultId));
}

function positive(value) {
  var n = Number(String(value).trim());
  return String(value).trim() && n > 0 ? n : null;
}

function bindForms() {
  $('general-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var toggles = {};
    TOGGLES.forEach(function (name) { toggles[name] = $('toggle-' + name).checked; });
    save({ toggles: toggles, responsibleFrom: $('responsible-from').value, language: $('language').value }, 'general-result');
  });
  $('phone-form').addEventListener('submit', savePhone);
  $('stages-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var stages = {};
    STAGE_CHANNELS.forEach(function (c) {
      var pipeline = positive($('pipeline-' + c).value);
      if (pipeline) { stages[c] = { pipelineId: pipeline, statusId: positive($('status-' + c).value) }; }
    });
    save({ newClientStages: stages }, 'stages-result');
  });
  $('users-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var mappings = settings.users.map(function (u, i) {
      var chosen = $('operator-' + i).value;
      var id = chosen === 'other' ? positive($('operator-id-' + i).value) : positive(chosen);
      return { crmUserId: u.crmUserId, crmUserName: u.crmUserName, pactUserId: id };
    }).filter(function (m, i) { return m.pactUserId || settings.users[i].source === 'MANUAL' || settings.users[i].source === 'AUTO'; });
    save({ userMappings: mappings }, 'users-result');
  });
  $('test-pact').addEventListener('click', function () {
    var token = $('api-token').value.trim();
    say('pact-result', t('pact.testing'));
    api('POST', '/api/v1/settings/pact/test', { apiToken: token || null, companyId: positive($('company-id').value) })
      .then(function (r) {
        say('pact-result', t('pact.testOk', { company: r.companyId }) + ' '
          + (r.webhookActive ? t('pact.webhookActive') : t('pact.webhookMissing')), true);
      }, failed('pact-result'));
  });
  $('connect-pact').addEventListener('submit', function (e) {
    e.preventDefault();
    var button = $('connect');
    button.disabled = true;
    say('pact-result', t('pact.testing'));
    api('PUT', '/api/v1/settings/pact', { apiToken: $('api-token').value.trim(), companyId: positive($('company-id').value) })
      .then(function (r) {
        $('api-token').value = '';
        say('pact-result', t('pact.connectOk', { company: r.companyId }), true);
        return api('GET', '/api/v1/settings').then(function (s) { settings = s; render(); });
      }, failed('pact-result'))
      .then(function () { button.disabled = false; });
  });
  $('template-form').addEventListener('submit', saveTemplate);
  $('template-cancel').addEventListener('click', resetTemplateForm);
  $('journal-form').addEventListener('submit', function (e) { e.preventDefault(); searchJournal(); });
  $('dry-run-form').addEventListener('submit', dryRun);
}

// ---------- quick replies ----------
function loadTemplates() {
  return api('GET', '/api/v1/templates').then(function (r) {
    var list = $('templates');
    clear(list);
    if (!r.templates.length) { list.appendChild(el('li', { class: 'muted' }, t('templates.none'))); }
    r.templates.forEach(function (tpl) {
      var edit = el('button', { type: 'button', class: 'small secondary' }, t('common.edit'));
      var remove = el('button', { type: 'button', class: 'small secondary' }, t('common.delete'));
      edit.addEventListener('click', function () {
        $('template-id').value = tpl.id;
        $('template-title').value = tpl.title;
        $('template-body').value = tpl.body;
        $('template-save').textContent = t('common.save');
        $('template-cancel').hidden = false;
        $('template-title').focus();
      });
      remove.addEventListener('click', function () {
        api('DELETE', '/api/v1/templates/' + tpl.id).then(loadTemplates, failed('templates-result'));
      });
      list.appendChild(el('li', { class: 'chat template', 'data-template-id': String(tpl.id) },
        el('strong', {}, tpl.title), ' ', edit, ' ', remove, el('div', { class: 'muted' }, tpl.body)));
    });
  }, failed('templates-result'));
}

function resetTemplateForm() {
  $('template-id').value = '';
  $('template-title').value = '';
  $('template-body').value = '';
  $('template-save').textContent = t('templates.add');
  $('template-cancel').hidden = true;
}

function saveTemplate(e) {
  e.preventDefault();
  var id = $('template-id').value;
  var body = { title: $('template-title').value, body: $('template-body').value };
  api(id ? 'PUT' : 'POST', '/api/v1/templates' + (id ? '/' + id : ''), body).then(function () {
    resetTemplateForm();
    say('templates-result', t('common.saved'), true);
    return loadTemplates();
  }, failed('templates-result'));
}

// ---------- health ----------
function component(label, c) {
  return el('li', { class: c ? (c.ok ? 'ok' : 'error') : 'muted', 'data-component': c ? c.component : '' },
    el('strong', {}, label + ': '), c ? c.state + (c.detail ? ' \u2014 ' + c.detail : '') : t('health.unknown'));
}

function loadHealth() {
  return api('GET', '/api/v1/health').then(function (h) {
    var box = $('health');
    clear(box);
    var byGroup = function (g) { return h.components.filter(function (c) { return c.group === g; }); };
    var first = function (g) { return byGroup(g)[0] || null; };
    var pactToken = first('pact-token') || (h.pactConnected ? null : { ok: false, state: t('health.notConnected'), component: 'PACT_TOKEN' });
    var crmToken = first('crm-token');
    var tokens = el('ul', { class: 'chats' },
      component(t('health.pactToken'), pactToken),
      first('pact-billing') ? component('Pact billing', first('pact-billing')) : null,
      component(t('health.pactWebhook'), first('pact-webhook')),
      component(t('health.crmToken'), crmToken),
      h.crmTokenExpiresAt ? el('li', { class: 'muted' }, t('health.expires', { at: when(h.crmTokenExpiresAt) })) : null,
      component(t('health.crmWebhook'), first('crm-webhook')),
      byGroup('crm-account').map(function (c) { return component(c.component, c); }));
    var channels = el('ul', { class: 'chats' }, byGroup('pact-channel').length
      ? byGroup('pact-channel').map(function (c) { return component(c.detail ? c.detail.split(' ')[0] : c.component, c); })
      : el('li', { class: 'muted' }, t('health.unknown')));
    var failures = el('ul', { class: 'chats', id: 'dead-letters' });
    if (!h.deadLetters.length) { failures.appendChild(el('li', { class: 'muted' }, t('health.noDeadLetters'))); }
    h.deadLetters.forEach(function (d) { failures.appendChild(journalItem(d, loadHealth, 'health-result')); });
    box.appendChild(el('div', {},
      el('h2', {}, t('tab.health')), tokens,
      el('h2', {}, t('health.channels')), channels,
      el('h2', {}, t('health.queues')),
      el('p', { id: 'queue-journal' }, t('health.journalQueue', { pending: h.journal.pending, failed: h.journal.failed, lag: h.journal.lagSeconds })),
      el('p', { id: 'queue-outbox' }, t('health.outboxQueue', { pending: h.outbox.pending, failed: h.outbox.failed, lag: h.outbox.lagSeconds })),
      el('p', {}, el('strong', {}, t('health.lastSync') + ': '), when(h.lastSyncAt)),
      el('p', {}, el('strong', {}, t('health.p95') + ': '), h.p95EndToEndMillis === null ? t('common.none') : h.p95EndToEndMillis + ' ms'),
      el('h2', {}, t('health.deadLetters')), failures));
  }, failed('health-result'));
}

function journalItem(entry, reload, resultId) {
  var item = el('li', { class: 'chat', 'data-entry': entry.id },
    el('strong', {}, when(entry.at) + ' \u00b7 ' + t('journal.' + entry.direction) + ' ' + entry.kind), ' ',
    el('span', { class: 'badge' }, entry.state), el('div', { class: 'error' }, entry.error || ''));
  if (entry.retryable) {
    var retry = el('button', { type: 'button', class: 'small' }, t('common.retry'));
    retry.addEventListener('click', function () { retryEntry(entry.id, reload, resultId); });
    item.appendChild(retry);
  }
  return item;
}

function retryEntry(id, reload, resultId) {
  api('POST', '/api/v1/journal/' + encodeURIComponent(id) + '/retry').then(function () {
    return reload().then(function () { say(resultId, t('journal.retried'), true); });
  }, failed(resultId));
}

// ---------- journal ----------
function searchJournal() {
  var phone = $('journal-phone').value.trim();
  var conversation = $('journal-conversation').value.trim();
  var query = phone ? '?phone=' + encodeURIComponent(phone) : conversation ? '?conversation=' + encodeURIComponent(conversation) : '';
  return api('GET', '/api/v1/journal' + query).then(function (r) {
    var body = $('journal');
    clear(body);
    say('journal-result', r.entries.length ? '' : t('journal.empty'));
    r.entries.forEach(function (entry) {
      var action = el('td', {});
      if (entry.retryable) {
        var retry = el('button', { type: 'button', class: 'small' }, t('common.retry'));
        retry.addEventListener('click', function () { retryEntry(entry.id, searchJournal, 'journal-result'); });
        action.appendChild(retry);
      }
      body.appendChild(el('tr', { 'data-entry': entry.id },
        el('td', { 'data-label': t('journal.when') }, when(entry.at)),
        el('td', { 'data-label': t('journal.what') }, t('journal.' + entry.direction) + ': ' + entry.kind),
        el('td', { 'data-label': t('journal.state') }, entry.state + (entry.attempts ? ' (' + entry.attempts + ')' : '')),
        el('td', { 'data-label': t('journal.why') }, entry.error || entry.outcome || ''),
        action));
    });
  }, failed('journal-result'));
}

// ---------- dry run ----------
function dryRun(e) {
  e.preventDefault();
  var raw = $('dry-phone').value.trim();
  var box = $('dry-run-result');
  clear(box);
  if (!phoneDigits(raw)) {
    box.appendChild(el('p', { class: 'error' }, t('card.notAPhone', { value: raw })));
    return;
  }
  api('POST', '/api/v1/dry-run', { provider: $('dry-provider').value, phone: raw }).then(function (r) {
    var entity = r.entity ? r.entity.type + ' #' + r.entity.id : '';
    var stage = r.stage ? t('dry.stage', { pipeline: r.stage.pipelineId, status: r.stage.statusId || '—' }) : t('dry.defaultStage');
    box.appendChild(el('p', { 'data-outcome': r.client }, t('dry.' + r.client, { entity: entity, stage: stage })));
    var responsible = t('dry.responsible.' + r.responsible);
    if (responsible) { box.appendChild(el('p', {}, responsible)); }
    box.appendChild(el('p', { class: 'muted' }, r.statuses ? t('dry.statuses') : t('dry.noStatuses')));
  }, function (err) { box.appendChild(el('p', { class: 'error' }, errorText(err, t))); });
}

sessionReady().then(function (session) {
  fragmentLanguage = session.language;
  return setLanguage(session.language).then(function () {
    translate(document);
    return api('GET', '/api/v1/settings');
  }).then(function (s) {
    settings = s;
    return fragmentLanguage ? null : setLanguage(s.language).then(function () { translate(document); });
  }).then(function () {
    $('settings').hidden = false;
    bindTabs();
    bindForms();
    bindFirstRun();
    render();
    renderFirstRun();
    document.body.setAttribute('data-ready', 'true');
  }, function (e) {
    if (e.status === 403) {
      $('admin-only').hidden = false;
      document.body.setAttribute('data-ready', 'true');
      return;
    }
    throw e;
  });
}).catch(function (e) {
  $('page-error').textContent = errorText(e, t);
  $('page-error').hidden = false;
});
