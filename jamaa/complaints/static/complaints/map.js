/* Maps of the public side of complaints (Leaflet, vendored beside this file).

   - [data-report-map="reports"]: the public map of reports. It asks the data endpoint for what lies in the visible
     box: counts per area at low zoom, the reports themselves at high zoom (at most a few thousand, newest first).
     The filters are those of the page's form as it was loaded, so the map shows what the list below shows.
   - [data-report-map="one"]: the place of one report, on its page.

   The pages work without this script: the map blocks stay hidden and the list of reports, the address and the
   coordinates say the same. Markers carry the state in a symbol and in their title, never in colour alone.
   Content built from data goes in as text (textContent), never as HTML. No inline style attribute is written: the
   CSP allows none; Leaflet positions its elements through the style properties, which the CSP allows. */
(function () {
  "use strict";

  var configNode = document.getElementById("report-map-config");
  if (!configNode || typeof window.L === "undefined") return;
  var L = window.L;
  var config = JSON.parse(configNode.textContent);
  var pageDir = document.documentElement.getAttribute("dir") || "ltr";

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function knownState(state) {
    return Object.prototype.hasOwnProperty.call(config.states, state) ? state : "closed";
  }

  function baseMap(element, options) {
    var block = element.closest("[data-map-block]");
    if (block) block.hidden = false;
    element.hidden = false;
    var map = L.map(element, options || {});
    if (config.tiles) {
      L.tileLayer(config.tiles, {attribution: config.attribution, maxZoom: 19}).addTo(map);
    } else {
      element.classList.add("report-map--plain");
    }
    return map;
  }

  function pinIcon(state) {
    var value = knownState(state);
    var symbol = document.createElement("span");
    symbol.className = "report-pin report-pin--" + value;
    symbol.textContent = config.states[value].icon;
    return L.divIcon({className: "report-marker", html: symbol, iconSize: [28, 28], iconAnchor: [14, 14],
                      popupAnchor: [0, -14]});
  }

  function detailUrl(reference) {
    return config.detailUrl.replace(config.placeholder, encodeURIComponent(reference));
  }

  function popupFor(point) {
    var box = document.createElement("div");
    box.setAttribute("dir", pageDir);
    box.className = "report-popup";
    var title = document.createElement("strong");
    title.textContent = config.categories[point.category] || point.category;
    var state = document.createElement("p");
    var stateInfo = config.states[knownState(point.state)];
    state.textContent = stateInfo.icon + " " + stateInfo.label;
    var reference = document.createElement("bdi");
    reference.setAttribute("dir", "ltr");
    reference.textContent = point.ref;
    var link = document.createElement("a");
    link.href = detailUrl(point.ref);
    link.textContent = config.texts.open;
    var line = document.createElement("p");
    line.appendChild(reference);
    box.appendChild(title);
    box.appendChild(state);
    box.appendChild(line);
    box.appendChild(link);
    return box;
  }

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  function isoDaysAgo(days) {
    var day = new Date();
    day.setDate(day.getDate() - days);
    var month = String(day.getMonth() + 1).padStart(2, "0");
    return day.getFullYear() + "-" + month + "-" + String(day.getDate()).padStart(2, "0");
  }

  function pageFilters() {
    var form = document.getElementById("report-filters");
    var filters = {};
    if (!form) return filters;
    ["category", "state"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) filters[name] = field.value;
    });
    var period = form.elements.namedItem("period");
    if (period && /^\d+$/.test(period.value)) filters.since = isoDaysAgo(parseInt(period.value, 10));
    return filters;
  }

  function reportsMap(element) {
    var centre = config.centre;
    var map = baseMap(element, {minZoom: 3});
    if (centre) map.setView([centre[0], centre[1]], centre[2]);
    else map.setView([31.8, -7.1], 6);
    var layer = L.layerGroup().addTo(map);
    var status = document.querySelector("[data-map-status]");
    var filters = pageFilters();
    var controller = null;
    var timer = null;

    function say(text) {
      if (status) status.textContent = text;
    }

    function query() {
      var b = map.getBounds();
      var params = new URLSearchParams();
      params.set("bbox", [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                          clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
        .map(function (n) { return n.toFixed(5); }).join(","));
      params.set("zoom", String(Math.round(map.getZoom())));
      Object.keys(filters).forEach(function (key) { params.set(key, filters[key]); });
      return params.toString();
    }

    function drawClusters(data) {
      data.clusters.forEach(function (cluster) {
        var size = cluster.count < 10 ? "s" : cluster.count < 100 ? "m" : "l";
        var label = document.createElement("span");
        label.textContent = String(cluster.count);
        var pixels = size === "s" ? 32 : size === "m" ? 40 : 48;
        var marker = L.marker([cluster.lat, cluster.lon], {
          icon: L.divIcon({className: "report-cluster report-cluster--" + size, html: label,
                           iconSize: [pixels, pixels]}),
          title: format(config.texts.cluster, {count: cluster.count, open: cluster.open}),
          keyboard: true
        });
        marker.on("click", function () {
          map.setView([cluster.lat, cluster.lon], Math.min(map.getZoom() + 2, config.pointsFromZoom));
        });
        layer.addLayer(marker);
      });
      say(format(config.texts.count, {count: data.count}) + " " + config.texts.clusters);
    }

    function drawPoints(data) {
      data.points.forEach(function (point) {
        var stateInfo = config.states[knownState(point.state)];
        var name = config.categories[point.category] || point.category;
        var marker = L.marker([point.lat, point.lon], {
          icon: pinIcon(point.state), title: name + " · " + stateInfo.label + " · " + point.ref, keyboard: true
        });
        marker.bindPopup(function () { return popupFor(point); });
        layer.addLayer(marker);
      });
      var text = format(config.texts.count, {count: data.count});
      if (data.truncated) text += " " + format(config.texts.truncated, {count: data.count});
      say(text);
    }

    function load() {
      if (controller) controller.abort();
      controller = new AbortController();
      say(config.texts.loading);
      fetch(config.dataUrl + "?" + query(), {signal: controller.signal, credentials: "same-origin",
                                             headers: {Accept: "application/json"}})
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          layer.clearLayers();
          if (data.mode === "clusters") drawClusters(data);
          else drawPoints(data);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          say(config.texts.error);
        });
    }

    map.on("moveend", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 250);
    });
    load();
  }

  function oneMap(element) {
    var lat = parseFloat(element.getAttribute("data-lat"));
    var lon = parseFloat(element.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) return;
    var map = baseMap(element, {scrollWheelZoom: false});
    map.setView([lat, lon], 17);
    L.marker([lat, lon], {icon: pinIcon(element.getAttribute("data-state")),
                          title: element.getAttribute("data-label") || "", keyboard: false}).addTo(map);
  }

  document.querySelectorAll("[data-report-map]").forEach(function (element) {
    if (element.getAttribute("data-report-map") === "reports") reportsMap(element);
    else oneMap(element);
  });
})();
