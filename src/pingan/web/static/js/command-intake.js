/* Command center: the intake panel (接警). Opened with F2 or N; Tab follows the call: caller
   phone and name, address (standard-address search when the geocoder is there, a map click
   places the pin either way), nature with its suggested priority, summary. Before saving it
   shows open incidents of the same kind nearby (repeat calls) and the place's history. Saves
   with an Idempotency-Key, so a double click or a retry never makes two incidents. */
"use strict";
(function () {
  const { t, api, esc, fmtTime } = window.PA;
  const CMD = window.CMD;
  const form = document.getElementById("intake");
  const $ = (id) => document.getElementById(id);
  const f = { phone: $("in-phone"), name: $("in-name"), address: $("in-address"), nature: $("in-nature"), priority: $("in-priority"), summary: $("in-summary") };
  const suggest = $("in-suggest");
  const s = { key: null, pin: null, geocoder: form.dataset.geocoder === "1" ? null : false, hits: [], active: -1, saving: false, addressFromPin: false };
  const newKey = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  CMD.hooks.taxonomy = (tax) => {
    const byClass = {};
    for (const st of tax.subtypes) (byClass[st.class] = byClass[st.class] || []).push(st);
    for (const c of tax.classes) {
      const g = document.createElement("optgroup");
      g.label = PA.lang === "en" ? c.name_en : c.name_zh;
      for (const st of byClass[c.code] || []) {
        const o = document.createElement("option");
        o.value = st.code;
        o.textContent = `${PA.lang === "en" ? st.name_en : st.name_zh} · P${st.priority}`;
        g.appendChild(o);
      }
      f.nature.appendChild(g);
    }
  };

  if (s.geocoder === false) f.address.placeholder = t("dispatch.intake.address.nogeo");

  function open() {
    if (!form.hidden) { f.phone.focus(); return; }
    form.reset();
    s.key = newKey();
    s.pin = null;
    s.saving = false;
    s.addressFromPin = false;
    $("in-pin").textContent = t("dispatch.intake.pin.none");
    $("in-suggested").textContent = "";
    $("in-nearby").innerHTML = "";
    $("in-error").hidden = true;
    $("in-save").disabled = false;
    hideSuggest();
    CMD.map.getSource("pin").setData({ type: "FeatureCollection", features: [] });
    form.hidden = false;
    f.phone.focus();
  }
  function close() {
    form.hidden = true;
    CMD.map.getSource("pin").setData({ type: "FeatureCollection", features: [] });
    const next = document.getElementById("new-call");
    if (next) next.focus();
  }
  CMD.hooks.intake = open;
  CMD.hooks.intakeOpen = () => !form.hidden;
  CMD.hooks.escape = () => {
    if (!suggest.hidden) { hideSuggest(); return true; }
    if (!form.hidden) { close(); return true; }
    return CMD.hooks.closeDetail ? CMD.hooks.closeDetail() : false;
  };
  $("in-cancel").addEventListener("click", close);

  function setPin(lon, lat, fly) {
    s.pin = [lon, lat];
    $("in-pin").textContent = `${lon.toFixed(5)}, ${lat.toFixed(5)}`;
    CMD.map.getSource("pin").setData({ type: "FeatureCollection", features: [{ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} }] });
    if (fly) CMD.map.flyTo({ center: [lon, lat], zoom: Math.max(CMD.map.getZoom(), 15) });
    nearby();
  }

  /* ------------------------------------------------ address search (the geocoder's contract) */
  async function geocode(q) {
    if (s.geocoder === false) return null;
    const r = await fetch("/api/v1/geocode?" + new URLSearchParams({ q, limit: 6 }), { headers: { Accept: "application/json" } });
    if (r.status === 404 || r.status === 405) { s.geocoder = false; $("in-address").placeholder = t("dispatch.intake.address.nogeo"); return null; }
    if (!r.ok) return null;
    s.geocoder = true;
    return r.json();
  }
  function hideSuggest() { suggest.hidden = true; suggest.innerHTML = ""; s.hits = []; s.active = -1; f.address.setAttribute("aria-expanded", "false"); }
  function showSuggest() {
    if (!s.hits.length) { hideSuggest(); return; }
    suggest.innerHTML = s.hits.map((h, k) => `<li role="option" data-k="${k}" class="${k === s.active ? "on" : ""}" aria-selected="${k === s.active}">${esc(h.properties.label)} <span class="muted">${esc(CMD.named("dispatch.kind." + h.properties.kind, h.properties.kind || ""))}</span></li>`).join("");
    suggest.hidden = false;
    f.address.setAttribute("aria-expanded", "true");
  }
  function pick(k) {
    const h = s.hits[k];
    if (!h) return;
    f.address.value = h.properties.label;
    s.addressFromPin = false;
    hideSuggest();
    const c = h.geometry.coordinates;
    setPin(c[0], c[1], true);
  }
  let typingTimer = null, lastQ = "";
  f.address.addEventListener("input", () => {
    s.addressFromPin = false;
    clearTimeout(typingTimer);
    const q = f.address.value.trim();
    if (q.length < 2) { hideSuggest(); return; }
    typingTimer = setTimeout(async () => {
      lastQ = q;
      try {
        const fc = await geocode(q);
        if (!fc || q !== lastQ) return;
        s.hits = fc.features || [];
        s.active = s.hits.length ? 0 : -1;
        showSuggest();
      } catch (e) { hideSuggest(); }
    }, 150);
  });
  f.address.addEventListener("keydown", (e) => {
    if (suggest.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); s.active = Math.min(s.hits.length - 1, s.active + 1); showSuggest(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); s.active = Math.max(0, s.active - 1); showSuggest(); }
    else if (e.key === "Enter" || (e.key === "Tab" && s.active >= 0)) { e.preventDefault(); pick(s.active); if (e.key === "Tab") f.nature.focus(); }
  });
  suggest.addEventListener("mousedown", (e) => { const li = e.target.closest("li[data-k]"); if (li) { e.preventDefault(); pick(+li.dataset.k); } });
  f.address.addEventListener("blur", () => setTimeout(hideSuggest, 150));

  CMD.hooks.mapClick = async (e) => {
    if (form.hidden) return;
    setPin(e.lngLat.lng, e.lngLat.lat, false);
    if (f.address.value.trim() && !s.addressFromPin) return;
    if (s.geocoder === false) return;
    try {
      const r = await fetch("/api/v1/geocode/reverse?" + new URLSearchParams({ lon: e.lngLat.lng.toFixed(6), lat: e.lngLat.lat.toFixed(6) }), { headers: { Accept: "application/json" } });
      if (r.status === 404 || r.status === 405) { s.geocoder = false; return; }
      if (!r.ok) return;
      const body = await r.json();
      const feat = body.features ? body.features[0] : body;
      const label = feat && feat.properties && feat.properties.label;
      if (label) { f.address.value = label; s.addressFromPin = true; }
    } catch (err) { /* the pin is enough */ }
  };

  /* ------------------------------------------------ nature, suggested priority, nearby */
  f.nature.addEventListener("change", () => {
    const st = CMD.state.subtypes[f.nature.value];
    if (st) { f.priority.value = String(st.priority); $("in-suggested").textContent = `(${t("dispatch.intake.suggested")} P${st.priority})`; }
    nearby();
  });
  let nearbySeq = 0;
  async function nearby() {
    const box = $("in-nearby");
    if (!s.pin) { box.innerHTML = ""; return; }
    const seq = ++nearbySeq;
    const params = { lon: s.pin[0].toFixed(6), lat: s.pin[1].toFixed(6) };
    if (f.nature.value) params.subtype = f.nature.value;
    try {
      const r = await api("/api/v1/dispatch/nearby?" + new URLSearchParams(params));
      if (seq !== nearbySeq) return;
      const line = (i) => `<li data-id="${i.id}"><b>${esc(i.code)}</b> ${esc(CMD.label(i))} · ${esc(t("state." + i.state))} · ${esc(fmtTime(i.reported_at))} · ${i.distance_m} m</li>`;
      box.innerHTML = (r.repeats.length ? `<h4 class="warn">${esc(t("dispatch.intake.repeats"))}</h4><ul id="in-repeats">${r.repeats.map(line).join("")}</ul>` : "")
        + `<h4>${esc(t("dispatch.intake.history"))}: ${esc(t("dispatch.intake.history.count").replace("{n}", r.history.count))}</h4>`
        + (r.history.recent.length ? `<ul>${r.history.recent.map(line).join("")}</ul>` : "")
        + (r.disputes && r.disputes.length ? `<h4 class="warn">${esc(t("dispatch.intake.disputes").replace("{n}", r.disputes.length))}</h4><ul id="in-disputes">${r.disputes.slice(0, 3).map((d) => `<li>${esc(d.code)} · ${esc(CMD.named("casework.kind." + d.kind, d.kind))} · ${esc(fmtTime(d.registered_at))} · ${d.distance_m} m</li>`).join("")}</ul>` : "")
        + (r.premises && r.premises.length ? `<h4>${esc(t("dispatch.intake.premises").replace("{n}", r.premises.length))}</h4><ul id="in-premises">${r.premises.map((p) => `<li>${esc(PA.lang === "en" ? p.name_en || p.name : p.name)} · ${esc(CMD.named("pr.kind." + p.kind, p.kind))} · ${p.distance_m} m</li>`).join("")}</ul>` : "");
    } catch (e) { box.innerHTML = ""; }
  }

  /* ------------------------------------------------ save */
  function fail(msg) { const p = $("in-error"); p.hidden = false; p.textContent = msg; }
  async function save() {
    if (s.saving) return;
    if (!s.pin) { fail(t("dispatch.intake.need_location")); f.address.focus(); return; }
    if (!f.nature.value) { fail(t("dispatch.intake.need_nature")); f.nature.focus(); return; }
    const body = { subtype: f.nature.value, lon: s.pin[0], lat: s.pin[1], priority: +f.priority.value, summary: f.summary.value.trim() };
    if (f.address.value.trim()) body.address_text = f.address.value.trim();
    if (f.name.value.trim()) body.caller_name = f.name.value.trim();
    if (f.phone.value.trim()) body.caller_phone = f.phone.value.trim();
    s.saving = true;
    $("in-save").disabled = true;
    $("in-error").hidden = true;
    try {
      const inc = await api("/api/v1/incidents", { method: "POST", body, headers: { "Idempotency-Key": s.key } });
      form.hidden = true;
      CMD.map.getSource("pin").setData({ type: "FeatureCollection", features: [] });
      CMD.incidentChanged(inc);
      CMD.renderQueue();
      CMD.select(inc.id);
    } catch (e) {
      fail(t("dispatch.error") + ": " + e.message);
      $("in-save").disabled = false;
    } finally {
      s.saving = false;
    }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); save(); }
    else if (e.key === "Enter" && e.target.tagName === "INPUT") e.preventDefault();
  });
  form.addEventListener("click", (e) => { const li = e.target.closest("#in-nearby li[data-id]"); if (li) CMD.select(+li.dataset.id); });
})();
