// Audits and reports: the year field picks the annual report's address.
"use strict";
(function () {
  const form = document.querySelector("form[data-annual]");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    location.href = "/reports/annual/" + encodeURIComponent(form.elements.year.value);
  });
})();
