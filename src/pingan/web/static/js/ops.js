/* Station operations: the officer's queue (/ops/my) and the chief's board (/ops/board). */
"use strict";
(function () {
  const { t, api, esc, fmtTime, lang } = window.PA;
  const $ = (id) => document.getElementById(id);
  const main = document.querySelector("main");
  const status = (text, err) => { const el = $("status"); if (el) { el.textContent = text || ""; el.className = "ops-status" + (err ? " err" : ""); } };
  const badge = (state) => `<span class="badge st-${esc(state)}">${esc(t("ops.state." + state))}</span>`;
  const prio = (p) => `<span class="badge ${p === "urgent" ? "p1" : p === "high" ? "p2" : ""}">${esc(t("ops.priority." + p))}</span>`;
  const name = (o) => (lang === "en" ? o.name_en : o.name_zh) || "";
  const pct = (x) => (x == null ? "—" : (x * 100).toFixed(1) + "%");
  const recLabel = (r) => name(r) || `${t("ops.kind." + r.kind)} ${r.officer_id || r.resource_id || r.station_id || ""}`;
  const RECIPIENT_STEPS = ["signed", "in_progress", "reported"];
  const ISSUER_STEPS = ["accepted", "returned", "closed"];

  // ---------------------------------------------------------------- my queue
  async function myQueue() {
    let box = "to_sign";
    const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
    // the tab counters load side by side; the page is ready once they have answered
    const counts = () => Promise.all([
      ...["overdue", "to_sign", "to_do"].map((b) =>
        api(`/api/v1/instructions/queue?box=${b}&limit=1`).then((r) => { $("n-" + b).textContent = r.total; }).catch(() => {})),
      api(`/api/v1/checklists/tasks?day=${today}&state=open&limit=1`).then((r) => { $("n-checklist").textContent = r.total; }).catch(() => {}),
    ]);
    function instructionItem(it) {
      const r = it.recipient;
      const acts = r.allowed_transitions.filter((s) => RECIPIENT_STEPS.includes(s));
      const dl = r.state === "issued" ? r.sign_by : r.complete_by;
      return `<li data-ins="${it.instruction_id}" data-rec="${r.id}">
        <h3>${prio(it.priority)} ${esc(it.title)} ${badge(r.state)}</h3>
        <div class="meta">${esc(it.code)} · ${esc(t("ops.level." + it.issuer_level))} · ${esc(t(r.state === "issued" ? "ops.sign_by" : "ops.complete_by"))} <span class="${r.overdue ? "overdue" : ""}">${esc(fmtTime(dl))}${r.overdue ? " · " + esc(t("ops.overdue")) : ""}</span></div>
        <div class="body" data-body></div>
        <div class="actions">${acts.map((s) => `<button type="button" data-act="${s}">${esc(t("ops.act." + s))}</button>`).join("")}
          <button type="button" class="secondary" data-act="more">${esc(t("ops.act.more"))}</button></div>
        <div class="msg" data-msg></div></li>`;
    }
    function taskItem(x) {
      const late = x.state === "open" && new Date(x.due_at) < new Date();
      return `<li data-task="${x.id}"><h3>${esc(name(x))} ${badge(x.state)}</h3>
        <div class="meta">${x.slot ? esc(x.slot) + " · " : ""}${esc(t("ops.due"))} <span class="${late ? "overdue" : ""}">${esc(fmtTime(x.due_at))}</span>${x.target_kind === "officer" ? "" : ` · ${esc(t("ops.target." + x.target_kind))} ${x.target_id}`}</div>
        ${x.state === "open" ? `<div class="actions"><button type="button" data-act="done">${esc(t("ops.act.done"))}</button></div>` : ""}
        <div class="msg" data-msg></div></li>`;
    }
    async function load() {
      status(t("common.loading"));
      try {
        let html;
        if (box === "checklist") {
          const r = await api(`/api/v1/checklists/tasks?day=${today}&limit=200`);
          html = r.items.map(taskItem).join("");
        } else {
          const r = await api(`/api/v1/instructions/queue?box=${box}&limit=100`);
          html = r.items.map(instructionItem).join("");
        }
        $("queue").innerHTML = html || `<li class="muted" id="empty">${esc(t("ops.empty"))}</li>`;
        status("");
      } catch (e) { status(e.message, true); }
      await counts();
    }
    const msg = (li, text, ok) => { const el = li.querySelector("[data-msg]"); el.textContent = text; el.className = "msg " + (ok ? "ok" : "err"); };
    async function sendReport(li) {
      const form = li.querySelector("form.report");
      const ins = li.dataset.ins, rec = Number(li.dataset.rec);
      const text = form.elements.text.value.trim();
      if (!text) { msg(li, t("ops.report.need_text"), false); return; }
      const body = { text, attachment_ids: [] };
      try {
        const file = form.elements.photo.files[0];
        if (file) {
          const fd = new FormData(); fd.append("file", file); fd.append("recipient_id", String(rec));
          const up = await fetch(`/api/v1/instructions/${ins}/attachments`, { method: "POST", body: fd, headers: { "X-CSRF-Token": window.PA.csrf, Accept: "application/json" } });
          const ub = await up.json();
          if (!up.ok) throw new Error(window.PA.errorText(ub, up.statusText));
          body.attachment_ids.push(ub.id);
        }
        if (form.elements.loc.checked && navigator.geolocation) {
          const pos = await new Promise((ok, bad) => navigator.geolocation.getCurrentPosition(ok, bad, { timeout: 8000 })).catch(() => null);
          if (pos) { body.lon = pos.coords.longitude; body.lat = pos.coords.latitude; }
        }
        await api(`/api/v1/instructions/${ins}/recipients/${rec}/report`, { method: "POST", body });
        await load();
      } catch (e) { msg(li, e.message, false); }
    }
    $("queue").addEventListener("click", async (ev) => {
      const btn = ev.target.closest("[data-act]"); if (!btn) return;
      const li = btn.closest("li"); const act = btn.dataset.act;
      try {
        if (act === "done") { await api(`/api/v1/checklists/tasks/${li.dataset.task}/done`, { method: "POST", body: {} }); await load(); return; }
        if (act === "more") {
          const d = await api(`/api/v1/instructions/${li.dataset.ins}`);
          li.querySelector("[data-body]").textContent = d.text; btn.remove(); return;
        }
        if (act === "reported") {
          if (!li.querySelector("form.report")) li.querySelector(".actions").after($("report-form").content.cloneNode(true));
          li.querySelector("form.report textarea").focus(); return;
        }
        if (act === "send-report") { await sendReport(li); return; }
        await api(`/api/v1/instructions/${li.dataset.ins}/recipients/${li.dataset.rec}/transitions`, { method: "POST", body: { to_state: act } });
        await load();
      } catch (e) { msg(li, e.message, false); }
    });
    $("tabs").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-box]"); if (!b) return;
      box = b.dataset.box;
      document.querySelectorAll("#tabs .tab").forEach((x) => x.classList.toggle("active", x === b));
      load();
    });
    await load();
  }

  // ---------------------------------------------------------------- chief's board
  async function board() {
    const station = () => $("station").value;
    const q = (extra) => { const s = station(); return s ? `station_id=${s}${extra ? "&" + extra : ""}` : extra || ""; };
    async function rates() {
      const r = await api(`/api/v1/instructions/rates?${q()}`);
      $("rates").innerHTML = [["ops.rate.sign", pct(r.sign_rate)], ["ops.rate.completion", pct(r.completion_rate)],
        ["ops.rate.recipients", r.recipients], ["ops.rate.overdue", r.overdue_open]]
        .map(([k, v]) => `<dt>${esc(t(k))}</dt><dd>${esc(v)}</dd>`).join("");
      $("rates-how").textContent = t("ops.rates.how");
    }
    async function completion() {
      const s = station(), tb = $("completion").querySelector("tbody");
      if (!s) { tb.innerHTML = `<tr><td colspan="6" class="muted">${esc(t("ops.pick_station"))}</td></tr>`; return; }
      const c = await api(`/api/v1/checklists/stations/${s}/completion`);
      tb.innerHTML = c.templates.map((x) => `<tr><td>${esc(name(x))}</td><td>${x.done}</td><td>${x.late}</td><td>${x.missed}</td><td>${x.open}</td><td>${pct(x.completion_rate)}</td></tr>`).join("")
        + `<tr><th>${esc(t("ops.total"))}</th><th>${c.overall.done}</th><th>${c.overall.late}</th><th>${c.overall.missed}</th><th>${c.overall.open}</th><th>${pct(c.overall.completion_rate)}</th></tr>`;
      $("completion-how").textContent = t("ops.completion.how");
    }
    async function notices() {
      const [r, unread] = await Promise.all([api("/api/v1/instructions/notices?limit=20"), api("/api/v1/instructions/notices?unread_only=true&limit=1")]);
      $("notices").innerHTML = r.items.map((n) => `<li data-notice="${n.id}" class="${n.read_at ? "read" : "unread"}"><div>${esc(lang === "en" ? n.message_en : n.message_zh)}</div>
        <div class="meta">${esc(fmtTime(n.created_at))}${n.read_at ? ` · ${esc(t("ops.notice.was_read"))}` : ` <button type="button" class="secondary small" data-act="read-notice">${esc(t("ops.notice.read"))}</button>`}</div></li>`).join("")
        || `<li class="muted">${esc(t("ops.empty"))}</li>`;
      $("n-notices").textContent = unread.total ? `${unread.total} ${t("ops.notice.unread")}` : "";
      $("notices-read-all").hidden = !unread.total;
    }
    async function issued() {
      const r = await api("/api/v1/instructions?issuer=office&limit=50");
      $("issued").querySelector("tbody").innerHTML = r.items.map((i) => `<tr data-ins="${i.id}"><td>${esc(i.code)}</td><td>${esc(i.title)}</td><td>${prio(i.priority)}</td>
        <td>${esc(fmtTime(i.sign_by))} / ${esc(fmtTime(i.complete_by))}</td>
        <td>${i.recipients.map((x) => `<span class="rec" data-rec="${x.id}">${esc(recLabel(x))} ${badge(x.state)}${x.overdue ? `<span class="overdue">${esc(t("ops.overdue"))}</span>` : ""}
          ${x.allowed_transitions.filter((s) => ISSUER_STEPS.includes(s)).map((s) => `<button type="button" data-act="${s}">${esc(t("ops.act." + s))}</button>`).join("")}</span>`).join("")}</td></tr>`).join("")
        || `<tr><td colspan="5" class="muted">${esc(t("ops.empty"))}</td></tr>`;
    }
    async function boardRows() {
      const r = await api(`/api/v1/instructions/board?${q("limit=50")}`);
      $("board").querySelector("tbody").innerHTML = r.items.map((it) => `<tr><td>${esc(it.code)}</td><td>${esc(it.title)}</td><td>${esc(recLabel(it.recipient))}</td>
        <td>${badge(it.recipient.state)}${it.recipient.overdue ? ` <span class="overdue">${esc(t("ops.overdue"))}</span>` : ""}</td>
        <td>${esc(fmtTime(it.recipient.sign_by))} / ${esc(fmtTime(it.recipient.complete_by))}</td></tr>`).join("")
        || `<tr><td colspan="5" class="muted">${esc(t("ops.empty"))}</td></tr>`;
    }
    async function refresh() {
      status(t("common.loading"));
      const res = await Promise.allSettled([rates(), completion(), notices(), issued(), boardRows()]);
      const bad = res.find((x) => x.status === "rejected");
      status(bad ? bad.reason.message : "", !!bad);
    }
    $("station").addEventListener("change", refresh);
    $("issued").addEventListener("click", async (ev) => {
      const b = ev.target.closest("[data-act]"); if (!b) return;
      const tr = b.closest("tr"), span = b.closest("[data-rec]");
      const body = { to_state: b.dataset.act };
      if (body.to_state === "returned") { const why = prompt(t("ops.return.why")); if (!why) return; body.note = why; }
      try { await api(`/api/v1/instructions/${tr.dataset.ins}/recipients/${span.dataset.rec}/transitions`, { method: "POST", body }); await refresh(); }
      catch (e) { status(e.message, true); }
    });
    $("notices").addEventListener("click", async (ev) => {
      const b = ev.target.closest("[data-act='read-notice']"); if (!b) return;
      b.disabled = true;
      try { await api(`/api/v1/instructions/notices/${b.closest("li").dataset.notice}/read`, { method: "POST", body: {} }); await notices(); }
      catch (e) { b.disabled = false; status(e.message, true); }
    });
    $("notices-read-all").addEventListener("click", async () => {
      try { await api("/api/v1/instructions/notices/read-all", { method: "POST", body: {} }); await notices(); }
      catch (e) { status(e.message, true); }
    });
    const f = $("issue-form");
    const local = (h) => { const d = new Date(Date.now() + h * 3600e3); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 16); };
    f.elements.sign_by.value = local(2); f.elements.complete_by.value = local(48);
    $("issue-send").addEventListener("click", async () => {
      const m = $("issue-msg");
      const body = {
        title: f.elements.title.value.trim(), text: f.elements.text.value.trim(), priority: f.elements.priority.value,
        recipients: [{ kind: "station", id: Number(f.elements.station.value) }],
        sign_by: new Date(f.elements.sign_by.value).toISOString(), complete_by: new Date(f.elements.complete_by.value).toISOString(),
      };
      try { const r = await api("/api/v1/instructions", { method: "POST", body }); m.textContent = t("ops.issue.ok") + " " + r.code; m.className = "msg ok"; f.elements.title.value = ""; f.elements.text.value = ""; await refresh(); }
      catch (e) { m.textContent = e.message; m.className = "msg err"; }
    });
    await refresh();
  }

  async function start() {
    try {
      if (main.classList.contains("ops-my")) await myQueue();
      else if (main.classList.contains("ops-board")) await board();
    } finally { document.body.dataset.ready = "1"; }
  }
  start();
})();
