// Base maps for the console's Leaflet maps, with no request to anyone but this server:
// the agency's own PMTiles file (ALPR_MAP_PMTILES, raster or vector, read with range
// requests), else its tile server (ALPR_MAP_TILE_URL), else the state and county outlines
// shipped with alpr. MapLibre GL draws the base map under Leaflet, so drawing, markers and
// results stay Leaflet layers. The map's element says which base it shows
// (data-basemap) and when it has drawn it (data-basemap-ready).
"use strict";
(function () {
  const VENDOR = "/static/vendor/";
  let outlines = null;

  function loadOutlines() {
    // One TopoJSON file holds the counties, the states and the nation (us-atlas).
    outlines = outlines || fetch("/static/maps/counties-10m.json", { credentials: "same-origin" })
      .then(function (answer) { return answer.json(); })
      .then(function (topology) {
        return {
          states: topojson.mesh(topology, topology.objects.states, function (a, b) { return a !== b; }),
          nation: topojson.mesh(topology, topology.objects.nation),
          counties: topojson.mesh(topology, topology.objects.counties, function (a, b) { return a !== b && (a.id / 1000 | 0) === (b.id / 1000 | 0); }),
        };
      });
    return outlines;
  }

  function outlineStyle(shapes) {
    return {
      version: 8,
      sources: {
        counties: { type: "geojson", data: shapes.counties },
        states: { type: "geojson", data: shapes.states },
        nation: { type: "geojson", data: shapes.nation },
      },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
        { id: "counties", type: "line", source: "counties", paint: { "line-color": "#b3aa9b", "line-width": 0.7 } },
        { id: "states", type: "line", source: "states", paint: { "line-color": "#5e5547", "line-width": 1.6 } },
        { id: "nation", type: "line", source: "nation", paint: { "line-color": "#3b342a", "line-width": 2 } },
      ],
    };
  }

  // A vector PMTiles file carries its layer names, not a style: draw every layer plainly
  // by geometry (areas filled, lines, points), which is enough to find one's way.
  function vectorStyle(url, layers) {
    const style = { version: 8, sources: { basemap: { type: "vector", url: url } },
      layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }] };
    layers.forEach(function (layer) {
      const id = layer.id;
      style.layers.push(
        { id: id + "-fill", type: "fill", source: "basemap", "source-layer": id, filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#dcd6c8", "fill-outline-color": "#b3aa9b" } },
        { id: id + "-line", type: "line", source: "basemap", "source-layer": id, filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#8c8374", "line-width": 1 } },
        { id: id + "-point", type: "circle", source: "basemap", "source-layer": id, filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 2, "circle-color": "#5e5547" } });
    });
    return style;
  }

  async function pmtilesStyle(path) {
    const protocol = new pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", protocol.tile);
    const archive = new pmtiles.PMTiles(location.origin + path);
    protocol.add(archive);
    const header = await archive.getHeader();
    const url = "pmtiles://" + archive.source.getKey();
    if (header.tileType === pmtiles.TileType.Mvt) {
      const metadata = await archive.getMetadata();
      return { kind: "pmtiles-vector", style: vectorStyle(url, metadata.vector_layers || []) };
    }
    return { kind: "pmtiles-raster", style: { version: 8,
      sources: { basemap: { type: "raster", url: url, tileSize: 256 } },
      layers: [{ id: "basemap", type: "raster", source: "basemap" }] } };
  }

  function attach(map, base) {
    const box = map.getContainer();
    box.dataset.basemap = base.kind;
    maplibregl.setWorkerUrl(VENDOR + "maplibre-gl/maplibre-gl-csp-worker.js");
    const layer = L.maplibreGL({ style: base.style, interactive: false, attributionControl: false });
    layer.addTo(map);
    const gl = layer.getMaplibreMap();
    gl.once("idle", function () { box.dataset.basemapReady = "true"; });
    if (base.attribution) map.attributionControl.addAttribution(base.attribution);
    return gl;
  }

  window.alpr = window.alpr || {};
  window.alpr.baseMap = async function (map, data) {
    const box = map.getContainer();
    if (data.basemap) {
      try { return attach(map, await pmtilesStyle(data.basemap)); }
      catch (error) { box.dataset.basemapError = String(error); }
    }
    if (data.tile_url) {
      const host = (data.tile_url.match(/^[a-z]+:\/\/([^/?#]+)/i) || ["", "this agency's tile server"])[1];
      L.tileLayer(data.tile_url, { maxZoom: 19, attribution: "Map tiles: " + window.alpr.escape(host) }).addTo(map);
      box.dataset.basemap = "tiles";
      box.dataset.basemapReady = "true";
      return null;
    }
    const shapes = await loadOutlines();
    return attach(map, { kind: "outlines", style: outlineStyle(shapes),
      attribution: "Outlines: US Census Bureau (us-atlas)" });
  };
})();
