// The console's only shared script: call the JSON API with the session cookie and the
// CSRF token, turn forms into API requests, and show what the API answered.
"use strict";
(function () {
  const FLASH_KEY = "alpr_flash";

  function csrf() {
    const m = document.cookie.match(/(?:^|; )alpr_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // FastAPI says why in "detail": a string, or a list of field problems.
  function explain(data, status) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && Array.isArray(data.detail)) {
      return data.detail.map(function (d) {
        const where = (d.loc || []).filter(function (p) { return p !== "body"; }).join(".");
        return (where ? where + ": " : "") + String(d.msg).replace(/^Value error, /, "");
      }).join("; ");
    }
    return "request failed (HTTP " + status + ")";
  }

  async function api(method, url, body, options) {
    const init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (response.status === 401 && !(options && options.noRedirect)) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
    }
    const type = response.headers.get("content-type") || "";
    let data = null;
    if (options && options.blob && response.ok) data = await response.blob();
    else if (type.includes("json")) data = await response.json();
    else data = await response.text();
    return { ok: response.ok, status: response.status, data: data,
             error: response.ok ? null : explain(data, response.status) };
  }

  function setPath(target, path, value) {
    const parts = path.split(".");
    let node = target;
    for (let i = 0; i < parts.length - 1; i++) node = node[parts[i]] = node[parts[i]] || {};
    node[parts[parts.length - 1]] = value;
  }

  // Form fields to the API's JSON: empty fields are left out (the API's defaults apply),
  // data-type says number, list (comma separated), json or bool; dotted names nest.
  function formJSON(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled) continue;
      const type = el.dataset.type || (el.type === "number" ? "number" : el.type === "checkbox" ? "bool" : "text");
      let value;
      if (el.type === "radio") { if (!el.checked) continue; value = el.value; }
      else if (type === "bool") value = el.checked;
      else if (el.multiple) { value = Array.from(el.selectedOptions).map(function (o) { return o.value; }); if (!value.length) continue; }
      else {
        const raw = el.value.trim();
        if (raw === "") continue;
        if (type === "number") value = Number(raw);
        else if (type === "list") value = raw.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        else if (type === "json") value = JSON.parse(raw);
        else if (type === "datetime") value = new Date(raw).toISOString();
        else value = raw;
      }
      setPath(out, el.name, value);
    }
    return out;
  }

  function flash(message, kind) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.className = kind || "ok";
  }

  function showError(form, message) {
    const box = form.querySelector("[data-error]");
    if (box) box.textContent = message || "";
    else if (message) flash(message, "error");
  }

  async function submitApiForm(event) {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    showError(form, "");
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    try {
      const prepare = form.dataset.prepare && window[form.dataset.prepare];
      const body = form.enctype === "multipart/form-data" ? new FormData(form)
        : (prepare ? prepare(formJSON(form), form) : formJSON(form));
      const result = await api(form.dataset.method || "POST", form.dataset.api, body);
      if (!result.ok) { showError(form, result.error); return; }
      form.dispatchEvent(new CustomEvent("api:done", { detail: result.data, bubbles: true }));
      const then = form.dataset.then || "";
      if (form.dataset.done) flash(form.dataset.done, "ok");
      // Keep the message for the page that replaces this one.
      if (form.dataset.done && then !== "reset") sessionStorage.setItem(FLASH_KEY, form.dataset.done);
      if (then === "reload") location.reload();
      else if (then.startsWith("redirect:")) location.href = then.slice(9);
      else if (then === "reset") form.reset();
    } catch (error) {
      showError(form, String(error));
    } finally {
      if (button) button.disabled = false;
    }
  }

  async function login(event) {
    event.preventDefault();
    const form = event.target;
    const body = formJSON(form);
    body.cookie = true;
    if (body.device_token) body.device_token = body.device_token.trim();
    if (!body.device_token && localStorage.getItem("alpr_device")) body.device_token = localStorage.getItem("alpr_device");
    const result = await api("POST", "/api/v1/auth/login", body, { noRedirect: true });
    if (!result.ok) { showError(form, result.error); return; }
    if (body.device_token) localStorage.setItem("alpr_device", body.device_token);
    location.href = form.dataset.next || "/";
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id === "login-form") login(event);
    else submitApiForm(event);
  });
  // New alerts reach whoever receives them on every console page, not only /alerts, once
  // they turned notifications on there (the browser asked them then).
  function watchAlerts() {
    const body = document.body;
    if (body.dataset.alerts !== "1" || body.dataset.page === "alerts") return;
    if (!("Notification" in window) || Notification.permission !== "granted"
        || localStorage.getItem("alpr_alert_notify") !== "on") return;
    const source = new EventSource("/api/v1/alerts/stream");
    source.addEventListener("alert", function (event) {
      const a = JSON.parse(event.data);
      const note = new Notification("ALPR alert: " + a.plate_read, {
        body: a.list_name + " · " + a.reason, tag: "alpr-alert-" + a.id, requireInteraction: true });
      note.onclick = function () { window.focus(); location.href = "/alerts"; };
      flash("New alert: " + a.plate_read + " (" + a.list_name + "). Open Live alerts to verify it.", "error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchAlerts();
    const kept = sessionStorage.getItem(FLASH_KEY);
    if (kept) { sessionStorage.removeItem(FLASH_KEY); flash(kept, "ok"); }
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async function () {
      await api("POST", "/api/v1/auth/logout", undefined, { noRedirect: true });
      location.href = "/login";
    });
  });

  function escape(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  window.alpr = { api: api, csrf: csrf, formJSON: formJSON, flash: flash, escape: escape, showError: showError };
})();
