/*
 * Pact widget for amoCRM / Kommo (see shared/reference/amocrm.md §3).
 *
 * Card (lcard-1 / ccard-1): a "Pact" block in the right panel with a "Write first" button. A click gets
 * a connector session through $authorizedAjax (amoCRM adds the disposable X-Auth-Token), keeps it in
 * memory only, and opens the connector's card page in an overlay iframe. The session token travels in
 * the URL fragment, so it never reaches a server log or a Referer header.
 * Settings (settings / advanced_settings): opens the connector's settings page the same way.
 *
 * Plain ES5 on purpose: amoCRM loads this file as it is (AMD, no build step).
 */
define(['jquery'], function ($) {
  'use strict';

  var SESSION_PATH = '/api/v1/sessions/amocrm';
  var CARD_PAGE = '/ui/card';
  var SETTINGS_PAGE = '/ui/settings';
  /** A cached session is reused until this long before it expires. */
  var SESSION_MARGIN_MS = 60 * 1000;
  var ENTITY_BY_AREA = { lcard: 'lead', ccard: 'contact' };

  function escapeHtml(value) {
    return String(value == null ? '' : value)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  /**
   * The connector base URL from the widget settings, without trailing slashes; null when unset,
   * 'invalid' when it is not https (plain http only for a connector on this machine, in development).
   */
  function normaliseBase(raw) {
    var value = String(raw == null ? '' : raw).trim().replace(/\/+$/, '');
    if (!value) {
      return null;
    }
    if (/^https:\/\/[^\s\/?#]+(\/[^\s?#]*)?$/i.test(value)
        || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/[^\s?#]*)?$/i.test(value)) {
      return value;
    }
    return 'invalid';
  }

  function originOf(base) {
    var match = /^(https?:\/\/[^\/]+)/i.exec(base);
    return match ? match[1].toLowerCase() : null;
  }

  /** jQuery deferreds (done/fail) and promises (then) alike. */
  function whenSettled(request, onDone, onFail) {
    if (request && typeof request.done === 'function' && typeof request.fail === 'function') {
      request.done(onDone).fail(onFail);
    } else if (request && typeof request.then === 'function') {
      request.then(onDone, onFail);
    } else {
      onFail({ status: 0 });
    }
  }

  var PactWidget = function () {
    var self = this;
    var session = null;   // {token, expiresAt (ms), base, user, installationId}: memory only
    var waiting = null;   // callbacks waiting for the session request in flight
    var overlay = null;

    function code() {
      var settings = self.get_settings() || {};
      return String(settings.widget_code || 'pact').replace(/[^A-Za-z0-9_-]/g, '_');
    }

    function ns() {
      return '.pact_' + code();
    }

    function texts() {
      var lang = null;
      try {
        lang = self.i18n('userLang');
      } catch (ignored) {
        lang = null;
      }
      return lang || {};
    }

    function t(key) {
      var parts = key.split('.');
      var value = texts();
      for (var i = 0; i < parts.length; i++) {
        value = value == null ? undefined : value[parts[i]];
      }
      return typeof value === 'string' ? value : key;
    }

    function configuredBase(override) {
      var raw = override;
      if (raw == null) {
        raw = (self.get_settings() || {}).connector_url;
      }
      return normaliseBase(raw);
    }

    function errorKeyFor(xhr) {
      var status = xhr && typeof xhr.status === 'number' ? xhr.status : 0;
      if (status === 401) {
        return 'errors.not_authorised';
      }
      if (status === 403 || status === 404) {
        return 'errors.not_installed';
      }
      if (status === 0) {
        return 'errors.unreachable';
      }
      return 'errors.server';
    }

    /**
     * Calls back with a session for base, or with an i18n error key. Reuses a live session; while a
     * request is in flight, later callers wait for it instead of asking amoCRM for another token.
     */
    function withSession(base, onSession, onError) {
      if (session && session.base === base && session.expiresAt - SESSION_MARGIN_MS > Date.now()) {
        onSession(session);
        return;
      }
      if (waiting) {
        waiting.push([onSession, onError]);
        return;
      }
      if (typeof self.$authorizedAjax !== 'function') {
        onError('errors.unsupported');
        return;
      }
      waiting = [[onSession, onError]];
      var settle = function (result, errorKey) {
        var callbacks = waiting || [];
        waiting = null;
        for (var i = 0; i < callbacks.length; i++) {
          if (result) {
            callbacks[i][0](result);
          } else {
            callbacks[i][1](errorKey);
          }
        }
      };
      var request;
      try {
        request = self.$authorizedAjax({ url: base + SESSION_PATH, method: 'POST', dataType: 'json' });
      } catch (e) {
        settle(null, 'errors.unreachable');
        return;
      }
      whenSettled(request, function (data) {
        if (typeof data === 'string') {
          try {
            data = JSON.parse(data);
          } catch (ignored) {
            data = null;
          }
        }
        if (!data || typeof data.token !== 'string' || !data.token) {
          settle(null, 'errors.server');
          return;
        }
        var expires = Date.parse(data.expiresAt);
        session = {
          token: data.token,
          expiresAt: isNaN(expires) ? Date.now() + 5 * 60 * 1000 : expires,
          base: base,
          installationId: data.installationId,
          user: data.user || null
        };
        settle(session, null);
      }, function (xhr) {
        settle(null, errorKeyFor(xhr));
      });
    }

    function pageUrl(base, page, query, token) {
      var lang = (typeof APP !== 'undefined' && APP && APP.lang_id) ? String(APP.lang_id) : '';
      var url = base + page + (query ? '?' + query : '');
      var fragment = 'token=' + encodeURIComponent(token);
      if (lang) {
        fragment += '&lang=' + encodeURIComponent(lang);
      }
      return url + '#' + fragment;
    }

    /** 'lead' | 'contact' and the card's id, or null (not a card, or a card not saved yet). */
    function currentEntity() {
      var system = (typeof self.system === 'function' ? self.system() : null) || {};
      var type = ENTITY_BY_AREA[system.area];
      if (!type && typeof APP !== 'undefined' && APP && typeof APP.getBaseEntity === 'function') {
        type = { leads: 'lead', contacts: 'contact' }[APP.getBaseEntity()];
      }
      var id = null;
      if (typeof APP !== 'undefined' && APP && APP.data && APP.data.current_card) {
        id = APP.data.current_card.id;
      }
      id = parseInt(id, 10);
      if (!type || !(id > 0)) {
        return null;
      }
      return { type: type, id: id };
    }

    function closeOverlay() {
      if (overlay) {
        overlay.remove();
        overlay = null;
      }
      $(document).off('keydown' + ns());
      $(window).off('message' + ns());
    }

    /** A full-window layer with the connector page in an iframe; Esc, the close button or the page close it. */
    function openOverlay(url, base) {
      closeOverlay();
      var expectedOrigin = originOf(base);
      overlay = $(
        '<div class="pact-widget-overlay" role="dialog" aria-modal="true" style="position:fixed;top:0;left:0;right:0;bottom:0;'
        + 'z-index:100000;background:rgba(17,24,39,.45);display:flex;align-items:center;justify-content:center">'
        + '<div class="pact-widget-overlay__window" style="position:relative;width:min(960px,94vw);height:min(720px,90vh);'
        + 'background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.3)">'
        + '<button type="button" class="pact-widget-overlay__close" title="' + escapeHtml(t('close')) + '" aria-label="'
        + escapeHtml(t('close')) + '" style="position:absolute;top:6px;right:8px;border:0;background:none;font-size:24px;'
        + 'line-height:24px;cursor:pointer;color:#374151">&times;</button>'
        + '<iframe class="pact-widget-overlay__frame" title="Pact" referrerpolicy="no-referrer" '
        + 'style="width:100%;height:100%;border:0"></iframe>'
        + '</div></div>');
      overlay.find('.pact-widget-overlay__frame').attr('src', url);
      overlay.find('.pact-widget-overlay__close').on('click', closeOverlay);
      $(document).on('keydown' + ns(), function (e) {
        if (e.key === 'Escape' || e.keyCode === 27) {
          closeOverlay();
        }
      });
      // The connector page may ask to be closed: window.parent.postMessage({type: 'pact:close'}, '*').
      $(window).on('message' + ns(), function (e) {
        var event = e.originalEvent || e;
        if (event.origin && expectedOrigin && event.origin.toLowerCase() === expectedOrigin
            && event.data && event.data.type === 'pact:close') {
          closeOverlay();
        }
      });
      $('body').append(overlay);
    }

    function cardBlock() {
      return $('.pact-widget[data-pact-widget="' + code() + '"]');
    }

    function showStatus(block, key, isError) {
      block.find('.pact-widget__status')
        .text(key ? t(key) : '')
        .attr('data-state', key ? (isError ? 'error' : 'info') : '')
        .attr('style', 'margin-top:8px;font-size:13px;line-height:1.4;color:' + (isError ? '#b91c1c' : '#4b5563'));
    }

    /** Card button: one session request at a time, then the card page for this lead/contact. */
    function writeFirst() {
      var block = cardBlock();
      var button = block.find('.pact-widget__write');
      if (button.attr('data-busy') === 'true') {
        return;
      }
      var base = configuredBase();
      if (!base) {
        showStatus(block, 'errors.no_url', true);
        return;
      }
      if (base === 'invalid') {
        showStatus(block, 'errors.bad_url', true);
        return;
      }
      var entity = currentEntity();
      if (!entity) {
        showStatus(block, 'errors.save_first', true);
        return;
      }
      button.attr('data-busy', 'true').prop('disabled', true);
      showStatus(block, 'connecting', false);
      withSession(base, function (s) {
        button.attr('data-busy', 'false').prop('disabled', false);
        showStatus(block, 'ready', false);
        var query = 'entityType=' + encodeURIComponent(entity.type) + '&entityId=' + encodeURIComponent(String(entity.id));
        openOverlay(pageUrl(base, CARD_PAGE, query, s.token), base);
      }, function (errorKey) {
        button.attr('data-busy', 'false').prop('disabled', false);
        showStatus(block, errorKey, true);
      });
    }

    function settingsBlockHtml() {
      return '<div class="pact-widget-settings" data-pact-widget="' + escapeHtml(code()) + '" style="margin-top:16px">'
        + '<p class="pact-widget-settings__hint" style="margin-bottom:8px">' + escapeHtml(t('settings_hint')) + '</p>'
        + '<button type="button" class="button-input pact-widget-settings__open">' + escapeHtml(t('open_settings')) + '</button>'
        + '<div class="pact-widget__status" aria-live="polite"></div>'
        + '</div>';
    }

    /** The connector address typed in the open settings modal, if there is one, else the saved one. */
    function typedBase(scope) {
      var input = $(scope || document).find('input[name="connector_url"]');
      return input.length ? input.val() : null;
    }

    function openSettings(block, scope) {
      var button = block.find('.pact-widget-settings__open');
      if (button.attr('data-busy') === 'true') {
        return;
      }
      var base = configuredBase(typedBase(scope));
      if (!base || base === 'invalid') {
        showStatus(block, base ? 'errors.bad_url' : 'errors.no_url', true);
        return;
      }
      button.attr('data-busy', 'true').prop('disabled', true);
      showStatus(block, 'connecting', false);
      withSession(base, function (s) {
        button.attr('data-busy', 'false').prop('disabled', false);
        showStatus(block, null, false);
        openOverlay(pageUrl(base, SETTINGS_PAGE, '', s.token), base);
      }, function (errorKey) {
        button.attr('data-busy', 'false').prop('disabled', false);
        showStatus(block, errorKey, true);
      });
    }

    this.callbacks = {
      render: function () {
        var area = ((typeof self.system === 'function' ? self.system() : null) || {}).area;
        if (!ENTITY_BY_AREA[area]) {
          return true;
        }
        self.render_template({
          caption: { class_name: 'pact-widget-caption' },
          body: '',
          render: '<div class="pact-widget" data-pact-widget="' + escapeHtml(code()) + '" style="padding:4px 0">'
            + '<button type="button" class="button-input button-input_blue pact-widget__write" style="width:100%">'
            + escapeHtml(t('write_first')) + '</button>'
            + '<div class="pact-widget__status" aria-live="polite"></div>'
            + '</div>'
        });
        return true;
      },

      init: function () {
        return true;
      },

      bind_actions: function () {
        // init_once is false: amoCRM calls this again on every area change, so bind exactly once.
        $(document).off('click' + ns())
          .on('click' + ns(), '.pact-widget[data-pact-widget="' + code() + '"] .pact-widget__write', function (e) {
            if (e && typeof e.preventDefault === 'function') {
              e.preventDefault();
            }
            writeFirst();
          });
        return true;
      },

      settings: function ($modalBody) {
        var scope = $modalBody && $modalBody.length ? $modalBody : $(document);
        scope.find('.pact-widget-settings').remove();
        var block = $(settingsBlockHtml());
        block.find('.pact-widget-settings__open').on('click', function () {
          openSettings(block, scope);
        });
        scope.append(block);
        return true;
      },

      onSave: function () {
        var typed = typedBase(document);
        var base = configuredBase(typed);
        if (typed != null && base === 'invalid') {
          var block = $('.pact-widget-settings');
          if (block.length) {
            showStatus(block, 'errors.bad_url', true);
          }
          return false;
        }
        session = null; // the address may have changed
        return true;
      },

      /**
       * The digital-pipeline action's settings (manifest dp.settings) are open: the action must carry this account's
       * connector key, which the connector gives an admin's session (GET /api/v1/settings, automationKey).
       */
      dpSettings: function () {
        var base = configuredBase();
        var field = $('input[name="key"]');
        if (!base || base === 'invalid' || !field.length || field.val()) {
          return true;
        }
        withSession(base, function (s) {
          whenSettled($.ajax({ url: base + '/api/v1/settings', method: 'GET', dataType: 'json',
            headers: { Authorization: 'Bearer ' + s.token } }), function (settings) {
            if (settings && settings.automationKey) {
              field.val(settings.automationKey).trigger('change');
            }
          }, function () {});
        }, function () {});
        return true;
      },

      /**
       * The Salesbot designer saved the "Pact: send a message" step: the bot calls the connector with widget_request
       * (its token proves the account), then waits until the connector lets it go on.
       */
      onSalesbotDesignerSave: function (handlerCode, params) {
        var base = configuredBase();
        var p = params || {};
        var substitutions = String(p.substitutions || '').split(/\r?\n/).filter(function (v) { return v.trim() !== ''; });
        return JSON.stringify([{ question: [{ handler: 'widget_request', params: {
          url: (base && base !== 'invalid' ? base : '') + '/amocrm/salesbot',
          data: { text: p.text || '', waba_id: p.waba_id || '', substitutions: substitutions }
        } }] }]);
      },

      destroy: function () {
        closeOverlay();
        $(document).off('click' + ns());
        $('.pact-widget-settings').remove();
        session = null;
        waiting = null;
      },

      advancedSettings: function () {
        var area = $('#work-area-' + code());
        if (!area.length) {
          return true;
        }
        area.find('.pact-widget-settings').remove();
        var block = $(settingsBlockHtml());
        block.find('.pact-widget-settings__open').on('click', function () {
          openSettings(block, null);
        });
        area.append(block);
        return true;
      }
    };
    return this;
  };

  return PactWidget;
});
