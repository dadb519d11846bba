(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  $('connect-pact').addEventListener('submit', function (event) {
    event.preventDefault();
    var button = $('connect');
    button.disabled = true;
    $('result').textContent = 'Testando…';
    window.pactApi('PUT', '/api/v1/settings/pact', { apiToken: $('api-token').value.trim(), companyId: Number($('company-id').value) })
      .then(function (r) {
        $('api-token').value = '';
        $('result').textContent = 'Conectado à empresa ' + r.companyId + '. O webhook do Pact está ativo.';
      })
      .catch(function (e) {
        $('result').textContent = e.status === 403 ? 'Apenas administradores do CRM podem mudar as configurações.' : e.message;
      })
      .then(function () { button.disabled = false; });
  });
}());
