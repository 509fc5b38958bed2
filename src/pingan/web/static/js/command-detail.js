/* Command center: the incident detail — summary, address, masked caller with an audited reveal,
   incident actions, units sent with their state buttons, recommended units with one-click
   dispatch (and why each ranks where it does), the timeline and notes. */
"use strict";
(function () {
  const { t, api, esc, fmtTime } = window.PA;
  const CMD = window.CMD;
  const box = document.getElementById("detail");
  const UNIT_DRIVEN = ["dispatched", "en_route", "on_scene"];
  const view = { id: null, inc: null, rec: null, routes: new Map(), loading: 0 };

  const stateLabel = (s) => t("state." + s);
  const eta = (s) => s == null ? "—" : Math.round(s) + " s" + (s >= 60 ? ` (${Math.floor(s / 60)}′${String(Math.round(s % 60)).padStart(2, "0")}″)` : "");

  function eventLine(e) {
    const kind = CMD.named("dispatch.event." + e.kind, e.kind);
    let what = "";
    if (e.kind === "assignment") what = CMD.named("dispatch.assign.state." + e.to_state, e.to_state);
    else if (e.to_state) what = stateLabel(e.to_state);
    return `<li class="ev-${esc(e.kind)}"><b>${esc(fmtTime(e.at))}</b> ${esc(kind)}${what ? " · " + esc(what) : ""} <span class="muted">${esc(e.note || "")}</span></li>`;
  }

  // a reader (an analyst, a supervisor) sees the call, its units and the ranking, without the
  // buttons the API would refuse them
  const WRITE = PA.can("incident.dispatch");

  function assignmentRow(a) {
    const buttons = (WRITE ? a.allowed_transitions : []).map((to) => `<button type="button" class="small st-${to}" data-assign="${a.id}" data-to="${to}">${esc(t("dispatch.assign." + to))}</button>`).join(" ");
    return `<li class="assign a-${esc(a.state)}" data-assignment="${a.id}"><span><b>${esc(a.resource_code)}</b> ${esc(a.resource_name)} <span class="badge">${esc(t("dispatch.assign.state." + a.state))}</span>
      <span class="muted">${esc(t("dispatch.detail.eta"))} ${eta(a.eta_s)} · ${esc(a.dispatcher || "")}</span></span><span class="btns">${buttons}</span></li>`;
  }

  function recRow(u, k) {
    return `<li><span><b>${k}.</b> <b>${esc(u.code)}</b> ${esc(u.name || "")} · ${esc(CMD.named("coverage.mode." + u.mode, u.mode))} · ${esc(t("dispatch.detail.eta"))} ${eta(u.eta_s)}
      <div class="why muted">${esc(u.why || "")}</div></span>${WRITE ? `<button type="button" class="small dispatch" data-unit="${u.id}" data-route="${k - 1}">${esc(t("dispatch.detail.dispatch"))} <kbd>${k}</kbd></button>` : ""}</li>`;
  }

  function render(inc, timeline) {
    const open = CMD.OPEN.includes(inc.state);
    const actions = WRITE ? inc.allowed_transitions.filter((s) => !UNIT_DRIVEN.includes(s)) : [];
    const caller = inc.caller_name_masked || inc.caller_phone_masked
      ? `${esc(inc.caller_name_masked || "")} ${esc(inc.caller_phone_masked || "")} <button type="button" class="small secondary" id="reveal">${esc(t("dispatch.detail.reveal"))}</button>
         <span id="reveal-box" hidden><input id="reveal-reason" maxlength="500" placeholder="${esc(t("dispatch.detail.reveal.reason"))}"> <button type="button" class="small" id="reveal-go">${esc(t("dispatch.detail.reveal.go"))}</button></span>`
      : "—";
    box.innerHTML = `<header><h3>${esc(CMD.label(inc))} · ${esc(inc.code)} <span class="badge p${inc.priority}">P${inc.priority}</span> <span class="badge st-${esc(inc.state)}" id="detail-state">${esc(stateLabel(inc.state))}</span></h3>
        <button type="button" class="small secondary" id="detail-close" title="Esc">✕</button></header>
      <dl><dt>${esc(t("dispatch.detail.summary"))}</dt><dd>${esc(inc.summary || "—")}</dd>
      <dt>${esc(t("dispatch.detail.address"))}</dt><dd>${esc(inc.address_text || "—")} <span class="muted">${inc.lon.toFixed(5)}, ${inc.lat.toFixed(5)}</span></dd>
      <dt>${esc(t("incident.reported"))}</dt><dd>${esc(fmtTime(inc.reported_at))}${inc.repeat_count ? " · " + esc(t("incident.repeats")) + " " + inc.repeat_count : ""}</dd>
      <dt>${esc(t("dispatch.detail.caller"))}</dt><dd id="caller">${caller}</dd></dl>
      ${actions.length ? `<div class="actions"><span class="muted">${esc(t("dispatch.detail.actions"))}:</span> ${actions.map((s) => `<button type="button" class="small secondary" data-incident-to="${s}">${esc(CMD.named("dispatch.action." + s, s))}</button>`).join(" ")}</div>` : ""}
      <h4>${esc(t("dispatch.detail.units"))}</h4>
      <ol class="assignments" id="assignments">${inc.assignments.length ? inc.assignments.map(assignmentRow).join("") : `<li class="muted">${esc(t("dispatch.detail.none"))}</li>`}</ol>
      ${open && PA.can("unit.recommend") ? `<h4>${esc(t("dispatch.detail.recommend"))}</h4><ol class="recommend" id="recommend"><li class="muted">${esc(t("common.loading"))}</li></ol>` : ""}
      ${inc.repeat_of_id ? `<p>${esc(t("dispatch.detail.repeat_of"))} <a href="#" data-goto="${inc.repeat_of_id}">#${inc.repeat_of_id}</a></p>` : ""}
      ${inc.repeats && inc.repeats.length ? `<h4>${esc(t("dispatch.detail.repeats"))}</h4><ul class="links">${inc.repeats.map((r) => `<li><a href="#" data-goto="${r.id}">${esc(r.code)}</a> · ${esc(fmtTime(r.reported_at))} · ${r.distance_m} m</li>`).join("")}</ul>` : ""}
      <h4>${esc(t("dispatch.detail.disputes"))}</h4>${inc.disputes && inc.disputes.length ? `<ul class="links" id="disputes">${inc.disputes.map((d) => `<li>${esc(d.code)} · ${esc(CMD.named("casework.kind." + d.kind, d.kind))} · ${esc(CMD.named("casework.state." + d.state, d.state))} · ${esc(fmtTime(d.registered_at))} · ${d.distance_m} m</li>`).join("")}</ul>` : `<p class="muted small" id="disputes">${esc(t("dispatch.detail.disputes.none"))}</p>`}
      ${inc.cameras && inc.cameras.length ? `<h4>${esc(t("dispatch.detail.cameras"))}</h4><p class="cams">${inc.cameras.map((c) => `<span>${esc(c.code)} <span class="muted">${c.distance_m} m</span></span>`).join(" · ")}</p>` : ""}
      <h4>${esc(t("incident.timeline"))}</h4>
      <ol class="timeline" id="timeline">${timeline.map(eventLine).join("")}</ol>
      ${PA.can("incident.note") ? `<form id="note-form" class="note-form"><input id="note-text" maxlength="4000" placeholder="${esc(t("dispatch.detail.note.placeholder"))}"> <button type="submit" class="small">${esc(t("dispatch.detail.note.add"))}</button></form>` : ""}
      <p class="error" id="detail-error" hidden></p>`;
    drawRoutes();
  }

  function drawRoutes() {
    const feats = [];
    const inc = view.inc;
    if (inc) {
      for (const a of inc.assignments) {
        const g = a.route || view.routes.get(a.resource_id);  // kept with the assignment
        if (g && UNIT_DRIVEN.includes(a.state)) feats.push({ type: "Feature", geometry: g, properties: { kind: "assigned" } });
      }
      if (view.rec) for (const u of view.rec.units.slice(0, 3)) feats.push({ type: "Feature", geometry: u.route, properties: { kind: "candidate" } });
    }
    CMD.map.getSource("routes").setData({ type: "FeatureCollection", features: feats });
  }

  function showError(e) {
    const p = document.getElementById("detail-error");
    if (p) { p.hidden = false; p.textContent = t("dispatch.error") + ": " + e.message; }
  }

  async function recommend(id) {
    const ol = document.getElementById("recommend");
    if (!ol) return;
    // the unit board (same scope) already says whether any unit could be sent: with none
    // available, say so here rather than ask the server for a ranking it must refuse
    const free = [...CMD.state.units.values()].some((u) => u.status === "available" && u.lon != null && u.kind !== "drone_base");
    if (!free) {
      view.rec = null;
      ol.innerHTML = `<li class="muted" id="rec-none">${esc(t("dispatch.detail.no_units"))}</li>`;
      return;
    }
    try {
      const r = await api(`/api/v1/incidents/${id}/recommendations`, { method: "POST", body: { k: 5 } });
      if (view.id !== id) return;
      view.rec = r;
      for (const u of r.units) if (!view.routes.has(u.id)) view.routes.set(u.id, u.route);
      const el = document.getElementById("recommend");
      if (!el) return;
      el.innerHTML = (r.basis === "straight_line" ? `<li class="muted basis" id="rec-basis">${esc(t("dispatch.detail.straight_line"))}</li>` : "") + r.units.map((u, k) => recRow(u, k + 1)).join("") + (r.busy ? `<li class="muted">${esc(t("dispatch.detail.busy").replace("{n}", r.busy))}</li>` : "");
      drawRoutes();
    } catch (e) {
      view.rec = null;
      const el = document.getElementById("recommend");
      if (el && view.id === id) el.innerHTML = `<li class="muted">${esc(e.message)}</li>`;
    }
  }

  /* one ranking request at a time, the changes of a moment folded into one: a dispatch brings
     the page's own reload, the incident's event and the unit's event, each of which would ask */
  const rec = { timer: null, busy: false, again: false };
  function recommendSoon(id, ms) {
    clearTimeout(rec.timer);
    rec.timer = setTimeout(async () => {
      if (rec.busy) { rec.again = true; return; }
      rec.busy = true;
      try { await recommend(id); } finally {
        rec.busy = false;
        if (rec.again) { rec.again = false; if (view.id) recommendSoon(view.id, 0); }
      }
    }, ms);
  }

  async function load(id, fly) {
    const seq = ++view.loading;
    const [inc, tl] = await Promise.all([api("/api/v1/incidents/" + id), api(`/api/v1/incidents/${id}/timeline`)]);
    if (seq !== view.loading || view.id !== id) return;
    const first = !view.inc || view.inc.id !== id;
    view.inc = inc;
    CMD.state.incidents.set(inc.id, Object.assign(CMD.state.incidents.get(inc.id) || {}, inc));
    const focusKey = document.activeElement && document.activeElement.dataset ? (document.activeElement.dataset.to ? "to:" + document.activeElement.dataset.assign + ":" + document.activeElement.dataset.to : null) : null;
    const noteDraft = document.getElementById("note-text") ? document.getElementById("note-text").value : "";
    const noteFocus = document.activeElement && document.activeElement.id === "note-text";
    render(inc, tl);
    if (!first && noteDraft) document.getElementById("note-text").value = noteDraft;
    if (noteFocus) document.getElementById("note-text").focus();
    else if (focusKey) { const [, a] = focusKey.split(":"); const b = box.querySelector(`button[data-assign="${a}"]`); if (b) b.focus(); }
    if (first && fly) CMD.map.easeTo({ center: [inc.lon, inc.lat], zoom: Math.max(CMD.map.getZoom(), 15), duration: 500 });
    if (CMD.OPEN.includes(inc.state)) recommendSoon(id, first ? 0 : 120);
    box.dataset.loaded = String(id);
  }

  CMD.hooks.open = (id) => {
    view.id = id;
    view.rec = null;
    box.hidden = false;
    load(id, true).catch(showError);
  };
  let again = null;
  CMD.hooks.selectedChanged = () => { clearTimeout(again); again = setTimeout(() => view.id && load(view.id, false).catch(showError), 60); };
  CMD.hooks.unitsChanged = () => {
    if (!view.id || !view.inc || !CMD.OPEN.includes(view.inc.state)) return;
    recommendSoon(view.id, 120);
  };
  function close() {
    view.id = null; view.inc = null; view.rec = null;
    box.hidden = true;
    CMD.state.selected = null;
    document.querySelectorAll("#queue li.sel").forEach((li) => li.classList.remove("sel"));
    CMD.map.getSource("routes").setData({ type: "FeatureCollection", features: [] });
    CMD.drawIncidents();
  }
  CMD.hooks.closeDetail = () => { if (box.hidden) return false; close(); return true; };

  async function dispatch(unitId) {
    const id = view.id;
    const btn = box.querySelector(`button[data-unit="${unitId}"]`);
    if (btn) btn.disabled = true;
    try {
      await api(`/api/v1/incidents/${id}/assignments`, { method: "POST", body: { resource_id: unitId } });
      CMD.mine.add(id);
      // the queue shows it at once (the stream confirms it a moment later)
      const queued = CMD.state.incidents.get(id);
      if (queued && queued.state === "received") { queued.state = "dispatched"; CMD.renderQueue(); CMD.drawIncidents(); }
      await load(id, false);
      const next = box.querySelector(`#assignments button[data-to]`);
      if (next) next.focus();
    } catch (e) { showError(e); if (btn) btn.disabled = false; }
  }
  CMD.hooks.dispatchNth = (k) => {
    if (!WRITE || !view.rec || !view.rec.units[k - 1] || box.hidden) return;
    dispatch(view.rec.units[k - 1].id);
  };

  box.addEventListener("click", async (e) => {
    const link = e.target.closest("a[data-goto]");
    if (link) { e.preventDefault(); CMD.select(+link.dataset.goto); return; }
    const b = e.target.closest("button");
    if (!b) return;
    if (b.id === "detail-close") { close(); return; }
    if (b.dataset.unit) { dispatch(+b.dataset.unit); return; }
    if (b.dataset.assign) {
      b.disabled = true;
      try {
        await api(`/api/v1/assignments/${b.dataset.assign}/transitions`, { method: "POST", body: { to_state: b.dataset.to } });
        await load(view.id, false);
        const next = box.querySelector(`#assignments li[data-assignment="${b.dataset.assign}"] button[data-to]`);
        if (next) next.focus();
      } catch (err) { showError(err); b.disabled = false; }
      return;
    }
    if (b.dataset.incidentTo) {
      try { await api(`/api/v1/incidents/${view.id}/transitions`, { method: "POST", body: { to_state: b.dataset.incidentTo } }); await load(view.id, false); } catch (err) { showError(err); }
      return;
    }
    if (b.id === "reveal") { document.getElementById("reveal-box").hidden = false; document.getElementById("reveal-reason").focus(); return; }
    if (b.id === "reveal-go") {
      const reason = document.getElementById("reveal-reason").value.trim();
      if (!reason) { document.getElementById("reveal-reason").focus(); return; }
      try {
        const c = await api(`/api/v1/incidents/${view.id}/caller`, { method: "POST", body: { reason } });
        document.getElementById("caller").textContent = [c.caller_name, c.caller_phone].filter(Boolean).join(" ");
      } catch (err) { showError(err); }
    }
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.id === "reveal-reason") { e.preventDefault(); document.getElementById("reveal-go").click(); }
  });
  box.addEventListener("submit", async (e) => {
    if (e.target.id !== "note-form") return;
    e.preventDefault();
    const input = document.getElementById("note-text");
    const text = input.value.trim();
    if (!text) return;
    try {
      await api(`/api/v1/incidents/${view.id}/notes`, { method: "POST", body: { text } });
      input.value = "";
      await load(view.id, false);
      document.getElementById("note-text").focus();
    } catch (err) { showError(err); }
  });
})();
