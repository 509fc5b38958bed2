/* The field app (/m/): today's duties, one-tap actions that work offline (FQ, queue.js), the
 * on-duty switch that shares the unit's position, notifications while open. Drawn first from
 * the last synced copy in IndexedDB (so it opens with no network), then refreshed. */
"use strict";
(function () {
  const i18n = JSON.parse(document.getElementById("i18n").textContent || "{}");
  const t = (k) => i18n[k] || k;
  const lang = document.documentElement.lang || "zh-CN";
  const role = document.body.dataset.role;
  const can = ((s) => (a) => s.has(a))(new Set((document.body.dataset.can || "").split(" ").filter(Boolean)));
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (iso) => iso ? new Date(iso).toLocaleString(lang, { hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" }) : "";
  const today = () => new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
  const $ = (id) => document.getElementById(id);
  const view = $("fa-view");
  const VOLUNTEER = role === "volunteer";
  const LEDGER_KINDS = ["visit", "mediation", "help", "lost_found", "certificate", "school_talk", "other"];
  const DISPUTE_KINDS = ["neighbourhood", "family", "property_landlord", "labour_wages", "commercial", "other"];

  const state = { tab: VOLUNTEER ? "shifts" : "home", data: {}, outbox: [], fix: null, me: null, form: null };

  // ------------------------------------------------------------------ reads (online, else the last copy)
  const READS = VOLUNTEER ? { shifts: "/api/v1/volunteers/shifts?mine=1" } : {
    me: "/api/v1/field/me",
    to_sign: "/api/v1/instructions/queue?box=to_sign&limit=30",
    to_do: "/api/v1/instructions/queue?box=to_do&limit=30",
    tasks: () => `/api/v1/checklists/tasks?mine=true&day=${today()}&limit=100`,
    posts: can("post.checkin") ? "/api/v1/school-posts" : null,
    incidents: can("incident.read") ? "/api/v1/incidents?limit=20" : null,
    notices: "/api/v1/instructions/notices?unread_only=true&limit=20",
    patrols: "/api/v1/field/patrols",
    due: can("evaluation.inspect") ? "/api/v1/inspections/due?limit=50" : null,
    cells: "/api/v1/ogc/collections/grid-cells/items?limit=200",
    taxonomy: "/api/v1/taxonomy",
  };
  // an incident type's name in the page's language (the code until the taxonomy is kept)
  const typeName = (code) => {
    const tx = state.data.taxonomy;
    const s = tx && (tx.subtypes || []).find((x) => x.code === code);
    return s ? (lang === "en" ? s.name_en : s.name_zh) : code;
  };

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { toast(t("field.signin_again"), true); throw new Error("401"); }
    if (!r.ok) throw new Error(String(r.status));
    if (r.headers.get("X-Pingan-Offline")) throw new Error("offline");  // the worker: no network
    return r.json();
  }

  async function loadSnapshots() {
    for (const name of Object.keys(READS)) {
      const d = await FQ.getSnap(name);
      if (d) state.data[name] = d;
    }
    state.data.roads = await FQ.getSnap("roads");
    state.syncedAt = await FQ.getSnap("_at");
  }

  async function refresh() {
    if (!navigator.onLine) return;
    const jobs = Object.entries(READS).filter(([, u]) => u).map(async ([name, u]) => {
      try {
        const d = await getJSON(typeof u === "function" ? u() : u);
        state.data[name] = d;
        await FQ.saveSnap(name, d);
      } catch (e) { /* the last copy stays */ }
    });
    await Promise.all(jobs);
    await keepMap();
    state.syncedAt = new Date().toISOString();
    await FQ.saveSnap("_at", state.syncedAt);
    if (state.form) drawTop(); else draw();  // a form being filled in is never redrawn
  }

  /* The map's roads (when the server has a road network) and its library, fetched while the
   * network is there so that the map opens offline (the worker keeps the library). */
  async function keepMap() {
    if (VOLUNTEER) return;
    const box = window.FieldMap && FieldMap.bounds(state.data.cells);
    if (box && document.body.dataset.roads === "1") {
      try {
        const d = await getJSON(`/api/v1/map/roads?bbox=${box.map((v) => v.toFixed(5)).join(",")}&zoom=15`);
        state.data.roads = d;
        await FQ.saveSnap("roads", d);
      } catch (e) { /* the last copy stays */ }
    }
    try {
      await Promise.all(["/static/vendor/maplibre-gl.js", "/static/vendor/maplibre-gl.css"].map((u) => fetch(u, { credentials: "same-origin" })));
      document.body.dataset.mapKept = "1";
    } catch (e) { /* offline */ }
  }

  // ------------------------------------------------------------------ the queue
  const pendingFor = (ref) => state.outbox.filter((r) => r.ref === ref && r.state !== "done");
  async function queue(item) {
    // the time the officer acted: the one the body sends, if it sends one
    const at = (item.body && (item.body.at || item.body.registered_at || item.body.inspected_at)) || new Date().toISOString();
    await FQ.add(Object.assign({ at }, item));
    toast(navigator.onLine ? t("field.sending") : t("field.saved_offline"));
  }
  const where = () => state.fix ? { lon: +state.fix.lon.toFixed(6), lat: +state.fix.lat.toFixed(6) } : null;

  // ------------------------------------------------------------------ drawing
  function tabs() {
    const list = VOLUNTEER ? ["shifts", "outbox"] : ["home", "map", "ledger", "dispute", "outbox"];
    $("fa-tabs").innerHTML = list.map((k) => `<button type="button" data-tab="${k}" class="${state.tab === k ? "on" : ""}">${esc(t("field.tab." + k))}</button>`).join("");
  }

  function card(title, body, id) {
    return `<section class="fa-card" id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
  }

  function items(list, row, empty) {
    if (!list || !list.length) return `<p class="fa-empty">${esc(t(empty || "field.none"))}</p>`;
    return `<ul class="fa-list">${list.map(row).join("")}</ul>`;
  }

  function pendingMark(ref) {
    const p = pendingFor(ref);
    if (!p.length) return "";
    const failed = p.find((r) => r.state === "failed");
    return failed ? `<span class="fa-tag bad">${esc(t("field.failed"))}</span>` : `<span class="fa-tag wait">${esc(t("field.pending"))}</span>`;
  }

  function drawHome() {
    const d = state.data;
    const sign = (d.to_sign && d.to_sign.items) || [];
    const todo = (d.to_do && d.to_do.items) || [];
    const tasks = ((d.tasks && d.tasks.items) || []).filter((x) => x.state === "open" || x.state === "pending" || !x.done_at);
    const name = (o) => (lang === "en" ? o.name_en || o.name_zh : o.name_zh) || "";
    let html = "";
    html += card(t("field.to_sign"), items(sign, (q) => {
      const ref = "rec:" + q.recipient.id;
      const busy = pendingFor(ref).length;
      return `<li data-rec="${q.recipient.id}"><div class="fa-li-main"><strong>${esc(q.title)}</strong>
        <span class="fa-sub">${esc(q.code)} · ${esc(t("field.sign_by"))} ${esc(fmt(q.recipient.sign_by))}</span>${pendingMark(ref)}</div>
        ${busy ? "" : `<button type="button" class="fa-big" data-act="sign" data-ins="${q.instruction_id}" data-rec="${q.recipient.id}">${esc(t("field.sign"))}</button>`}</li>`;
    }, "field.none_to_sign"), "fa-sign");
    html += card(t("field.to_do"), items(todo, (q) => {
      const ref = "rec:" + q.recipient.id;
      return `<li data-rec="${q.recipient.id}"><div class="fa-li-main"><strong>${esc(q.title)}</strong>
        <span class="fa-sub">${esc(q.code)} · ${esc(t("field.complete_by"))} ${esc(fmt(q.recipient.complete_by))}</span>${pendingMark(ref)}</div>
        <button type="button" class="fa-big" data-act="report-form" data-ins="${q.instruction_id}" data-rec="${q.recipient.id}" data-state="${esc(q.recipient.state)}" data-title="${esc(q.title)}">${esc(t("field.report"))}</button></li>`;
    }, "field.none_to_do"), "fa-todo");
    html += card(t("field.tasks"), items(tasks, (x) => {
      const ref = "task:" + x.id;
      const busy = pendingFor(ref).length;
      return `<li><div class="fa-li-main"><strong>${esc(name(x) || x.slot)}</strong><span class="fa-sub">${esc(t("field.due"))} ${esc(fmt(x.due_at))}</span>${pendingMark(ref)}</div>
        ${busy ? "" : `<button type="button" class="fa-big" data-act="task" data-task="${x.id}">${esc(t("field.done"))}</button>`}</li>`;
    }, "field.none_tasks"), "fa-tasks");
    if (READS.posts) {
      html += card(t("field.posts"), items(d.posts || [], (p) => {
        const ref = "post:" + p.id + ":" + today();
        return `<li><div class="fa-li-main"><strong>${esc(p.name)}</strong><span class="fa-sub">${esc(p.windows)}</span>${pendingMark(ref)}</div>
          <button type="button" class="fa-big" data-act="post" data-post="${p.id}">${esc(t("field.checkin"))}</button></li>`;
      }, "field.none_posts"), "fa-posts");
    }
    html += drawPatrols(d.patrols);
    if (READS.due) html += drawDue(d.due);
    if (READS.incidents) {
      let inc = ((d.incidents && d.incidents.items) || []).filter((i) => i.state !== "closed");
      if (state.fix) inc = inc.map((i) => Object.assign({ dist: dist(state.fix, i) }, i)).sort((a, b) => a.dist - b.dist);
      html += card(t("field.incidents"), items(inc.slice(0, 8), (i) => `<li><div class="fa-li-main"><strong>${esc(i.summary || typeName(i.subtype))}</strong>
        <span class="fa-sub">${esc(i.code)} · ${esc(fmt(i.reported_at))}${i.dist != null ? " · " + Math.round(i.dist) + " m" : ""}</span></div>
        <span class="fa-tag">${esc(t("state." + i.state) || i.state)}</span></li>`, "field.none_incidents"), "fa-incidents");
    }
    const notes = (d.notices && d.notices.items) || [];
    if (notes.length) html += card(t("field.notices"), items(notes, (n) => `<li>${esc(lang === "en" ? n.message_en : n.message_zh)}<span class="fa-sub">${esc(fmt(n.created_at))}</span></li>`), "fa-notices");
    html += `<p class="fa-sub fa-synced" id="fa-synced">${esc(t("field.synced_at"))} ${esc(fmt(state.syncedAt) || "—")}</p>`;
    return html;
  }

  const hm = (iso) => iso ? new Date(iso).toLocaleTimeString(lang, { hour12: false, hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" }) : "";

  /* Today's patrol windows of his station, with his posts, routes and grid areas in them. */
  function drawPatrols(p) {
    const wins = (p && p.windows) || [];
    return card(t("field.patrols"), items(wins, (w) => {
      const mine = w.items.length ? w.items.map((i) => `<span class="fa-sub" data-item="${i.id}">${esc(t("field.patrol_kind." + i.kind))} · ${esc(i.label)}${i.stops > 1 ? ` · ${i.stops} ${esc(t("field.stops"))}` : ""} · ${esc(hm(i.first_at))}</span>`).join("")
        : `<span class="fa-sub">${esc(t("field.no_patrol_item"))}</span>`;
      return `<li data-plan="${w.plan_id}"><div class="fa-li-main"><strong>${esc(hm(w.starts_at))}–${esc(hm(w.ends_at))} · ${esc(lang === "en" ? w.station_name_en : w.station_name_zh)}</strong>${mine}</div>
        ${w.now ? `<span class="fa-tag good">${esc(t("field.patrol_now"))}</span>` : ""}</li>`;
    }, "field.none_patrols"), "fa-patrols");
  }

  /* Premises of his cells due an inspection (never, re-inspection, window ending soon). */
  function drawDue(due) {
    const list = (due && due.items) || [];
    return card(t("field.inspections_due"), items(list, (x) => {
      const ref = "insp:" + x.premises_id;
      const busy = pendingFor(ref).length;
      const why = x.reason === "expires" ? `${t("field.due_by")} ${fmt(x.due_by)}` : t("field.due_reason." + x.reason);
      return `<li data-premises="${x.premises_id}"><div class="fa-li-main"><strong>${esc(x.name)}</strong>
        <span class="fa-sub">${esc(x.code)} · ${esc(why)}${x.last_at ? " · " + esc(t("field.last_inspected")) + " " + esc(fmt(x.last_at)) : ""}</span>${pendingMark(ref)}</div>
        ${busy ? "" : `<button type="button" class="fa-big" data-act="inspect-form" data-premises="${x.premises_id}">${esc(t("field.inspect"))}</button>`}</li>`;
    }, "field.none_due"), "fa-due");
  }

  /* The inspection item by item (works offline: the checklist came with the list due). */
  function drawInspectForm(f) {
    const rows = ((state.data.due && state.data.due.forms) || {})[f.kind] || [];
    const res = ["pass", "fail", "na"];
    return card(t("field.inspect") + " · " + f.name, `<form id="fa-inspect" data-js data-premises="${f.premises_id}">
      ${rows.map((i) => `<fieldset class="fa-item" data-code="${esc(i.code)}"><legend>${esc(lang === "en" ? i.label_en : i.label)}</legend>
        <div class="fa-kinds fa-res">${res.map((r) => `<label><input type="radio" name="r-${esc(i.code)}" value="${r}"><span>${esc(t("field.res." + r))}</span></label>`).join("")}</div>
        <input type="text" class="fa-item-note" maxlength="500" aria-label="${esc(t("field.item_note"))}" placeholder="${esc(t("field.item_note"))}"></fieldset>`).join("")}
      <label>${esc(t("field.note"))}<textarea id="fa-inspect-note" rows="2" maxlength="2000"></textarea></label>
      <label>${esc(t("field.owner"))}<input type="text" id="fa-inspect-owner" maxlength="200"></label>
      <label>${esc(t("field.deadline_days"))}<input type="number" id="fa-inspect-days" min="1" max="90" value="7" required></label>
      <p class="fa-sub">${esc(t("field.location"))}: <span id="fa-where">${esc(where() ? where().lon + ", " + where().lat : t("field.no_fix"))}</span></p>
      <div class="fa-row"><button type="submit" class="fa-big">${esc(t("field.send"))}</button>
      <button type="button" class="fa-big fa-light" data-act="cancel">${esc(t("field.cancel"))}</button></div></form>`, "fa-inspect-card");
  }

  function drawReportForm(f) {
    return card(t("field.report") + " · " + f.title, `<form id="fa-report" data-js>
      <label>${esc(t("field.report_text"))}<textarea id="fa-report-text" required rows="4"></textarea></label>
      <label class="fa-file">${esc(t("field.photo"))}<input type="file" id="fa-photo" accept="image/*" capture="environment" multiple></label>
      <p class="fa-sub">${esc(t("field.location"))}: <span id="fa-where">${esc(where() ? where().lon + ", " + where().lat : t("field.no_fix"))}</span></p>
      <div class="fa-row"><button type="submit" class="fa-big">${esc(t("field.send"))}</button>
      <button type="button" class="fa-big fa-light" data-act="cancel">${esc(t("field.cancel"))}</button></div></form>`, "fa-report-card");
  }

  function drawLedger() {
    return card(t("field.ledger"), `<form id="fa-ledger" data-js>
      <div class="fa-kinds">${LEDGER_KINDS.map((k, i) => `<label><input type="radio" name="kind" value="${k}" ${i === 0 ? "checked" : ""}><span>${esc(t("ledger.kind." + k))}</span></label>`).join("")}</div>
      <label>${esc(t("field.minutes"))}<input type="number" id="fa-ledger-min" min="1" max="600" value="15" required></label>
      <label>${esc(t("field.note"))}<input type="text" id="fa-ledger-note" maxlength="500"></label>
      <p class="fa-sub">${esc(t("field.location"))}: ${esc(where() ? where().lon + ", " + where().lat : t("field.no_fix"))}</p>
      <button type="submit" class="fa-big">${esc(t("field.record"))}</button></form>`, "fa-ledger-card");
  }

  function drawDispute() {
    return card(t("field.dispute"), `<form id="fa-dispute" data-js>
      <label>${esc(t("field.dispute_kind"))}<select id="fa-dispute-kind">${DISPUTE_KINDS.map((k) => `<option value="${k}">${esc(t("casework.kind." + k))}</option>`).join("")}</select></label>
      <label>${esc(t("field.summary"))}<textarea id="fa-dispute-summary" rows="3" maxlength="2000"></textarea></label>
      <p class="fa-sub">${esc(t("field.location"))}: ${esc(where() ? where().lon + ", " + where().lat : t("field.no_fix"))}</p>
      <button type="submit" class="fa-big">${esc(t("field.record"))}</button></form>`, "fa-dispute-card");
  }

  function drawShifts() {
    const list = state.data.shifts;
    return card(t("field.shifts"), items(Array.isArray(list) ? list : [], (s) => {
      const ref = "shift:" + s.id;
      const p = pendingFor(ref);
      const last = p.length ? p[p.length - 1].kind : s.checked_out_at ? "shift.out" : s.checked_in_at ? "shift.in" : "";
      const btn = last === "shift.out" ? "" : last === "shift.in" ? "out" : "in";
      return `<li data-shift="${s.id}"><div class="fa-li-main"><strong>${esc(s.place || s.cell_name || s.team_name)}</strong>
        <span class="fa-sub">${esc(s.team_name)} · ${esc(fmt(s.starts_at))} – ${esc(fmt(s.ends_at))}</span>${pendingMark(ref)}</div>
        ${btn ? `<button type="button" class="fa-big" data-act="shift" data-shift="${s.id}" data-dir="${btn}">${esc(t("field.shift_" + btn))}</button>` : ""}</li>`;
    }, "field.none_shifts"), "fa-shifts");
  }

  function drawOutbox() {
    const rows = state.outbox.slice().sort((a, b) => b.id - a.id);
    return card(t("field.outbox"), items(rows, (r) => {
      const err = r.error ? `<span class="fa-err">${esc(t("field.err." + r.error.status) !== "field.err." + r.error.status ? t("field.err." + r.error.status) : t("field.err.other"))}: ${esc(r.error.message)}</span>` : "";
      const btns = r.state === "failed" ? `<button type="button" data-act="retry" data-id="${r.id}">${esc(t("field.retry"))}</button><button type="button" data-act="discard" data-id="${r.id}">${esc(t("field.discard"))}</button>` : "";
      return `<li class="fa-out fa-${r.state}" data-kind="${esc(r.kind)}" data-state="${r.state}"><div class="fa-li-main"><strong>${esc(r.label)}</strong>
        <span class="fa-sub">${esc(t("field.acted_at"))} ${esc(fmt(r.at))}${r.synced_at ? " · " + esc(t("field.synced")) + " " + esc(fmt(r.synced_at)) : ""}</span>${err}</div>
        <span class="fa-tag ${r.state === "failed" ? "bad" : r.state === "done" ? "good" : "wait"}">${esc(t("field.state." + r.state))}</span>${btns}</li>`;
    }, "field.outbox_empty"), "fa-outbox");
  }

  function draw() {
    tabs();
    let html;
    if (state.form) html = state.form.type === "inspect" ? drawInspectForm(state.form) : drawReportForm(state.form);
    else if (state.tab === "ledger") html = drawLedger();
    else if (state.tab === "dispute") html = drawDispute();
    else if (state.tab === "outbox") html = drawOutbox();
    else if (state.tab === "shifts") html = drawShifts();
    else if (state.tab === "map") html = `<section class="fa-card fa-mapcard"><div id="fa-map" class="fa-map"></div></section>`;
    else html = drawHome();
    view.innerHTML = html;
    drawTop();
    if (state.tab === "map" && !state.form) {
      const inc = ((state.data.incidents && state.data.incidents.items) || []).filter((i) => i.state !== "closed");
      FieldMap.draw($("fa-map"), { cells: state.data.cells, roads: state.data.roads, incidents: inc, fix: state.fix })
        .catch(() => toast(t("field.map_unavailable"), true));
    }
  }

  function drawTop() {
    const me = state.data.me;
    const waiting = state.outbox.filter((r) => r.state === "waiting" || r.state === "sending").length;
    const failed = state.outbox.filter((r) => r.state === "failed").length;
    const badge = $("fa-badge");
    badge.textContent = String(waiting);
    badge.dataset.n = String(waiting);
    badge.classList.toggle("bad", failed > 0);
    $("fa-net").dataset.online = navigator.onLine ? "1" : "0";
    $("fa-net").textContent = t(navigator.onLine ? "field.online" : "field.offline");
    if (me) {
      $("fa-name").textContent = me.display_name || me.username;
      $("fa-unit").textContent = me.unit ? (lang === "en" ? me.unit.name_en : me.unit.name_zh) : t("field.no_unit");
      $("fa-duty").hidden = !me.unit;
      $("fa-duty-toggle").checked = !!me.on_duty;
    }
  }

  let toastTimer = 0;
  function toast(text, bad) {
    const el = $("fa-toast");
    el.textContent = text;
    el.hidden = false;
    el.classList.toggle("bad", !!bad);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function dist(a, b) {
    const R = 6371000, r = Math.PI / 180;
    const x = (b.lon - a.lon) * r * Math.cos(((a.lat + b.lat) / 2) * r), y = (b.lat - a.lat) * r;
    return Math.hypot(x, y) * R;
  }

  // ------------------------------------------------------------------ actions
  async function onClick(e) {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.tab) { state.tab = b.dataset.tab; state.form = null; draw(); return; }
    const act = b.dataset.act;
    const now = new Date().toISOString();
    if (act === "sign") {
      const ins = b.dataset.ins, rec = b.dataset.rec;
      const title = b.closest("li").querySelector("strong").textContent;
      await queue({ kind: "instruction.sign", label: t("field.sign") + " · " + title, ref: "rec:" + rec, method: "POST",
        url: `/api/v1/instructions/${ins}/recipients/${rec}/transitions`, body: { to_state: "signed", at: now } });
    } else if (act === "report-form") {
      state.form = { ins: b.dataset.ins, rec: b.dataset.rec, state: b.dataset.state, title: b.dataset.title };
    } else if (act === "inspect-form") {
      const x = ((state.data.due && state.data.due.items) || []).find((i) => String(i.premises_id) === b.dataset.premises);
      if (!x) return;
      state.form = { type: "inspect", premises_id: x.premises_id, kind: x.kind, name: x.name };
      window.scrollTo(0, 0);
    } else if (act === "cancel") {
      state.form = null;
    } else if (act === "task") {
      const title = b.closest("li").querySelector("strong").textContent;
      await queue({ kind: "task.done", label: t("field.done") + " · " + title, ref: "task:" + b.dataset.task, method: "POST",
        url: `/api/v1/checklists/tasks/${b.dataset.task}/done`, body: { note: "", at: now } });
    } else if (act === "post") {
      if (!where()) { toast(t("field.no_fix"), true); return; }
      const title = b.closest("li").querySelector("strong").textContent;
      await queue({ kind: "post.checkin", label: t("field.checkin") + " · " + title, ref: "post:" + b.dataset.post + ":" + today(), method: "POST",
        url: `/api/v1/school-posts/${b.dataset.post}/checkins`, body: where() });
    } else if (act === "shift") {
      if (!where()) { toast(t("field.no_fix"), true); return; }
      const dir = b.dataset.dir;
      await queue({ kind: "shift." + dir, label: t("field.shift_" + dir), ref: "shift:" + b.dataset.shift, method: "POST",
        url: `/api/v1/volunteers/shifts/${b.dataset.shift}/check-${dir}`, body: Object.assign({ at: now }, where()) });
    } else if (act === "retry") {
      await FQ.retry(+b.dataset.id);
    } else if (act === "discard") {
      await FQ.discard(+b.dataset.id);
    } else return;
    draw();
  }

  async function onSubmit(e) {
    const f = e.target;
    e.preventDefault();
    const now = new Date().toISOString();
    if (f.id === "fa-report") {
      const text = $("fa-report-text").value.trim();
      if (!text) { toast(t("field.report_text_needed"), true); return; }
      const form = state.form;
      const files = Array.from($("fa-photo").files || []).slice(0, 5);
      const photos = files.map((file) => ({ blob: file, name: file.name, type: file.type }));
      const ref = "rec:" + form.rec;
      const base = `/api/v1/instructions/${form.ins}/recipients/${form.rec}`;
      const signedLocally = pendingFor(ref).some((r) => r.kind === "instruction.sign");
      if (form.state === "signed" || form.state === "issued" || form.state === "returned" || signedLocally) {
        await FQ.add({ kind: "instruction.start", label: t("field.start") + " · " + form.title, ref, method: "POST", at: now,
          url: base + "/transitions", body: { to_state: "in_progress", at: now } });
      }
      await queue({ kind: "instruction.report", label: t("field.report") + " · " + form.title, ref, method: "POST",
        url: base + "/report", body: Object.assign({ text, at: now }, where() || {}),
        photos, upload: { url: `/api/v1/instructions/${form.ins}/attachments`, extra: { recipient_id: form.rec } } });
      state.form = null;
    } else if (f.id === "fa-inspect") {
      const form = state.form;
      const chosen = Array.from(f.querySelectorAll("fieldset[data-code]")).map((fs) => {
        const r = fs.querySelector("input[type=radio]:checked");
        return r ? { code: fs.dataset.code, result: r.value, note: fs.querySelector(".fa-item-note").value.trim() } : null;
      });
      if (!chosen.length || chosen.some((c) => c === null)) { toast(t("field.inspect_missing"), true); return; }
      const body = { items: chosen, note: $("fa-inspect-note").value.trim(), owner: $("fa-inspect-owner").value.trim(),
        deadline_days: parseInt($("fa-inspect-days").value, 10) || 7, inspected_at: now };
      Object.assign(body, where() || {});
      await queue({ kind: "inspection", label: t("field.inspect") + " · " + form.name, ref: "insp:" + form.premises_id, method: "POST",
        url: `/api/v1/premises/${form.premises_id}/inspections`, body });
      state.form = null;
    } else if (f.id === "fa-ledger") {
      if (!where()) { toast(t("field.no_fix"), true); return; }
      const kind = f.querySelector('input[name="kind"]:checked').value;
      const minutes = parseInt($("fa-ledger-min").value, 10);
      const note = $("fa-ledger-note").value.trim();
      const body = Object.assign({ kind, at: now, minutes }, where());
      if (note) body.note = note;
      await queue({ kind: "ledger.entry", label: t("field.ledger") + " · " + t("ledger.kind." + kind), method: "POST", url: "/api/v1/ledger/entries", body });
      state.tab = "outbox";
    } else if (f.id === "fa-dispute") {
      const body = { kind: $("fa-dispute-kind").value, source: "visit", summary: $("fa-dispute-summary").value.trim(), registered_at: now };
      Object.assign(body, where() || {});
      await queue({ kind: "dispute.new", label: t("field.dispute") + " · " + t("casework.kind." + body.kind), method: "POST", url: "/api/v1/disputes", body });
      state.tab = "outbox";
    }
    draw();
  }

  // ------------------------------------------------------------------ duty and position
  let lastSent = null;
  let positionTimer = 0;
  async function setDuty(on) {
    if (!navigator.onLine) { toast(t("field.duty_needs_network"), true); drawTop(); return; }
    try {
      const r = await fetch("/api/v1/field/duty", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": FQ.csrf },
        body: JSON.stringify({ on_duty: on }) });
      const d = await r.json();
      if (r.headers.get("X-Pingan-Offline")) { toast(t("field.duty_needs_network"), true); return; }
      if (!r.ok) { toast((d.error && (d.error.display || d.error.message)) || String(r.status), true); return; }
      state.data.me = d;
      await FQ.saveSnap("me", d);
      duty();
    } finally { drawTop(); }
  }
  function duty() {
    const me = state.data.me;
    const on = !!(me && me.on_duty && me.unit);
    clearInterval(positionTimer);
    if (on) {
      sharePosition(true);
      positionTimer = setInterval(() => sharePosition(false), ((me && me.position_interval_s) || 30) * 1000);
    } else {
      $("fa-sharing").textContent = t("field.off_duty_note");
    }
  }
  async function sharePosition(force) {
    const me = state.data.me;
    if (!me || !me.on_duty || !me.unit || !state.fix || !navigator.onLine) return;
    const moved = lastSent ? dist(lastSent, state.fix) : Infinity;
    const age = lastSent ? Date.now() - lastSent.t : Infinity;
    if (!force && moved < 15 && age < 120000) return;  // still: every 2 min instead of 30 s
    const body = { lon: state.fix.lon, lat: state.fix.lat, at: new Date(state.fix.t).toISOString() };
    try {
      const r = await fetch(`/api/v1/resources/${me.unit.id}/positions`, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": FQ.csrf }, body: JSON.stringify(body) });
      if (r.ok && !r.headers.get("X-Pingan-Offline")) {
        lastSent = { lon: body.lon, lat: body.lat, t: Date.now() };
        $("fa-sharing").textContent = `${t("field.sharing")} ${body.lon.toFixed(5)}, ${body.lat.toFixed(5)} · ${fmt(body.at)}`;
        $("fa-sharing").dataset.sent = String(+($("fa-sharing").dataset.sent || 0) + 1);
      }
    } catch (e) { /* offline: the next tick tries again */ }
  }
  function watchPosition() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition((p) => {
      const first = !state.fix;
      state.fix = { lon: p.coords.longitude, lat: p.coords.latitude, t: p.timestamp || Date.now() };
      const w = $("fa-where");
      if (w) w.textContent = `${state.fix.lon.toFixed(6)}, ${state.fix.lat.toFixed(6)}`;
      if (first && !state.form) draw();
      // on duty before the first fix: share it now, not at the next tick (up to 30 s later)
      if (first && !lastSent) sharePosition(true);
    }, () => { /* no fix: forms say so */ }, { enableHighAccuracy: true, maximumAge: 15000 });
  }

  // ------------------------------------------------------------------ notifications while open
  let stream = null;
  function listen() {
    if (!can("incident.read") || !navigator.onLine || !window.EventSource || stream) return;
    const seen = new Set(((state.data.incidents && state.data.incidents.items) || []).map((i) => i.id));
    const es = stream = new EventSource("/api/v1/incidents/stream");
    es.addEventListener("incident", (ev) => {
      const i = JSON.parse(ev.data);
      if (seen.has(i.id)) return;
      seen.add(i.id);
      toast(`${t("field.new_incident")}: ${i.summary || typeName(i.subtype)}`);
      refresh();
    });
    window.addEventListener("offline", () => { es.close(); stream = null; }, { once: true });
  }
  let noticeIds = null;
  async function pollNotices() {
    if (!navigator.onLine || VOLUNTEER) return;
    try {
      const d = await getJSON(READS.to_sign);
      const ids = new Set(d.items.map((q) => q.recipient.id));
      if (noticeIds) for (const id of ids) if (!noticeIds.has(id)) { toast(t("field.new_instruction")); refresh(); break; }
      noticeIds = ids;
    } catch (e) { /* offline */ }
  }

  // ------------------------------------------------------------------ start
  async function start() {
    FQ.on(async (what) => {
      state.outbox = await FQ.list();
      if (what && what.failed) toast(t("field.item_failed"), true);
      if (what === "synced") { await refresh(); return; }
      if (what === "auth") toast(t("field.signin_again"), true);
      if (!state.form) draw(); else drawTop();
    });
    view.addEventListener("click", onClick);
    $("fa-tabs").addEventListener("click", onClick);
    view.addEventListener("submit", onSubmit);
    $("fa-outbox-btn").addEventListener("click", () => { state.tab = "outbox"; state.form = null; draw(); });
    $("fa-duty-toggle").addEventListener("change", (e) => setDuty(e.target.checked));
    window.addEventListener("online", async () => { drawTop(); await refresh(); duty(); listen(); });
    window.addEventListener("offline", drawTop);
    await loadSnapshots();
    state.outbox = await FQ.list();
    draw();
    document.body.dataset.ready = "1";  // drawn from the last synced copy: usable now
    if (performance.mark) performance.mark("pa-ready");
    if ("serviceWorker" in navigator && navigator.onLine) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
    watchPosition();
    if (navigator.onLine) {
      await refresh();
      FQ.sync();
      duty();
      listen();
      pollNotices();
      setInterval(pollNotices, 60000);
    }
  }
  start();
})();
