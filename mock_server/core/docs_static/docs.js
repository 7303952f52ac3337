// /docs: start Swagger UI on the spec this page names, with the demo API key filled in.
// The configuration comes from the page (#docs-config), written by mock_server's docs_page.py.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("docs-config").textContent);
  var ui = SwaggerUIBundle({
    url: config.specUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    validatorUrl: null, // no validator badge: it would be fetched from the internet
    tryItOutEnabled: true, // a mock is there to be called: parameters are editable at once
    displayRequestDuration: true,
    filter: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    showCommonExtensions: true,
    persistAuthorization: false,
    // Called after every load of a spec: fill in the key, then tell tests and people it is ready.
    onComplete: function () {
      Object.keys(config.preauthorize).forEach(function (scheme) {
        ui.preauthorizeApiKey(scheme, config.preauthorize[scheme]);
      });
      window.docsReadyAt = performance.now();
      document.body.setAttribute("data-docs-ready", "true");
    },
  });
  window.ui = ui;
})();
