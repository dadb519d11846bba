/*
 * How a page gets its session (CRM-agnostic): the CRM side opens a connector session
 * (POST /api/v1/sessions/amocrm or /bitrix24) and hands its token to the page either
 *   1. in the URL fragment: /ui/card?entityType=lead&entityId=1#token=…&lang=pt (the fragment never reaches a
 *      server log or a Referer header; the page removes it from the address bar at once), or
 *   2. by postMessage from the parent frame: {type: 'pact:session', token, lang}, answering the page's
 *      {type: 'pact:ready'}; only the direct parent is listened to.
 */
var token = null;
var language = null;

var fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
if (fragment.get('token')) {
  token = fragment.get('token');
  language = fragment.get('lang');
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

/** Resolves once the page has a session token. */
export function sessionReady() {
  if (token) {
    return Promise.resolve({ token: token, language: language });
  }
  return new Promise(function (resolve) {
    window.addEventListener('message', function onMessage(event) {
      if (event.source !== window.parent || !event.data || event.data.type !== 'pact:session' || !event.data.token) {
        return;
      }
      window.removeEventListener('message', onMessage);
      token = String(event.data.token);
      language = event.data.lang ? String(event.data.lang) : null;
      resolve({ token: token, language: language });
    });
    if (window.parent !== window) {
      window.parent.postMessage({ type: 'pact:ready' }, '*');
    }
  });
}

/** An error from the widget API: {@code status} and the problem's plain {@code detail}. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** Calls the widget API with the session; 202 is a success (queued), problems become ApiError. */
export function api(method, path, body) {
  return fetch(path, {
    method: method,
    headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  }).then(function (response) {
    return response.text().then(function (text) {
      var data = null;
      try {
        data = text ? JSON.parse(text) : {};
      } catch (e) {
        data = {};
      }
      if (!response.ok) {
        throw new ApiError(response.status, data.detail || data.reason || data.title || ('HTTP ' + response.status));
      }
      return data;
    });
  }, function () {
    throw new ApiError(0, null);
  });
}

/** Uploads a file as the multipart part {@code file} (POST /api/v1/attachments); problems become ApiError. */
export function upload(path, file) {
  var form = new FormData();
  form.append('file', file, file.name);
  return fetch(path, { method: 'POST', headers: { 'Authorization': 'Bearer ' + token }, body: form })
    .then(function (response) {
      return response.text().then(function (text) {
        var data = {};
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
        if (!response.ok) {
          throw new ApiError(response.status, data.detail || data.title || ('HTTP ' + response.status));
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, null);
    });
}
