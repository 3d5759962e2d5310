// Administration pages (holds, sharing, cameras, audit): the few things console.js's
// API forms cannot do alone.
"use strict";
(function () {
  // A registered camera's key is shown once, in place of the form (never stored here).
  document.addEventListener("api:done", function (event) {
    // getAttribute: the form's own "id" input would shadow form.id.
    if (event.target.getAttribute("id") !== "camera-form") return;
    const box = document.getElementById("camera-key");
    box.querySelector("[data-camera-id]").textContent = event.detail.id;
    box.querySelector("[data-key]").textContent = event.detail.api_key;
    event.target.hidden = true;
    box.hidden = false;
    box.querySelector("a").focus();
  });

  // Evidence export: the API answers with a zip, which is saved as a file.
  async function exportEvidence(event) {
    const form = event.target;
    if (form.id !== "export-form") return;
    event.preventDefault();
    window.alpr.showError(form, "");
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const result = await window.alpr.api("POST", form.dataset.url, window.alpr.formJSON(form), { blob: true });
      if (!result.ok) { window.alpr.showError(form, result.error); return; }
      const link = document.createElement("a");
      link.href = URL.createObjectURL(result.data);
      link.download = "evidence-" + (form.elements["purpose.case_number"].value || "package") + ".zip";
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.alpr.flash("Evidence package saved; it is listed under Downloads after reloading.", "ok");
      form.reset();
    } finally {
      button.disabled = false;
    }
  }

  // The audit page: the hash chain is verified when the page opens (it may take a while on
  // a large log, so the page itself does not wait for it).
  async function verifyChain() {
    const box = document.getElementById("chain-status");
    if (!box) return;
    const result = await window.alpr.api("GET", "/api/v1/audit/verify");
    if (!result.ok) {
      box.className = "chain bad";
      box.textContent = "Chain verification failed: " + result.error;
    } else if (result.data.ok) {
      box.className = "chain good";
      box.textContent = "Chain verified: " + result.data.checked + " entries intact.";
    } else {
      box.className = "chain bad";
      box.textContent = "Chain BROKEN at entry " + result.data.broken_id + ": " + (result.data.reason || "hash mismatch") +
        " (" + result.data.checked + " entries checked).";
    }
  }

  // A form whose API path names a chosen record (e.g. the agency of an agreement).
  function fillApi(form) {
    const chooser = form.querySelector("[data-fills]");
    form.dataset.api = form.dataset.apiTemplate.replace("{" + chooser.dataset.fills + "}", encodeURIComponent(chooser.value));
  }

  // Cameras: rotate a camera's API key; the new key is shown once, here, not reloaded.
  async function rotateKey(event) {
    const form = event.target;
    if (!form.dataset || !form.dataset.rotateKey) return;
    event.preventDefault();
    window.alpr.showError(form, "");
    const hours = form.elements["grace_hours"].value;
    const result = await window.alpr.api("POST", form.dataset.rotateKey,
      { grace_hours: hours === "" ? null : Number(hours) });
    const out = form.querySelector("[data-new-key]");
    if (!result.ok) { window.alpr.showError(form, result.error); return; }
    out.textContent = "New key (shown once, store it in the camera now): " + result.data.api_key;
  }

  document.addEventListener("submit", exportEvidence);
  document.addEventListener("submit", rotateKey);
  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form[data-api-template]");
    if (form) fillApi(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-api-template]").forEach(fillApi);
    verifyChain();
  });
})();
