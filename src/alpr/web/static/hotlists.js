// Hot-list pages: point the entry and import forms at the chosen list, build the CSV
// column mapping, show an import's line errors, and keep a message across a reload.
"use strict";
(function () {
  // Say what became of a manual entry; console.js shows it again after the reload.
  document.addEventListener("api:done", function (event) {
    const form = event.target;
    const entry = event.detail;
    if (form.id === "entry-form" && entry) {
      const state = entry.status === "pending" ? "waiting for approval" : entry.status;
      form.dataset.done = "Entry " + entry.id + " (" + entry.plate + ") saved: " + state + ".";
    }
    if (form.id === "import-form") showImport(entry);
  });

  function target(select) {
    const form = select.form;
    form.dataset.api = select.dataset.path.replace("{name}", encodeURIComponent(select.value));
    const urgent = form.querySelector("#entry-urgent");
    if (urgent) {
      const source = select.selectedOptions[0].dataset.source;
      urgent.disabled = !(source === "AMBER" || source === "SILVER");
      if (urgent.disabled) urgent.checked = false;
    }
  }

  // The API takes the CSV mapping as repeated "field=column" form values.
  function mapping(form) {
    const box = form.querySelector("#mapping-fields");
    box.innerHTML = "";
    form.querySelectorAll("[data-field]").forEach(function (input) {
      if (!input.value.trim()) return;
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "mapping";
      hidden.value = input.dataset.field + "=" + input.value.trim();
      box.appendChild(hidden);
    });
  }

  function showProfile(select) {
    const fields = select.form.querySelector("#csv-mapping");
    const csv = select.value === "csv";
    fields.hidden = !csv;
    fields.disabled = !csv;
  }

  function showImport(result) {
    const box = document.getElementById("import-result");
    if (!box || !result) return;
    const e = window.alpr.escape;
    let html = "<p><strong>" + e(result.list_name) + "</strong>: " + e(result.loaded) +
      " entries loaded (generation " + e(result.generation) + "), " + e(result.replaced) +
      " replaced, " + e(result.problems.length) + " line(s) refused.</p>";
    if (result.problems.length) {
      html += '<table id="import-problems"><caption>Lines refused</caption><thead><tr>' +
        '<th scope="col">Line</th><th scope="col">Problem</th></tr></thead><tbody>';
      result.problems.forEach(function (p) {
        html += "<tr><td>" + e(p[0]) + "</td><td>" + e(p[1]) + "</td></tr>";
      });
      html += "</tbody></table>";
    }
    box.innerHTML = html;
    refreshLists();
  }

  // The lists table shows the import at once (last import, counts): the page's own table
  // is fetched again and swapped in, so it is rendered exactly as on a reload.
  async function refreshLists() {
    const table = document.getElementById("lists");
    if (!table) return;
    const answer = await fetch("/hotlists", { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("lists");
    if (fresh) table.replaceWith(fresh);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-path]").forEach(function (select) {
      target(select);
      select.addEventListener("change", function () { target(select); });
    });
    const profile = document.getElementById("import-profile");
    if (profile) {
      showProfile(profile);
      profile.addEventListener("change", function () { showProfile(profile); });
      profile.form.addEventListener("input", function (event) {
        if (event.target.dataset.field) mapping(profile.form);
      });
      profile.form.addEventListener("submit", function () {
        document.getElementById("import-result").innerHTML = "";
      });
    }
  });
})();
