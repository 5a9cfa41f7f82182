/* The complaint form's improvements (the form works without them):
   - the map (Leaflet, vendored): drawn on the commune's outline; a tap, a drag of the pin, "Use my location" or
     "Put the pin at the centre of the map" fills the hidden lat/lon inputs and says so; a place outside the outline
     is refused here already (the server checks it again);
   - after each pin, the event "place-changed" on <body> lets htmx fetch the reports already filed nearby;
   - a suggested category, once tapped, is chosen in the list (htmx then fetches its questions);
   - "Follow-up": the part of the choice not taken is hidden.
   Texts come from data-* attributes of the page, in its language. No inline style: sizes are in filing.css. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  // --- follow-up choice --------------------------------------------------------------------------------------------

  function refreshFollow() {
    var chosen = document.querySelector('input[name="follow"]:checked');
    document.querySelectorAll("[data-follow-part]").forEach(function (part) {
      part.hidden = chosen ? part.getAttribute("data-follow-part") !== chosen.value : false;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "follow") refreshFollow();
  });
  document.addEventListener("htmx:afterSwap", refreshFollow);

  // --- suggested categories ----------------------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.suggestion") : null;
    var select = byId("id_category");
    if (!button || !select) return;
    var value = button.getAttribute("data-category");
    if (!select.querySelector('option[value="' + value + '"]')) return;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    document.querySelectorAll("button.suggestion").forEach(function (other) {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
  });

  // --- the place -------------------------------------------------------------------------------------------------

  function inRing(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function contains(geometry, lat, lon) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some(function (polygon) {
      return polygon.length && inRing(lat, lon, polygon[0]) &&
        !polygon.slice(1).some(function (hole) { return inRing(lat, lon, hole); });
    });
  }

  function readOutline() {
    var element = byId("commune-outline");
    if (!element) return null;
    try {
      var geometry = JSON.parse(element.textContent);
      return geometry && (geometry.type === "Polygon" || geometry.type === "MultiPolygon") ? geometry : null;
    } catch (error) {
      return null;
    }
  }

  function startMap() {
    var box = document.querySelector("[data-place-map]");
    var latInput = byId("id_lat");
    var lonInput = byId("id_lon");
    var sourceInput = byId("id_location_source");
    if (!box || !latInput || !lonInput || !window.L) return;
    var L = window.L;
    var status = box.querySelector("[data-pin-status]");
    var outline = readOutline();
    var marker = null;

    function say(key) {
      if (status) status.textContent = status.getAttribute("data-" + key) || "";
    }

    box.hidden = false;
    var centreLat = parseFloat(box.getAttribute("data-lat"));
    var centreLon = parseFloat(box.getAttribute("data-lon"));
    var hasCentre = isFinite(centreLat) && isFinite(centreLon);
    var map = L.map("place-map", {
      center: hasCentre ? [centreLat, centreLon] : [31.8, -7.1],
      zoom: hasCentre ? (parseInt(box.getAttribute("data-zoom"), 10) || 13) : 5,
    });
    var tiles = box.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
    }
    if (outline) {
      var brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#0b5d3b";
      var layer = L.geoJSON(outline, {
        interactive: false, style: { color: brand, weight: 3, fillColor: brand, fillOpacity: 0.04 },
      }).addTo(map);
      if (!hasCentre) map.fitBounds(layer.getBounds());
    }

    function put(lat, lon) {
      if (marker) {
        marker.setLatLng([lat, lon]);
        return;
      }
      marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var point = marker.getLatLng();
        if (!setPin(point.lat, point.lng, "pin")) {
          marker.setLatLng([parseFloat(latInput.value), parseFloat(lonInput.value)]);
        }
      });
    }

    function setPin(lat, lon, source) {
      if (outline && !contains(outline, lat, lon)) {
        say("outside");
        return false;
      }
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      if (sourceInput) sourceInput.value = source;
      put(lat, lon);
      say(source === "gps" ? "located" : "pinned");
      document.body.dispatchEvent(new CustomEvent("place-changed", { bubbles: true }));
      return true;
    }

    map.on("click", function (event) { setPin(event.latlng.lat, event.latlng.lng, "pin"); });

    // The form came back (an error, a step): the pin is where it was.
    var keptLat = parseFloat(latInput.value);
    var keptLon = parseFloat(lonInput.value);
    if (isFinite(keptLat) && isFinite(keptLon)) {
      put(keptLat, keptLon);
      map.setView([keptLat, keptLon], Math.max(map.getZoom(), 16));
      say("pinned");
    }

    var centre = box.querySelector("[data-pin-centre]");
    if (centre) {
      centre.addEventListener("click", function () {
        var point = map.getCenter();
        setPin(point.lat, point.lng, "pin");
      });
    }

    var locate = box.querySelector("[data-locate]");
    if (locate) {
      if (!navigator.geolocation) {
        locate.hidden = true;
      } else {
        locate.addEventListener("click", function () {
          say("locating");
          locate.disabled = true;
          navigator.geolocation.getCurrentPosition(function (position) {
            locate.disabled = false;
            var lat = position.coords.latitude;
            var lon = position.coords.longitude;
            if (setPin(lat, lon, "gps")) map.setView([lat, lon], Math.max(map.getZoom(), 17));
          }, function () {
            locate.disabled = false;
            say("locate-failed");
          }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
        });
      }
    }
  }

  function start() {
    refreshFollow();
    startMap();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
