/* The staff map of complaints: markers by state from the JSON endpoint (same filters as the page), the commune's
   outline, background tiles when configured. The page works without this script (the list shows the same
   complaints); text from the data is put in the page as text, never as HTML. */
(function () {
  "use strict";
  var el = document.getElementById("staff-map");
  var status = document.getElementById("staff-map-status");
  if (!el || !window.L) { return; }

  function say(text) { if (status) { status.textContent = text || ""; } }

  var map = L.map(el, { preferCanvas: true, scrollWheelZoom: true });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  var zoom = parseInt(el.dataset.zoom, 10) || 12;
  if (!isNaN(lat) && !isNaN(lon)) { map.setView([lat, lon], zoom); } else { map.setView([31.8, -7.1], 5); }

  var outlineNode = document.getElementById("staff-map-outline");
  if (outlineNode) {
    try {
      var outline = L.geoJSON(JSON.parse(outlineNode.textContent), {
        interactive: false, style: { color: "#0b5d3b", weight: 2, fill: false }
      }).addTo(map);
      if (isNaN(lat)) { map.fitBounds(outline.getBounds()); }
    } catch (e) { /* a broken outline only loses the outline */ }
  }

  function line(parent, text, tag) {
    var node = document.createElement(tag || "p");
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  function popup(point) {
    var box = document.createElement("div");
    box.className = "staff-map__popup";
    var title = document.createElement("p");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = el.dataset.openLabel + " " + point.ref;
    link.dir = "ltr";
    title.appendChild(link);
    box.appendChild(title);
    if (point.category) { line(box, point.category); }
    line(box, point.stateLabel);
    if (point.address) { line(box, point.address).dir = "auto"; }
    return box;
  }

  say(el.dataset.loading);
  fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (data) {
      var layer = L.featureGroup();
      data.points.forEach(function (point) {
        L.circleMarker([point.lat, point.lon], {
          radius: 7, color: "#1f2933", weight: 1, fillColor: point.colour, fillOpacity: 0.9
        }).bindPopup(popup(point)).addTo(layer);
      });
      layer.addTo(map);
      if (data.points.length) { map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 17 }); }
      say(data.message);
    })
    .catch(function () { say(el.dataset.error); });
})();
