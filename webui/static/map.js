/* The household page's map: a day's or a trip's legs, coloured by mode.
   Reads its data from the URL in the map element's data-track (no inline script: the
   CSP forbids it). Tiles come from data-tiles; when they cannot load (no internet) the
   track still draws on the plain background, with a scale. Each leg comes simplified at a
   few zoom levels; the finest level at or below the map's zoom is drawn. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L || !el.dataset.track) { return; }
  var styles = getComputedStyle(document.documentElement);
  function colour(mode) {
    return styles.getPropertyValue("--m-" + mode).trim() || "#616161";
  }
  var map = L.map(el, { zoomControl: true, attributionControl: true });
  L.control.scale({ imperial: false }).addTo(map);
  var tiles = L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution });
  var loaded = 0, failed = 0, warned = false;
  tiles.on("tileload", function () { loaded += 1; });
  tiles.on("tileerror", function () {
    failed += 1;
    if (!warned && loaded === 0 && failed >= 2) {
      warned = true;
      el.classList.add("offline");
      var note = document.createElement("p");
      note.className = "nomap";
      note.setAttribute("role", "status");
      note.textContent = el.dataset.offline;
      el.parentNode.insertBefore(note, el.nextSibling);
    }
  });
  tiles.addTo(map);
  var lines = [], legs = [];
  function level(leg, zoom) {
    var zs = Object.keys(leg.levels).map(Number).sort(function (a, b) { return a - b; });
    var pick = zs[0];
    zs.forEach(function (z) { if (z <= zoom) { pick = z; } });
    return leg.levels[String(pick)] || [];
  }
  function draw() {
    lines.forEach(function (line) { map.removeLayer(line); });
    lines = legs.map(function (leg) {
      return L.polyline(level(leg, map.getZoom()), {
        color: colour(leg.mode), weight: 5, opacity: 0.9
      }).addTo(map);
    });
  }
  fetch(el.dataset.track, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      legs = data.legs || [];
      if (data.bounds) {
        map.fitBounds(data.bounds, { padding: [20, 20], maxZoom: 16 });
      } else {
        map.setView([46.16, -1.15], 12);
      }
      (data.stays || []).forEach(function (s) {
        L.circleMarker(s, { radius: 6, color: "#1e6b48", fillColor: "#fff", fillOpacity: 1, weight: 3 }).addTo(map);
      });
      (data.points || []).forEach(function (p) {
        L.circleMarker([p.lat, p.lon], { radius: 4, color: "#1b2a22", weight: 1, fillOpacity: 0.8 })
          .bindTooltip(String(p.n)).addTo(map);
      });
      draw();
      map.on("zoomend", draw);
      el.dataset.ready = "1";       /* the browser tests wait for this */
    })
    .catch(function () { el.dataset.ready = "error"; });
})();
