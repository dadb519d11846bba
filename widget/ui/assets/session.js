/* The session token arrives in the URL fragment (never the query string, so no server log sees it). */
(function () {
  'use strict';
  var params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  var token = params.get('token');
  if (token) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  window.pactApi = function (method, path, body) {
    return fetch(path, {
      method: method,
      headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : {};
        if (!response.ok && response.status !== 202) {
          var error = new Error(data.detail || data.title || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  };
}());
