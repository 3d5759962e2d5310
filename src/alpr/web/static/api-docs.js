// Starts Swagger UI or ReDoc on the element the page marks (an external script: the
// Content-Security-Policy allows no inline one).
"use strict";
(function () {
  const root = document.querySelector("[data-viewer]");
  if (!root) return;
  const url = root.dataset.openapiUrl;
  if (root.dataset.viewer === "swagger") {
    window.ui = window.SwaggerUIBundle({
      url: url,
      dom_id: "#" + root.id,
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  } else {
    window.Redoc.init(url, { hideDownloadButton: false }, root);
  }
})();
