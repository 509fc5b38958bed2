/* Public pages of pingan (report, track, complaints, notices, officer, rental): small, no
   library, no inline handlers. body[data-ready="1"] once the first view is drawn. */
(function () {
  "use strict";
  var body = document.body;
  var T = {};
  try { T = JSON.parse(document.getElementById("pub-i18n").textContent || "{}"); } catch (e) { T = {}; }
  function t(k, fmt) {
    var s = T[k] || k;
    if (fmt) { Object.keys(fmt).forEach(function (n) { s = s.split("{" + n + "}").join(fmt[n]); }); }
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function ready() { body.setAttribute("data-ready", "1"); }
  var lang = body.getAttribute("data-lang") || "zh-CN";
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw j; return j; });
    });
  }
  function errText(j) {
    if (j && j.error) {
      if (j.error.code === "too_many_requests") return t("pub.err.throttled");
      if (j.error.field === "pow") return t("pub.err.pow");
      return t("pub.err.invalid") + (lang === "en" ? ": " + j.error.message : "");
    }
    return t("pub.err.network");
  }

  /* ---- SHA-256 (FIPS 180-4) over bytes, for the proof of work ---- */
  var K = new Uint32Array([0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2]);
  var W = new Uint32Array(64);
  function sha256(bytes) {
    var n = bytes.length, total = ((n + 9 + 63) >> 6) << 6, m = new Uint8Array(total);
    m.set(bytes); m[n] = 0x80;
    var bits = n * 8; m[total - 4] = bits >>> 24; m[total - 3] = bits >>> 16; m[total - 2] = bits >>> 8; m[total - 1] = bits;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a, h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < total; off += 64) {
      for (var i = 0; i < 16; i++) W[i] = (m[off + 4 * i] << 24) | (m[off + 4 * i + 1] << 16) | (m[off + 4 * i + 2] << 8) | m[off + 4 * i + 3];
      for (i = 16; i < 64; i++) {
        var a15 = W[i - 15], a2 = W[i - 2];
        var s0 = ((a15 >>> 7) | (a15 << 25)) ^ ((a15 >>> 18) | (a15 << 14)) ^ (a15 >>> 3);
        var s1 = ((a2 >>> 17) | (a2 << 15)) ^ ((a2 >>> 19) | (a2 << 13)) ^ (a2 >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0 >>> 0, h1 >>> 0];
  }
  function zeroBits(w) {
    if (w[0] !== 0) return Math.clz32(w[0]);
    return 32 + Math.clz32(w[1]);
  }
  function ascii(s) { var b = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255; return b; }
  /* find counter with >= bits leading zero bits of sha256(challenge ":" counter), in slices */
  function solve(challenge, bits) {
    var prefix = challenge + ":";
    return new Promise(function (resolve) {
      var n = 0;
      function slice() {
        var end = n + 4000;
        for (; n < end; n++) {
          if (zeroBits(sha256(ascii(prefix + n))) >= bits) { resolve(String(n)); return; }
        }
        setTimeout(slice, 0);
      }
      slice();
    });
  }
  var challenge = null;
  function loadChallenge() {
    challenge = getJSON("/public/api/challenge").catch(function () { return null; });
    return challenge;
  }
  function proof() {
    return (challenge || loadChallenge()).then(function (c) {
      if (!c) throw { error: { code: "network" } };
      challenge = null;
      return solve(c.challenge, c.bits).then(function (counter) { return { challenge: c.challenge, counter: counter }; });
    });
  }
  function showError(msg) { var e = $("form-error"); e.textContent = msg; e.hidden = !msg; }
  function done(code) {
    $("done-code").textContent = code;
    $("done-track").setAttribute("href", "/track/" + code);
    $("done").hidden = false;
    var f = document.querySelector("form"); if (f) f.hidden = true;
    window.scrollTo(0, 0);
  }

  /* ---- report online ---- */
  function reportPage() {
    var form = $("report-form"), place = null, nearbyTimer = null;
    loadChallenge();
    var hints = {};
    try { hints = JSON.parse(form.getAttribute("data-hints") || "{}"); } catch (e) { hints = {}; }
    function category() { var c = form.querySelector("input[name=category]:checked"); return c ? c.value : ""; }
    form.addEventListener("change", function (ev) {
      if (ev.target.name === "category") { $("cat-hint").textContent = ev.target.parentNode.getAttribute("data-hint") || ""; checkNearby(); }
    });
    function setPlace(lon, lat, label) {
      place = { lon: lon, lat: lat, label: label || "" };
      $("place").textContent = t("pub.report.place_set") + (label || (lon.toFixed(5) + ", " + lat.toFixed(5)));
      checkNearby();
    }
    function checkNearby() {
      var cat = category();
      if (!cat || !place) return;
      clearTimeout(nearbyTimer);
      nearbyTimer = setTimeout(function () {
        getJSON("/public/api/nearby?category=" + encodeURIComponent(cat) + "&lon=" + place.lon + "&lat=" + place.lat)
          .then(function (rows) {
            var box = $("nearby"); box.textContent = "";
            if (!rows.length) { box.hidden = true; return; }
            box.appendChild(el("strong", t("pub.report.nearby", { n: rows.length })));
            var ul = el("ul");
            rows.forEach(function (r) {
              var when = new Date(r.reported_at);
              ul.appendChild(el("li", r.category + " · " + when.toLocaleString(lang) + " · " + t("pub.report.meters", { m: r.distance_m }) + " · " + t("pub.state." + r.state) + (r.address ? " · " + r.address : "")));
            });
            box.appendChild(ul);
            box.appendChild(el("p", t("pub.report.nearby_hint"), "hint"));
            box.hidden = false;
          }).catch(function () { /* advisory only */ });
      }, 250);
    }
    var q = $("addr-q"), results = $("addr-results"), timer = null;
    q.addEventListener("input", function () {
      clearTimeout(timer);
      var text = q.value.trim();
      if (text.length < 2) { results.textContent = ""; return; }
      timer = setTimeout(function () {
        getJSON("/public/api/geocode?q=" + encodeURIComponent(text)).then(function (rows) {
          results.textContent = "";
          if (!rows.length) { results.appendChild(el("li", t("pub.report.no_match"), "muted")); return; }
          rows.forEach(function (r) {
            var li = el("li", r.label); li.tabIndex = 0; li.setAttribute("role", "option");
            function pick() { setPlace(r.lon, r.lat, r.label); q.value = r.label; results.textContent = ""; }
            li.addEventListener("click", pick);
            li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); pick(); } });
            results.appendChild(li);
          });
        }).catch(function () { results.textContent = ""; });
      }, 300);
    });
    $("use-location").addEventListener("click", function () {
      if (!navigator.geolocation) { showError(t("pub.err.no_location")); return; }
      $("place").textContent = t("pub.report.locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lon = pos.coords.longitude, lat = pos.coords.latitude;
        getJSON("/public/api/reverse?lon=" + lon + "&lat=" + lat).then(function (r) {
          setPlace(lon, lat, r.label ? t("pub.report.near", { label: r.label }) : "");
        }).catch(function () { setPlace(lon, lat, ""); });
      }, function () { $("place").textContent = t("pub.err.no_location"); }, { enableHighAccuracy: true, timeout: 15000 });
    });
    $("pick-map").addEventListener("click", function () { mapPin($("map-box"), setPlace); });
    $("photos").addEventListener("change", function () {
      var files = Array.prototype.slice.call($("photos").files || []);
      var bad = files.filter(function (f) { return f.size > 5 * 1024 * 1024 || !/^image\/(jpeg|png|webp)$/.test(f.type); });
      var info = $("photo-info");
      if (files.length > 5) info.textContent = t("pub.err.too_many_photos");
      else if (bad.length) info.textContent = t("pub.err.bad_photo");
      else info.textContent = t("pub.report.photos_chosen", { n: files.length });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      showError("");
      var cat = category(), desc = $("description").value.trim(), phone = $("phone").value.trim();
      var files = Array.prototype.slice.call($("photos").files || []);
      if (!cat) return showError(t("pub.err.category"));
      if (!place) return showError(t("pub.err.place"));
      if (desc.length < 5) return showError(t("pub.err.description"));
      if (files.length > 5) return showError(t("pub.err.too_many_photos"));
      if (phone && !/^1[3-9][0-9]{9}$/.test(phone)) return showError(t("pub.err.phone"));
      if (phone && !$("consent").checked) return showError(t("pub.err.consent"));
      var btn = $("submit"); btn.disabled = true; btn.textContent = t("pub.report.working");
      proof().then(function (p) {
        var fd = new FormData();
        fd.append("category", cat); fd.append("description", desc);
        fd.append("lon", String(place.lon)); fd.append("lat", String(place.lat));
        if (place.label) fd.append("address_text", place.label.slice(0, 300));
        if (phone) { fd.append("phone", phone); fd.append("consent", $("consent").checked ? "true" : "false"); }
        fd.append("pow_challenge", p.challenge); fd.append("pow_counter", p.counter);
        files.forEach(function (f) { fd.append("photos", f, f.name); });
        return fetch("/public/api/reports", { method: "POST", body: fd, credentials: "same-origin" })
          .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw j; return j; }); });
      }).then(function (j) { done(j.code); }).catch(function (j) {
        showError(errText(j)); loadChallenge();
      }).then(function () { btn.disabled = false; btn.textContent = t("pub.report.submit"); });
    });
    ready();
  }

  /* ---- the map pin: the communities' outlines as SVG; a tap zooms in, a second tap pins ---- */
  var SVGNS = "http://www.w3.org/2000/svg";
  function mapPin(box, onPick) {
    box.hidden = false;
    if (box.getAttribute("data-drawn")) return;
    box.setAttribute("data-drawn", "1");
    box.textContent = t("pub.report.loading_map");
    getJSON("/public/api/areas").then(function (fc) {
      var b = fc.bbox, kx = Math.cos((b[1] + b[3]) / 2 * Math.PI / 180);
      function x(lon) { return (lon - b[0]) * kx * 1000; }
      function y(lat) { return (b[3] - lat) * 1000; }
      var svg = document.createElementNS(SVGNS, "svg");
      var full = [0, 0, x(b[2]), y(b[1])];
      svg.setAttribute("viewBox", full.join(" "));
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", t("pub.report.pick_map"));
      fc.features.forEach(function (f) {
        var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
        var d = "";
        polys.forEach(function (poly) {
          poly.forEach(function (ring) {
            ring.forEach(function (pt, i) { d += (i ? "L" : "M") + x(pt[0]).toFixed(2) + " " + y(pt[1]).toFixed(2); });
            d += "Z";
          });
        });
        var p = document.createElementNS(SVGNS, "path");
        p.setAttribute("d", d);
        var title = document.createElementNS(SVGNS, "title"); title.textContent = f.properties.name;
        p.appendChild(title);
        svg.appendChild(p);
      });
      var pin = document.createElementNS(SVGNS, "circle");
      pin.setAttribute("r", "0");
      svg.appendChild(pin);
      var zoomed = false;
      svg.addEventListener("click", function (ev) {
        var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
        var p = pt.matrixTransform(svg.getScreenCTM().inverse());
        var vb = svg.viewBox.baseVal;
        if (!zoomed) {
          var w = vb.width / 5, h = vb.height / 5;
          svg.setAttribute("viewBox", [p.x - w / 2, p.y - h / 2, w, h].join(" "));
          zoomed = true;
          return;
        }
        pin.setAttribute("cx", p.x); pin.setAttribute("cy", p.y); pin.setAttribute("r", String(vb.width / 60));
        var lon = b[0] + p.x / 1000 / kx, lat = b[3] - p.y / 1000;
        var label = ev.target.tagName === "path" ? ev.target.textContent : "";
        getJSON("/public/api/reverse?lon=" + lon + "&lat=" + lat).then(function (r) {
          onPick(lon, lat, r.label ? t("pub.report.near", { label: r.label }) : label);
        }).catch(function () { onPick(lon, lat, label); });
      });
      var reset = el("button", t("pub.report.map_reset"));
      reset.type = "button";
      reset.addEventListener("click", function () { svg.setAttribute("viewBox", full.join(" ")); zoomed = false; });
      box.textContent = "";
      box.appendChild(svg);
      box.appendChild(el("p", t("pub.report.map_hint"), "hint"));
      box.appendChild(reset);
    }).catch(function () { box.textContent = t("pub.err.network"); });
  }

  /* ---- complaints ---- */
  function complaintPage() {
    var form = $("complaint-form");
    loadChallenge();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      showError("");
      var desc = $("c-description").value.trim(), phone = $("c-phone").value.trim();
      if (desc.length < 10) return showError(t("pub.err.description10"));
      if (phone && !/^1[3-9][0-9]{9}$/.test(phone)) return showError(t("pub.err.phone"));
      if (phone && !$("c-consent").checked) return showError(t("pub.err.consent"));
      var btn = $("c-submit"); btn.disabled = true; btn.textContent = t("pub.report.working");
      proof().then(function (p) {
        var bodyJ = { category: $("c-category").value, description: desc, pow_challenge: p.challenge, pow_counter: p.counter };
        if ($("c-station").value) bodyJ.station_code = $("c-station").value;
        if ($("c-date").value) bodyJ.occurred_on = $("c-date").value;
        if ($("c-officer").value.trim()) bodyJ.officer_text = $("c-officer").value.trim();
        if (phone) { bodyJ.phone = phone; bodyJ.consent = $("c-consent").checked; }
        return fetch("/public/api/complaints", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(bodyJ) })
          .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw j; return j; }); });
      }).then(function (j) { done(j.code); }).catch(function (j) { showError(errText(j)); loadChallenge(); })
        .then(function () { btn.disabled = false; btn.textContent = t("pub.complaint.submit"); });
    });
    ready();
  }

  /* ---- a place by address search or the phone's location (notices, officer) ---- */
  function placePicker(onPick) {
    var q = $("addr-q"), results = $("addr-results"), timer = null;
    function pick(lon, lat, label) { $("place").textContent = t("pub.report.place_set") + label; onPick(lon, lat); }
    q.addEventListener("input", function () {
      clearTimeout(timer);
      var text = q.value.trim();
      if (text.length < 2) { results.textContent = ""; return; }
      timer = setTimeout(function () {
        getJSON("/public/api/geocode?q=" + encodeURIComponent(text)).then(function (rows) {
          results.textContent = "";
          if (!rows.length) { results.appendChild(el("li", t("pub.report.no_match"), "muted")); return; }
          rows.forEach(function (r) {
            var li = el("li", r.label); li.tabIndex = 0; li.setAttribute("role", "option");
            function go() { q.value = r.label; results.textContent = ""; pick(r.lon, r.lat, r.label); }
            li.addEventListener("click", go);
            li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); go(); } });
            results.appendChild(li);
          });
        }).catch(function () { results.textContent = ""; });
      }, 300);
    });
    $("use-location").addEventListener("click", function () {
      if (!navigator.geolocation) { $("place").textContent = t("pub.err.no_location"); return; }
      $("place").textContent = t("pub.report.locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        pick(pos.coords.longitude, pos.coords.latitude, t("pub.place.mine"));
      }, function () { $("place").textContent = t("pub.err.no_location"); }, { timeout: 15000 });
    });
  }

  /* ---- the public map of police stations, service posts and police rooms (SVG, on demand) ---- */
  function pointsMap(box, info) {
    var api = { here: null, svg: null, zoomTo: null };
    function draw(j) {
      var b = j.bbox, kx = Math.cos((b[1] + b[3]) / 2 * Math.PI / 180);
      function x(lon) { return (lon - b[0]) * kx * 1000; }
      function y(lat) { return (b[3] - lat) * 1000; }
      var svg = document.createElementNS(SVGNS, "svg"), full = [0, 0, x(b[2]), y(b[1])];
      svg.setAttribute("viewBox", full.join(" "));
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", t("pub.map.title"));
      var d = "";
      j.outlines.forEach(function (ring) {
        ring.forEach(function (pt, i) { d += (i ? "L" : "M") + x(pt[0]).toFixed(1) + " " + y(pt[1]).toFixed(1); });
        d += "Z";
      });
      var p = document.createElementNS(SVGNS, "path"); p.setAttribute("d", d); svg.appendChild(p);
      var dots = [];
      j.points.forEach(function (pt) {
        var c = document.createElementNS(SVGNS, "circle");
        c.setAttribute("cx", x(pt.lon).toFixed(1)); c.setAttribute("cy", y(pt.lat).toFixed(1));
        c.setAttribute("class", "k-" + pt.kind);
        var title = document.createElementNS(SVGNS, "title"); title.textContent = pt.name; c.appendChild(title);
        c.__pt = pt; dots.push(c); svg.appendChild(c);
      });
      var me = document.createElementNS(SVGNS, "circle"); me.setAttribute("class", "me"); me.setAttribute("r", "0"); svg.appendChild(me);
      function sizeDots() {
        var w = svg.viewBox.baseVal.width;
        dots.forEach(function (c) { c.setAttribute("r", String(w / (c.__pt.kind === "station" ? 45 : 70))); });
        if (api.here) me.setAttribute("r", String(w / 50));
      }
      function view(v) { svg.setAttribute("viewBox", v.join(" ")); sizeDots(); }
      api.zoomTo = function (lon, lat) {
        api.here = [lon, lat];
        me.setAttribute("cx", x(lon)); me.setAttribute("cy", y(lat));
        view([x(lon) - 20, y(lat) - 13, 40, 26]);
      };
      svg.addEventListener("click", function (ev) {
        var pt = ev.target.__pt;
        if (pt) {
          info.textContent = "";
          info.appendChild(el("strong", pt.name));
          info.appendChild(el("span", " · " + t("pub.kind." + pt.kind) + " · "));
          var a = el("a", pt.phone); a.href = "tel:" + pt.phone; info.appendChild(a);
          return;
        }
        var q = svg.createSVGPoint(); q.x = ev.clientX; q.y = ev.clientY;
        var at = q.matrixTransform(svg.getScreenCTM().inverse()), vb = svg.viewBox.baseVal;
        view([at.x - vb.width / 6, at.y - vb.height / 6, vb.width / 3, vb.height / 3]);
      });
      var reset = el("button", t("pub.map.reset")); reset.type = "button";
      reset.addEventListener("click", function () { view(full); });
      var legend = el("p", null, "legend");
      ["station", "post", "police_room"].forEach(function (k) {
        legend.appendChild(el("span", t("pub.kind." + k), "k-" + k));
      });
      box.textContent = "";
      box.appendChild(svg); box.appendChild(legend); box.appendChild(reset);
      api.svg = svg;
      sizeDots();
      if (api.here) api.zoomTo(api.here[0], api.here[1]);
    }
    api.open = function () {
      box.hidden = false;
      if (box.getAttribute("data-drawn")) return Promise.resolve();
      box.setAttribute("data-drawn", "1");
      box.textContent = t("pub.report.loading_map");
      return getJSON("/public/api/service-points").then(function (j) {
        if (!j.bbox) { box.textContent = t("pub.map.none"); return; }
        draw(j);
      }).catch(function () { box.textContent = t("pub.err.network"); box.removeAttribute("data-drawn"); });
    };
    api.place = function (lon, lat) { if (api.svg) api.zoomTo(lon, lat); else api.here = [lon, lat]; };
    return api;
  }

  function noticesPage() {
    var out = $("notices-out");
    var map = pointsMap($("pts-map"), $("pt-info"));
    $("show-map").addEventListener("click", function () { map.open(); });
    placePicker(function (lon, lat) {
      map.place(lon, lat);
      getJSON("/public/api/notices?lon=" + lon + "&lat=" + lat).then(function (j) {
        out.textContent = "";
        out.appendChild(el("h2", j.community ? t("pub.notices.of", { name: j.community }) : t("pub.notices.title")));
        var ul = el("ul", null, "list");
        if (!j.notices.length) ul.appendChild(el("li", t("pub.notices.none"), "muted"));
        j.notices.forEach(function (n) {
          var li = el("li"); li.appendChild(el("strong", n.title)); li.appendChild(el("p", n.body));
          li.appendChild(el("p", n.valid_from + " — " + n.valid_until, "hint")); ul.appendChild(li);
        });
        out.appendChild(ul);
        out.appendChild(el("h2", t("pub.notices.stations")));
        var st = el("ul", null, "list");
        j.stations.forEach(function (s) {
          var li = el("li"); li.appendChild(el("strong", s.name));
          li.appendChild(el("span", " · " + t("pub.kind." + s.kind) + " · " + t("pub.notices.km", { km: s.distance_km }) + " · "));
          var a = el("a", s.phone); a.href = "tel:" + s.phone; li.appendChild(a); st.appendChild(li);
        });
        out.appendChild(st);
      }).catch(function (j) { out.textContent = errText(j); });
    });
    if ("BarcodeDetector" in window) {
      /* star lookup by the sign's QR code: the phone's camera, decoded by the browser */
      var scan = $("stars-scan"), file = $("stars-file");
      scan.hidden = false;
      scan.addEventListener("click", function () { file.click(); });
      file.addEventListener("change", function () {
        var f = file.files && file.files[0];
        if (!f) return;
        createImageBitmap(f).then(function (img) {
          return new window.BarcodeDetector({ formats: ["qr_code"] }).detect(img);
        }).then(function (codes) {
          if (!codes.length) { $("stars-out").textContent = t("pub.stars.no_qr"); return; }
          $("stars-q").value = codes[0].rawValue;
          $("stars-form").requestSubmit();
        }).catch(function () { $("stars-out").textContent = t("pub.stars.no_qr"); });
      });
    }
    $("stars-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = $("stars-q").value.trim(), list = $("stars-out");
      if (q.length < 2) return;
      getJSON("/public/api/stars?q=" + encodeURIComponent(q)).then(function (rows) {
        list.textContent = "";
        if (!rows.length) list.appendChild(el("li", t("pub.stars.none"), "muted"));
        rows.forEach(function (r) {
          var li = el("li"); li.appendChild(el("strong", r.name));
          li.appendChild(el("p", "\u2605".repeat(r.stars) + "\u2606".repeat(5 - r.stars) + " · " + t("pub.stars.colour." + r.colour) + " · " + t("pub.stars.until", { d: r.valid_until }) + (r.status ? " · " + t("pub.stars.status." + r.status) : "")));
          list.appendChild(li);
        });
      }).catch(function (j) { list.textContent = errText(j); });
    });
    ready();
  }

  function officerPage() {
    var out = $("officer-out");
    placePicker(function (lon, lat) {
      getJSON("/public/api/officer?lon=" + lon + "&lat=" + lat).then(function (j) {
        out.textContent = "";
        var dl = el("dl");
        [["pub.officer.name", j.officer || t("pub.officer.none")], ["pub.officer.community", j.community || "—"],
         ["pub.officer.station", j.station || "—"], ["pub.officer.hours", j.office_hours || t("pub.officer.hours_default")]]
          .forEach(function (p) { dl.appendChild(el("dt", t(p[0]))); dl.appendChild(el("dd", p[1])); });
        dl.appendChild(el("dt", t("pub.officer.phone")));
        var dd = el("dd"), a = el("a", j.work_phone); a.href = "tel:" + j.work_phone; a.id = "officer-phone";
        dd.appendChild(a); dl.appendChild(dd);
        out.appendChild(dl);
        out.hidden = false;
      }).catch(function (j) { out.textContent = errText(j); out.hidden = false; });
    });
    ready();
  }

  var page = body.getAttribute("data-page");
  if (page === "report") reportPage();
  else if (page === "complaint") complaintPage();
  else if (page === "notices") noticesPage();
  else if (page === "officer") officerPage();
  else ready();
})();
