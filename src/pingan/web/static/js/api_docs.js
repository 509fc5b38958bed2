/* Starts Swagger UI or ReDoc on /api/v1/docs and /api/v1/redoc (no inline script: CSP). */
"use strict";
(function () {
  const spec = document.body.dataset.spec;
  if (window.SwaggerUIBundle && document.getElementById("swagger-ui")) {
    window.SwaggerUIBundle({
      url: spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      onComplete: () => { document.body.dataset.ready = "1"; },
    });
  } else if (window.Redoc && document.getElementById("redoc")) {
    window.Redoc.init(spec, { hideDownloadButton: false }, document.getElementById("redoc"),
      () => { document.body.dataset.ready = "1"; });
  }
})();
