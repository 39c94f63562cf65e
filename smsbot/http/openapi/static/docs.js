// The API reference: Swagger UI renders /openapi.json (no top bar, no online validator).
// Deep links are off (they put links inside the operations' buttons) and so is syntax
// colouring (its colours fail contrast); names() gives Swagger UI's unlabelled drop-downs
// an accessible name, for screen readers and axe, whenever it renders new ones.
"use strict";

function names(root) {
  root.querySelectorAll("select:not([aria-label])").forEach(function (select) {
    var row = select.closest("tr[data-param-name]");
    var named = select.closest(".examples-select") ? "Example" : "Value";
    select.setAttribute("aria-label", row ? row.getAttribute("data-param-name") : named);
  });
  root.querySelectorAll(".microlight:not([tabindex])").forEach(function (block) {
    block.setAttribute("tabindex", "0"); // a scrolling block must take the keyboard
  });
}

window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  new MutationObserver(function () { names(root); }).observe(root, { childList: true, subtree: true });
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 0,
    displayOperationId: true,
    syntaxHighlight: { activated: false },
  });
});
