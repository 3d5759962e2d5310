// Live alerts: the loaded alerts, then new ones from the SSE stream (newest first), a beep,
// filters, and the verification and response forms (sent by console.js to the alerts API).
// The start-of-shift inspection page uses the small part at the end.
"use strict";
(function () {
  const esc = window.alpr.escape;
  const STATUS = {
    unverified: ["Not verified: information only", "warn"],
    confirmed: ["Verified: hit confirmed", "bad"],
    not_confirmed: ["Verified: not confirmed", "good"],
  };

  // A datetime-local value for this minute (never in the future, as the API requires).
  function localNow() {
    const d = new Date();
    d.setSeconds(0, 0);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }

  function when(iso) {
    return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "medium" });
  }

  // "3 min ago": what an officer needs at a glance (the exact time stays beside it).
  function ago(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 45) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  }

  const COMPASS = ["north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"];
  function direction(heading) {
    if (heading == null) return "";
    const h = ((heading % 360) + 360) % 360;
    return "heading " + COMPASS[Math.round(h / 45) % 8] + " (" + Math.round(h) + "°)";
  }

  function fact(term, value, extra) {
    return '<div' + (extra || "") + '><dt>' + term + '</dt><dd>' + value + '</dd></div>';
  }

  function verifyForm(a, id) {
    const state = a.state_listed ? " (listed " + esc(a.state_listed) + ")" : " (no state listed)";
    return '<form class="alert-form" data-api="/api/v1/alerts/' + id + '/verify" data-method="POST" data-done="Verification recorded.">' +
      '<fieldset><legend>Verify before acting</legend><div class="checks">' +
      '<label class="check"><input type="checkbox" name="plate_matches"> <span>Plate characters match: read <span class="plate">' + esc(a.plate_read) + '</span>, listed <span class="plate">' + esc(a.plate_listed) + '</span></span></label>' +
      '<label class="check"><input type="checkbox" name="state_matches"> <span>State matches' + state + '</span></label>' +
      '<label class="check"><input type="checkbox" name="vehicle_matches"> <span>Vehicle matches the listed vehicle</span></label>' +
      '<label class="check"><input type="checkbox" name="clets_confirmed"> <span>Hit confirmed by CLETS/NCIC</span></label></div>' +
      '<label for="clets-' + id + '">CLETS/NCIC checked at</label>' +
      '<input id="clets-' + id + '" type="datetime-local" name="clets_checked_at" data-type="datetime" required value="' + localNow() + '">' +
      '<p class="hint wide-only">Leave an item unticked if it does not match: the alert is then recorded as not confirmed.</p>' +
      '</fieldset><p class="error" role="alert" data-error></p>' +
      '<button type="submit">Record verification</button></form>';
  }

  function responseForm(a, id, dispositions, member) {
    const options = dispositions.map(function (d) {
      return '<option value="' + esc(d) + '">' + esc(d) + '</option>';
    }).join("");
    function field(name, label, control) {
      return '<div class="field"><label for="' + name + '-' + id + '">' + label + '</label>' + control + '</div>';
    }
    function input(name, extra) { return '<input id="' + name + '-' + id + '" name="' + name + '"' + extra + '>'; }
    function text(name, extra) { return '<textarea id="' + name + '-' + id + '" name="' + name + '" rows="2"' + extra + '></textarea>'; }
    return '<form class="alert-form" data-api="/api/v1/alerts/' + id + '/responses" data-method="POST" data-done="Response recorded.">' +
      '<fieldset><legend>Document the response</legend><div class="fields">' +
      field("member", "Member responding", input("member", ' required value="' + esc(member) + '"')) +
      field("disposition", "Disposition", '<select id="disposition-' + id + '" name="disposition" required><option value="">Choose…</option>' + options + '</select>') +
      field("case_number", "Case number (if any)", input("case_number", ' maxlength="40"')) +
      field("responded_at", "Responded at", input("responded_at", ' type="datetime-local" data-type="datetime" required value="' + localNow() + '"')) +
      field("justification", "Justification", text("justification", " required")) +
      field("next_steps", "Next steps", text("next_steps", "")) +
      '</div></fieldset><p class="error" role="alert" data-error></p>' +
      '<button type="submit">Record response</button></form>';
  }

  function actions(a, dispositions, member) {
    const id = esc(a.id);
    if (a.status === "unverified") return verifyForm(a, id);
    if (a.responded) {
      return '<p class="done">Response recorded' + (a.disposition ? ": " + esc(a.disposition) : "") + '.</p>';
    }
    return responseForm(a, id, dispositions, member);
  }

  function cameraLabel(a, cameras) {
    const camera = cameras[a.camera_id];
    return camera && camera.name && camera.name !== a.camera_id
      ? esc(camera.name) + ' <span class="muted">(' + esc(a.camera_id) + ')</span>' : esc(a.camera_id);
  }

  function correctionForm(a) {
    return '<details class="alert-correct" data-correct hidden><summary>Correct a misread</summary>' +
      '<form class="alert-form" data-method="POST" data-done="Correction recorded; the original read is kept.">' +
      '<div class="fields"><div class="field"><label for="fix-plate-' + esc(a.id) + '">Correct plate</label>' +
      '<input id="fix-plate-' + esc(a.id) + '" name="plate" required maxlength="16" autocomplete="off"></div>' +
      '<div class="field"><label for="fix-reason-' + esc(a.id) + '">Why (what the image shows)</label>' +
      '<input id="fix-reason-' + esc(a.id) + '" name="reason" required minlength="5" maxlength="1000"></div></div>' +
      '<p class="error" role="alert" data-error></p><button type="submit" class="secondary">Record correction</button></form></details>';
  }

  function card(a, data) {
    const id = esc(a.id);
    const status = STATUS[a.status] || [a.status, "warn"];
    const match = a.match === "exact" ? "exact match" : "fuzzy match (look-alike characters)";
    const camera = data.cameras[a.camera_id] || {};
    return '<h2 id="t-' + id + '"><span class="plate">' + esc(a.plate_read) + '</span> · ' + esc(a.list_name) +
      ' <span class="badge ' + (a.match === "exact" ? "bad" : "warn") + '">' + esc(match) + '</span></h2>' +
      '<p class="alert-status"><span class="badge ' + status[1] + '">' + esc(status[0]) + '</span> ' +
      '<time class="ago" data-ago="' + esc(a.created_at) + '" datetime="' + esc(a.created_at) + '">' + esc(ago(a.created_at)) + '</time>' +
      ' · <span data-where>' + cameraLabel(a, data.cameras) + (camera.heading != null ? ', ' + esc(direction(camera.heading)) : '') + '</span></p>' +
      '<div class="alert-body"><dl class="alert-facts">' +
      fact("Plate listed", '<span class="plate">' + esc(a.plate_listed) + '</span>' + (a.state_listed ? " " + esc(a.state_listed) : "")) +
      fact("List", esc(a.list_name) + " (" + esc(a.source) + ")", ' class="wide-only"') +
      fact("Reason", esc(a.reason)) +
      fact("Match", esc(match), ' class="wide-only"') +
      fact("Camera", cameraLabel(a, data.cameras), ' class="wide-only"') +
      fact("Time", '<time datetime="' + esc(a.created_at) + '">' + esc(when(a.created_at)) + '</time>', ' class="wide-only"') +
      fact("Direction", "", ' data-direction hidden') +
      fact("Place", "", ' data-place hidden class="wide-only"') +
      fact("Vehicle seen", "", ' data-seen hidden') +
      fact("Vehicle listed", "", ' data-listed hidden') +
      '</dl><div class="alert-media"><div class="alert-images" data-images></div>' +
      '<div class="alert-map" data-map hidden role="group" aria-label="Map of where the plate was read"></div></div></div>' +
      '<div class="alert-actions" data-actions>' + actions(a, data.dispositions, data.member) + '</div>' +
      (data.can_correct ? correctionForm(a) : "");
  }

  // A small map of the read: the agency's tiles when configured, else just the point and
  // its direction on a plain background (no outside request).
  function miniMap(box, r, tileUrl) {
    if (!window.L || r.lat == null || r.lon == null) return;
    box.hidden = false;
    const map = L.map(box, { zoomControl: false, dragging: false, scrollWheelZoom: false,
      doubleClickZoom: false, boxZoom: false, keyboard: false, attributionControl: !!tileUrl });
    map.setView([r.lat, r.lon], 16);
    // The group's label says what the map shows; its drawing is decoration to a reader.
    box.querySelectorAll(".leaflet-pane").forEach(function (pane) { pane.setAttribute("aria-hidden", "true"); });
    if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
    L.circleMarker([r.lat, r.lon], { radius: 7, color: "#b00020", fillOpacity: 0.9 }).addTo(map);
    if (r.heading != null) {
      const rad = r.heading * Math.PI / 180, reach = 0.0012;
      const tip = [r.lat + reach * Math.cos(rad), r.lon + reach * Math.sin(rad) / Math.cos(r.lat * Math.PI / 180)];
      L.polyline([[r.lat, r.lon], tip], { color: "#b00020", weight: 4 }).addTo(map);
      L.circleMarker(tip, { radius: 3, color: "#b00020", fillOpacity: 1 }).addTo(map);
    }
  }

  // The alert's read (vehicle, images) is fetched only for alerts still to be dealt with,
  // or on request: every look is audited as a read view.
  async function loadRead(article, a, data) {
    const result = await window.alpr.api("GET", "/api/v1/alerts/" + a.id + "/read");
    const box = article.querySelector("[data-images]");
    if (!result.ok) { box.innerHTML = '<p class="hint">' + esc(result.error) + '</p>'; return; }
    const r = result.data;
    const seen = [r.vehicle_color, r.vehicle_make, r.vehicle_model].filter(Boolean).join(" ");
    if (seen || r.region) {
      const row = article.querySelector("[data-seen]");
      row.querySelector("dd").textContent = [seen, r.region ? "plate state " + r.region : ""].filter(Boolean).join(", ");
      row.hidden = false;
    }
    if (r.heading != null) {
      const row = article.querySelector("[data-direction]");
      row.querySelector("dd").textContent = direction(r.heading);
      row.hidden = false;
    }
    if (r.lat != null && r.lon != null) {
      const row = article.querySelector("[data-place]");
      row.querySelector("dd").textContent = r.lat.toFixed(5) + ", " + r.lon.toFixed(5);
      row.hidden = false;
      miniMap(article.querySelector("[data-map]"), r, data.tile_url);
    }
    const correct = article.querySelector("[data-correct]");
    if (correct) {
      correct.querySelector("form").dataset.api = "/api/v1/reads/" + encodeURIComponent(r.read_id) + "/corrections";
      correct.hidden = false;
    }
    if (r.listed_vehicle) {
      const row = article.querySelector("[data-listed]");
      row.querySelector("dd").textContent = r.listed_vehicle;
      row.hidden = false;
    }
    let html = "";
    if (r.has_plate_image) html += '<figure><img src="/api/v1/alerts/' + esc(a.id) + '/images/plate" alt="Plate crop of ' + esc(a.plate_read) + '"><figcaption>Plate</figcaption></figure>';
    if (r.has_vehicle_image) html += '<figure><img src="/api/v1/alerts/' + esc(a.id) + '/images/vehicle" alt="Vehicle read as ' + esc(a.plate_read) + '"><figcaption>Vehicle</figcaption></figure>';
    box.innerHTML = html || '<p class="hint">No images with this read.</p>';
  }

  function alertsPage(data) {
    const list = document.getElementById("alert-list");
    const empty = document.getElementById("no-alerts");
    const news = document.getElementById("alert-news");
    const live = document.getElementById("live-state");
    const toggle = document.getElementById("sound-toggle");
    const byCamera = document.getElementById("filter-camera");
    const byList = document.getElementById("filter-list");
    const alerts = new Map();
    const baseTitle = document.title;

    function matches(a) {
      return (!byCamera.value || a.camera_id === byCamera.value) && (!byList.value || a.list_name === byList.value);
    }

    function addOption(select, value) {
      if (Array.from(select.options).some(function (o) { return o.value === value; })) return;
      const option = document.createElement("option");
      option.value = option.textContent = value;
      select.appendChild(option);
    }

    function refresh() {
      let shown = 0, open = 0;
      for (const [id, a] of alerts) {
        const article = document.getElementById("alert-" + id);
        article.hidden = !matches(a);
        if (!article.hidden) shown++;
        if (a.status === "unverified") open++;
      }
      empty.hidden = shown > 0;
      empty.textContent = alerts.size ? "No alert matches the filters." : "No alerts yet. New hits appear here as they are raised.";
      document.title = (open ? "(" + open + ") " : "") + baseTitle;
    }

    function draw(article, a) {
      article.innerHTML = card(a, data);
      if (a.status === "unverified" || !a.responded) loadRead(article, a, data);
      else {
        article.querySelector("[data-images]").innerHTML = '<button type="button" class="secondary" data-show-read>Show read and images</button>';
      }
    }

    function add(a, fresh) {
      if (alerts.has(a.id)) return false;
      alerts.set(a.id, a);
      const article = document.createElement("article");
      article.id = "alert-" + a.id;
      article.className = "alert-card" + (fresh ? " is-new" : "");
      article.setAttribute("aria-labelledby", "t-" + a.id);
      draw(article, a);
      // Newest first: a streamed alert goes above every loaded one.
      let before = null;
      for (const other of list.children) {
        if (Date.parse(alerts.get(other.id.slice(6)).created_at) < Date.parse(a.created_at)) { before = other; break; }
      }
      list.insertBefore(article, before);
      addOption(byCamera, a.camera_id);
      addOption(byList, a.list_name);
      return true;
    }

    list.addEventListener("api:done", function (event) {
      const article = event.target.closest("article");
      if (event.target.closest("[data-correct]")) {
        const fixed = event.detail;
        const details = event.target.closest("[data-correct]");
        details.open = false;
        details.querySelector("summary").textContent = "Corrected to " + fixed.corrected_plate + " (was " + fixed.original_plate + ")";
        return;
      }
      const a = alerts.get(article.id.slice(6));
      if (event.detail && event.detail.status) a.status = event.detail.status;
      if (event.detail && event.detail.disposition) { a.responded = true; a.disposition = event.detail.disposition; }
      article.querySelector("[data-actions]").innerHTML = actions(a, data.dispositions, data.member);
      const status = STATUS[a.status] || [a.status, "warn"];
      article.querySelector(".alert-status").innerHTML = '<span class="badge ' + status[1] + '">' + esc(status[0]) + '</span>';
      const next = article.querySelector("[data-actions] input, [data-actions] select, [data-actions] .done");
      if (next) { if (!next.matches("input, select")) next.tabIndex = -1; next.focus(); }
      refresh();
    });
    list.addEventListener("click", function (event) {
      const button = event.target.closest("[data-show-read]");
      if (!button) return;
      const article = button.closest("article");
      loadRead(article, alerts.get(article.id.slice(6)), data);
    });
    byCamera.addEventListener("change", refresh);
    byList.addEventListener("change", refresh);

    // Sound: browsers allow audio only after a user gesture, so it starts with the toggle
    // (or, if it was left on, with the first click or key press on the page).
    let audio = null, soundOn = localStorage.getItem("alpr_alert_sound") === "on", beeps = 0;
    function ensureAudio() {
      if (!soundOn) return;
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!audio && Context) audio = new Context();
      if (audio && audio.state === "suspended") audio.resume();
    }
    function showSound() {
      toggle.setAttribute("aria-pressed", String(soundOn));
      toggle.textContent = soundOn ? "Sound on" : "Sound off";
    }
    function beep() {
      if (!soundOn) return;
      ensureAudio();
      if (!audio) return;
      const t = audio.currentTime;
      [0, 0.22].forEach(function (delay) {
        const tone = audio.createOscillator(), gain = audio.createGain();
        tone.type = "square";
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, t + delay);
        gain.gain.exponentialRampToValueAtTime(0.25, t + delay + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + delay + 0.16);
        tone.connect(gain).connect(audio.destination);
        tone.start(t + delay);
        tone.stop(t + delay + 0.18);
      });
      toggle.dataset.beeps = String(++beeps);
    }
    toggle.addEventListener("click", function () {
      soundOn = !soundOn;
      localStorage.setItem("alpr_alert_sound", soundOn ? "on" : "off");
      showSound();
      if (soundOn) beep();  // the gesture unlocks audio, and the officer hears the tone
    });
    document.addEventListener("pointerdown", ensureAudio, { once: true });
    document.addEventListener("keydown", ensureAudio, { once: true });
    showSound();

    // Browser notifications: seen even when this tab is behind another window. Asking needs a
    // click (browsers refuse a prompt on load); the choice is kept for this browser.
    const notifyToggle = document.getElementById("notify-toggle");
    function notifyOn() { return "Notification" in window && Notification.permission === "granted" && localStorage.getItem("alpr_alert_notify") === "on"; }
    function showNotify() {
      notifyToggle.setAttribute("aria-pressed", String(notifyOn()));
      notifyToggle.textContent = notifyOn() ? "Notifications on" : "Notifications off";
      if (!("Notification" in window)) { notifyToggle.disabled = true; notifyToggle.title = "This browser has no notifications"; }
    }
    notifyToggle.addEventListener("click", async function () {
      if (notifyOn()) { localStorage.setItem("alpr_alert_notify", "off"); showNotify(); return; }
      const answer = await Notification.requestPermission();
      localStorage.setItem("alpr_alert_notify", answer === "granted" ? "on" : "off");
      showNotify();
    });
    function notify(a, where) {
      if (!notifyOn()) return;
      const note = new Notification("ALPR alert: " + a.plate_read, {
        body: a.list_name + " · " + a.reason + " · " + where, tag: "alpr-alert-" + a.id, requireInteraction: true,
      });
      note.onclick = function () { window.focus(); const card = document.getElementById("alert-" + a.id); if (card) card.scrollIntoView(); note.close(); };
    }
    showNotify();
    // "3 min ago" stays true while the page is open.
    setInterval(function () {
      list.querySelectorAll("[data-ago]").forEach(function (t) { t.textContent = ago(t.dataset.ago); });
    }, 30000);

    data.alerts.forEach(function (a) { add(a, false); });
    refresh();

    // The stream: from a little before the page's list (duplicates are dropped by id), then
    // from the newest alert seen. On any error we reconnect ourselves, from where we were.
    let since = new Date(new Date(data.since).getTime() - 5000).toISOString();
    let source = null, wait = 2000;
    function setLive(state, text) { live.dataset.state = state; live.textContent = text; }
    function connect() {
      source = new EventSource("/api/v1/alerts/stream?since=" + encodeURIComponent(since));
      source.onopen = function () { wait = 2000; setLive("live", "Live: new alerts appear here"); };
      source.addEventListener("alert", function (event) {
        const a = JSON.parse(event.data);
        if (Date.parse(a.created_at) > Date.parse(since)) since = a.created_at;
        a.responded = false;
        if (!add(a, true)) return;
        refresh();
        beep();
        const where = (data.cameras[a.camera_id] || {}).name || a.camera_id;
        news.textContent = "New alert: plate " + a.plate_read + ", list " + a.list_name + ", camera " + where + ".";
        notify(a, where);
      });
      source.onerror = async function () {
        source.close();
        setLive("down", "Connection lost: reconnecting…");
        // A probe: if the session has ended, console.js sends the browser to the login page.
        await new Promise(function (done) { setTimeout(done, wait); });
        wait = Math.min(wait * 2, 30000);
        await window.alpr.api("GET", "/api/v1/alerts?limit=1").catch(function () {});
        connect();
      };
    }
    connect();
  }

  function inspectionPage(form) {
    const unit = document.getElementById("unit");
    const result = document.getElementById("inspection-result");
    function target() { form.dataset.api = "/api/v1/cameras/" + encodeURIComponent(unit.value) + "/inspections"; }
    unit.addEventListener("change", target);
    target();
    form.addEventListener("api:done", function (event) {
      const row = event.detail;
      result.className = row.ok ? "done" : "error";
      result.textContent = row.ok
        ? "Inspection recorded for " + row.camera_id + " at " + when(row.inspected_at) + ": the unit passed; its alerts are enabled for this shift."
        : "Inspection recorded for " + row.camera_id + ": items not in order; trouble ticket " + row.ticket_id + " opened. The unit raises no alerts until an inspection passes.";
      form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
      form.querySelector("textarea").value = "";
    });
  }

  const data = document.getElementById("alerts-data");
  if (data) alertsPage(JSON.parse(data.textContent));
  const inspection = document.getElementById("inspection-form");
  if (inspection) inspectionPage(inspection);
})();
