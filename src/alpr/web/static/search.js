// The search page: the map (cameras, the drawn canvass area, the results), the results
// table, and opening a read. Every search, read view and image goes through the API with
// the purpose the user gave, so each is validated and audited there.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("search-data").textContent);
  const form = document.getElementById("search-form");
  const el = function (id) { return document.getElementById(id); };
  const esc = window.alpr.escape;

  let purpose = null;        // the purpose of the last search the API accepted
  let pendingPurpose = null; // the one sent with the search in flight
  let requestedPage = 1;
  let pendingBody = null, lastBody = null; // the search as sent: CSV and PDF repeat it
  const cameraNames = {};
  data.cameras.forEach(function (c) { cameraNames[c.id] = c.name; });
  function cameraLabel(id) { return cameraNames[id] && cameraNames[id] !== id ? cameraNames[id] + " (" + id + ")" : id; }
  let currentPage = 1;
  let objectUrls = [];

  // ---- purpose hints ----
  const category = el("purpose-category");
  function showNeeds() {
    const option = category.selectedOptions[0];
    el("purpose-needs").textContent = option ? option.dataset.needs : "";
  }
  category.addEventListener("change", showNeeds);
  showNeeds();

  // ---- the map ----
  const map = L.map("search-map", { keyboard: true, zoomControl: true });
  // The agency's own base map (PMTiles or tile server), else state and county outlines
  // shipped with alpr: never a request to anyone else (maps.js).
  window.alpr.baseMap(map, data);
  L.control.scale({ imperial: true, metric: true }).addTo(map);

  const cameraLayer = L.featureGroup().addTo(map);
  data.cameras.forEach(function (c) {
    if (c.lat == null || c.lon == null) return;
    L.marker([c.lat, c.lon], { title: "Camera " + c.id + " — " + c.name, alt: "Camera " + c.id, keyboard: true })
      .bindTooltip(esc(c.id + " — " + c.name)).addTo(cameraLayer);
  });
  data.sensitive.forEach(function (s) {
    const style = { color: "#a00000", weight: 2, dashArray: "6 4", fillOpacity: 0.08, interactive: true };
    const shape = s.polygon && s.polygon.length ? L.polygon(s.polygon, style) : L.circle([s.lat, s.lon], Object.assign({ radius: s.radius_m }, style));
    shape.bindTooltip("Sensitive location (" + esc(s.kind) + "): " + esc(s.name) + " — a court order is required").addTo(map);
  });
  if (cameraLayer.getLayers().length) map.fitBounds(cameraLayer.getBounds().pad(0.3), { maxZoom: 15 });
  else map.setView(data.center, 13);

  // ---- the canvass area: drawn, or typed into the fields ----
  const drawn = L.featureGroup().addTo(map);
  map.addControl(new L.Control.Draw({
    position: "topleft",
    draw: { polyline: false, marker: false, circlemarker: false,
            circle: { shapeOptions: { color: "#0b4f9c" } },
            rectangle: { shapeOptions: { color: "#0b4f9c" } },
            polygon: { allowIntersection: false, shapeOptions: { color: "#0b4f9c" } } },
    edit: { featureGroup: drawn },
  }));
  const near = { lat: el("near-lat"), lon: el("near-lon"), radius: el("near-radius") };
  const polygonField = el("polygon");

  function round(x, digits) { return Number(x.toFixed(digits)); }
  function setArea(layer) {
    near.lat.value = near.lon.value = near.radius.value = polygonField.value = "";
    let summary = "No area: the whole map.";
    if (layer instanceof L.Circle) {
      const c = layer.getLatLng();
      near.lat.value = round(c.lat, 6);
      near.lon.value = round(c.lng, 6);
      near.radius.value = Math.round(layer.getRadius());
      summary = "Circle of " + near.radius.value + " m around " + near.lat.value + ", " + near.lon.value + ".";
    } else if (layer instanceof L.Polygon) {
      const points = layer.getLatLngs()[0].map(function (p) { return [round(p.lat, 6), round(p.lng, 6)]; });
      polygonField.value = JSON.stringify(points);
      summary = "Polygon of " + points.length + " corners.";
    }
    el("area-summary").textContent = summary;
  }
  function clearArea() { drawn.clearLayers(); setArea(null); }

  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    setArea(event.layer);
  });
  map.on(L.Draw.Event.EDITED, function () { setArea(drawn.getLayers()[0] || null); });
  map.on(L.Draw.Event.DELETED, function () { setArea(drawn.getLayers()[0] || null); });
  el("clear-area").addEventListener("click", clearArea);
  // Typed numbers replace a drawn polygon and show the circle they describe.
  // The summary is the same whichever way the area was given.
  [near.lat, near.lon, near.radius].forEach(function (input) {
    input.addEventListener("change", function () {
      const lat = Number(near.lat.value), lon = Number(near.lon.value), r = Number(near.radius.value);
      drawn.clearLayers();
      if (near.lat.value && near.lon.value && r > 0 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        const circle = L.circle([lat, lon], { radius: r, color: "#0b4f9c" });
        drawn.addLayer(circle);
        setArea(circle);
      } else {
        const typed = [near.lat.value, near.lon.value, near.radius.value];
        polygonField.value = "";
        el("area-summary").textContent = typed.some(Boolean)
          ? "Incomplete circle: give latitude, longitude and a radius in metres."
          : "No area: the whole map.";
      }
    });
  });

  // ---- searching ----
  // Results above the camera pins: a read is usually right at its camera.
  map.createPane("results").style.zIndex = 650;
  const resultLayer = L.featureGroup().addTo(map);

  // The API's refusal appears below the map: bring it into view (it is also an alert).
  const refusal = form.querySelector("[data-error]");
  new MutationObserver(function () {
    if (refusal.textContent.trim()) refusal.scrollIntoView({ block: "center" });
  }).observe(refusal, { childList: true, characterData: true, subtree: true });

  function releaseImages() {
    objectUrls.forEach(URL.revokeObjectURL);
    objectUrls = [];
  }

  function clearResults() {
    releaseImages();
    resultLayer.clearLayers();
    el("results").hidden = true;
    el("results-table").tBodies[0].innerHTML = "";
  }

  // Called by console.js with the form's JSON just before it is sent.
  window.alprSearchPrepare = function (body) {
    clearResults();
    body.query = body.query || {};
    body.query.page = requestedPage;
    requestedPage = 1;
    pendingPurpose = body.purpose || null;
    pendingBody = JSON.parse(JSON.stringify(body));
    return body;
  };

  form.addEventListener("api:done", function (event) {
    purpose = pendingPurpose;
    lastBody = pendingBody;
    show(event.detail);
  });

  function when(iso) {
    return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "medium" });
  }

  // The API's JSON answer; the map gets it as GeoJSON, the same shape as ?format=geojson.
  function show(answer) {
    currentPage = answer.page;
    const rows = answer.results.map(function (r, i) {
      const place = r.lat == null ? "no position" : r.lat.toFixed(5) + ", " + r.lon.toFixed(5);
      const image = r.has_plate_image ? "plate" : r.has_vehicle_image ? "vehicle" : "";
      return "<tr data-read=\"" + esc(r.id) + "\" data-index=\"" + i + "\">" +
        "<td><input type=\"checkbox\" class=\"pick\" aria-label=\"Select read " + esc(r.plate) + " at " + esc(when(r.captured_at)) + "\"></td>" +
        "<td>" + esc(when(r.captured_at)) + "</td>" +
        "<td class=\"plate\">" + esc(r.plate) + (r.logically_deleted ? " <span class=\"badge bad\">deleted</span>" : "") + "</td>" +
        "<td>" + esc(cameraLabel(r.camera_id)) + "</td>" +
        "<td>" + esc(Math.round(r.confidence * 100)) + "%</td>" +
        "<td>" + esc(place) + "</td>" +
        "<td class=\"thumb-cell\" data-image=\"" + image + "\">" + (image ? "<span class=\"hint\">…</span>" : "<span class=\"hint\">none</span>") + "</td>" +
        "<td><button type=\"button\" class=\"secondary open-read\" aria-label=\"Open read " + esc(r.plate) + " at " + esc(when(r.captured_at)) + "\">Open</button></td></tr>";
    });
    el("results-table").tBodies[0].innerHTML = rows.join("");
    const count = answer.results.length;
    const order = { newest: "newest first", oldest: "oldest first", plate: "by plate", camera: "by camera" }[(lastBody && lastBody.query.sort) || "newest"];
    el("results-status").textContent = count
      ? answer.total + " read" + (answer.total === 1 ? "" : "s") + " in all; " + count + " on page " + answer.page + " of " + Math.max(1, Math.ceil(answer.total / ((lastBody && lastBody.query.page_size) || count))) + ", " + order + "; also on the map. Search recorded as audit entry " + answer.audit_id + "."
      : "No reads match. Search recorded as audit entry " + answer.audit_id + ".";
    el("select-all").checked = false;
    showSelected();
    el("page-label").textContent = "Page " + answer.page;
    el("prev-page").disabled = answer.page <= 1;
    el("next-page").disabled = !answer.has_more;
    el("results").hidden = false;

    const features = { type: "FeatureCollection", features: answer.results.filter(function (r) { return r.lat != null && r.lon != null; }).map(function (r) {
      return { type: "Feature", geometry: { type: "Point", coordinates: [r.lon, r.lat] }, properties: r };
    }) };
    L.geoJSON(features, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: "#7a4d00", weight: 2, fillColor: "#f5a000", fillOpacity: 0.9, className: "result-point", pane: "results" });
      },
      onEachFeature: function (feature, layer) {
        const r = feature.properties;
        layer.bindTooltip(esc(r.plate) + " · " + esc(when(r.captured_at)) + " · " + esc(cameraLabel(r.camera_id)));
        layer.on("click", function () { openRead(r.id, null); });
      },
    }).eachLayer(function (layer) { resultLayer.addLayer(layer); });
    if (!drawn.getLayers().length && resultLayer.getLayers().length) map.fitBounds(resultLayer.getBounds().pad(0.3), { maxZoom: 16 });
    loadThumbnails();
    el("results-title").scrollIntoView({ block: "start" });
  }

  // ---- case work: selection, downloads, hold request, evidence ----
  function selected() {
    return Array.from(document.querySelectorAll("#results-table input.pick:checked")).map(function (box) { return box.closest("tr").dataset.read; });
  }
  function showSelected() {
    const n = selected().length;
    el("selected-count").textContent = n ? n + " read" + (n === 1 ? "" : "s") + " selected." : "No read selected.";
    el("export-selected").disabled = !n;
    el("hold-request").querySelector("[type=submit]").disabled = !n;
  }
  el("results-table").addEventListener("change", function (event) {
    if (event.target.matches("input.pick")) showSelected();
  });
  el("select-all").addEventListener("change", function () {
    document.querySelectorAll("#results-table input.pick").forEach(function (box) { box.checked = el("select-all").checked; });
    showSelected();
  });

  function save(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }
  async function download(format, box) {
    box.textContent = "";
    const result = await window.alpr.api("POST", "/api/v1/searches?format=" + format, lastBody, { blob: true });
    if (!result.ok) { box.textContent = result.error; return; }
    save(result.data, "alpr-search-" + ((lastBody.purpose && lastBody.purpose.case_number) || "results") + "." + format);
  }
  el("download-csv").addEventListener("click", function () { download("csv", el("download-error")); });
  el("download-pdf").addEventListener("click", function () { download("pdf", el("download-error")); });

  // The hold names the search's case; a supervisor approves it (holds page).
  window.alprHoldPrepare = function (body) {
    body.read_ids = selected();
    body.case_number = (purpose && purpose.case_number) || "";
    return body;
  };
  el("export-selected").addEventListener("click", async function () {
    const box = el("export-error");
    box.textContent = "";
    const result = await window.alpr.api("POST", "/api/v1/retention/exports", { read_ids: selected(), purpose: purpose }, { blob: true });
    if (!result.ok) { box.textContent = result.error; return; }
    save(result.data, "evidence-" + ((purpose && purpose.case_number) || "package") + ".zip");
  });

  function goTo(pageNumber) {
    requestedPage = pageNumber;
    form.requestSubmit();
  }
  el("prev-page").addEventListener("click", function () { goTo(Math.max(1, currentPage - 1)); });
  el("next-page").addEventListener("click", function () { goTo(currentPage + 1); });

  // ---- images: audited accesses, loaded with the purpose and shown from blob: URLs ----
  async function image(readId, kind) {
    const result = await window.alpr.api("POST", "/api/v1/reads/" + encodeURIComponent(readId) + "/images/" + kind, { purpose: purpose }, { blob: true });
    if (!result.ok) throw new Error(result.error);
    const url = URL.createObjectURL(result.data);
    objectUrls.push(url);
    return url;
  }

  // Thumbnails load as their rows scroll into view: each is an audited image access, so
  // only what is actually shown is fetched.
  function loadThumbnails() {
    const cells = Array.from(document.querySelectorAll("#results-table td.thumb-cell[data-image=plate], #results-table td.thumb-cell[data-image=vehicle]"));
    const observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        const cell = entry.target;
        const row = cell.parentElement;
        const plate = row.querySelector(".plate").firstChild.textContent;
        image(row.dataset.read, cell.dataset.image).then(function (url) {
          cell.innerHTML = "<img class=\"thumb\" alt=\"" + esc(cell.dataset.image + " image of " + plate) + "\" src=\"" + esc(url) + "\">";
        }, function (error) {
          cell.innerHTML = "<span class=\"error\">" + esc(error.message) + "</span>";
        });
      });
    });
    cells.forEach(function (cell) { observer.observe(cell); });
  }

  // ---- opening a read ----
  const dialog = el("read-dialog");
  let opener = null;

  el("results-table").addEventListener("click", function (event) {
    const button = event.target.closest("button.open-read");
    if (button) openRead(button.closest("tr").dataset.read, button);
  });
  el("read-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () {
    el("read-images").innerHTML = "";
    if (opener) opener.focus();
  });

  async function openRead(readId, button) {
    opener = button;
    el("read-title").textContent = "Read";
    el("read-error").textContent = "";
    el("read-details").innerHTML = "";
    el("read-images").innerHTML = "";
    dialog.showModal();
    const result = await window.alpr.api("POST", "/api/v1/reads/" + encodeURIComponent(readId) + "/view", { purpose: purpose });
    if (!result.ok) { el("read-error").textContent = result.error; return; }
    const r = result.data;
    el("read-title").textContent = "Read " + r.plate;
    const rows = [["Plate", r.plate], ["Region", r.region], ["Time", when(r.captured_at)],
      ["Camera", cameraLabel(r.camera_id)], ["Confidence", Math.round(r.confidence * 100) + "%"],
      ["Location", r.lat == null ? "no position" : r.lat.toFixed(6) + ", " + r.lon.toFixed(6)],
      ["Heading", r.heading], ["Vehicle", [r.vehicle_color, r.vehicle_make, r.vehicle_model].filter(Boolean).join(" ")],
      ["Read id", r.id]];
    el("read-details").innerHTML = rows.filter(function (row) { return row[1] != null && row[1] !== ""; })
      .map(function (row) { return "<dt>" + esc(row[0]) + "</dt><dd>" + esc(row[1]) + "</dd>"; }).join("");
    const kinds = [];
    if (r.has_plate_image) kinds.push("plate");
    if (r.has_vehicle_image) kinds.push("vehicle");
    if (!kinds.length) el("read-images").innerHTML = "<p class=\"hint\">This read has no images.</p>";
    for (const kind of kinds) {
      try {
        const url = await image(r.id, kind);
        el("read-images").insertAdjacentHTML("beforeend", "<figure><img alt=\"" + esc(kind + " image of " + r.plate) + "\" src=\"" + esc(url) + "\"><figcaption>" + esc(kind === "plate" ? "Plate" : "Vehicle") + " image</figcaption></figure>");
      } catch (error) {
        el("read-images").insertAdjacentHTML("beforeend", "<p class=\"error\">" + esc(error.message) + "</p>");
      }
    }
  }
})();
