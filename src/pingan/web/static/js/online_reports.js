/* /online-reports: the station's queue of online reports (网上报警受理). Accept one into the
   station's work, merge a duplicate into an open incident nearby, refer it to another body or
   reject it (the citizen reads the reason on /track), reply in public or internally. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, can, lang } = window.PA;
  const sub = (x) => (lang === "en" ? x.subtype_en : x.subtype_zh) || x.subtype;
  const rows = document.getElementById("or-rows");
  const detail = document.getElementById("or-detail");
  const triageSel = document.getElementById("or-triage");
  let items = new Map();
  let selected = null;

  function tag(tr) { return `<span class="or-tag ${esc(tr)}">${esc(t("or.tr." + tr))}</span>`; }

  async function load() {
    document.body.dataset.ready = "0";
    const tr = triageSel.value;
    try {
      const page = await api(`/api/v1/online-reports?limit=200${tr ? "&triage=" + encodeURIComponent(tr) : ""}`);
      items = new Map(page.items.map((r) => [r.incident_id, r]));
      document.getElementById("or-count").textContent = t("or.count").replace("{n}", page.total);
      rows.innerHTML = page.items.length ? page.items.map((r) => `<tr data-id="${r.incident_id}" class="${r.incident_id === selected ? "sel" : ""}">
        <td>${esc(r.code)}</td><td>${esc(r.category)}</td><td>${esc(fmtTime(r.created_at))}</td>
        <td>${esc(r.address_text || r.lon.toFixed(4) + ", " + r.lat.toFixed(4))}</td><td>${tag(r.triage)}</td></tr>`).join("")
        : `<tr><td colspan="5" class="muted" id="or-none">${esc(t("or.none"))}</td></tr>`;
    } catch (e) {
      rows.innerHTML = `<tr><td colspan="5" class="error">${esc(String(e.message || e))}</td></tr>`;
    }
    document.body.dataset.ready = "1";
  }

  function actions(r) {
    if (r.triage !== "pending" || !can("online_report.triage")) return "";
    return `<fieldset><legend>${esc(t("or.accept"))}</legend>
        <label>${esc(t("or.reply_opt"))}<textarea id="or-accept-reply" rows="2" maxlength="2000"></textarea></label>
        <div class="actions"><button type="button" class="primary" data-act="accepted">${esc(t("or.do.accepted"))}</button></div></fieldset>
      <fieldset><legend>${esc(t("or.refer_reject"))}</legend>
        <label>${esc(t("or.referred_to"))}<input type="text" id="or-referred-to" maxlength="120" placeholder="${esc(t("or.referred_to_ph"))}"></label>
        <label>${esc(t("or.reason"))}<textarea id="or-reason" rows="2" maxlength="1000"></textarea></label>
        <div class="actions"><button type="button" data-act="referred">${esc(t("or.do.referred"))}</button>
        <button type="button" data-act="rejected">${esc(t("or.do.rejected"))}</button></div></fieldset>`;
  }

  function draw(r, cands) {
    const photos = Array.from({ length: r.photos }, (_, i) => `<a href="/api/v1/online-reports/${r.incident_id}/photos/${i + 1}" target="_blank" rel="noopener">${esc(t("or.photo"))} ${i + 1}</a>`).join(" · ");
    const merge = r.triage === "pending" || r.triage === "accepted";
    const mergeBox = merge && can("incident.transition") ? `<fieldset><legend>${esc(t("or.merge"))}</legend>
      ${cands.length ? `<ul id="or-cands">${cands.map((c) => `<li>${esc(c.code)} · ${esc(sub(c))} · ${esc(fmtTime(c.reported_at))} · ${c.distance_m} m${c.same_subtype ? " · <strong>" + esc(t("or.same")) + "</strong>" : ""}${c.address_text ? " · " + esc(c.address_text) : ""}
        <button type="button" data-merge="${c.incident_id}">${esc(t("or.do.merge"))}</button></li>`).join("")}</ul>`
        : `<p class="muted" id="or-cands-none">${esc(t("or.no_cands"))}</p>`}</fieldset>` : "";
    detail.dataset.id = String(r.incident_id);  // the buttons act on the report drawn
    detail.innerHTML = `<h2 id="or-head">${esc(r.code)} · ${esc(r.category)} ${tag(r.triage)}</h2>
      <p class="muted">${esc(t("or.incident"))} ${esc(r.incident_code)} · ${esc(sub(r))} · ${esc(fmtTime(r.created_at))}${r.channel === "open311" ? " · Open311" : ""}</p>
      <p><strong>${esc(t("or.col.place"))}</strong> ${esc(r.address_text || "")} (${r.lon.toFixed(5)}, ${r.lat.toFixed(5)})</p>
      <p class="or-desc" id="or-desc">${esc(r.summary)}</p>
      <p><strong>${esc(t("or.phone"))}</strong> ${esc(r.phone_masked || "—")}${photos ? " · " + photos : ""}</p>
      ${r.triage_reason ? `<p id="or-reason-shown"><strong>${esc(t("or.reason_shown"))}</strong> ${r.referred_to ? esc(r.referred_to) + ": " : ""}${esc(r.triage_reason)}</p>` : ""}
      ${actions(r)}${mergeBox}
      <h3>${esc(t("or.replies"))}</h3>
      <ol id="or-replies">${r.replies.length ? r.replies.map((x) => `<li>${esc(fmtTime(x.at))} ${x.public ? "" : "<em>" + esc(t("or.internal")) + "</em> "}${esc(x.text)}</li>`).join("") : `<li class="muted">${esc(t("or.no_replies"))}</li>`}</ol>
      ${can("incident.note") ? `<label>${esc(t("or.reply"))}<textarea id="or-reply" rows="2" maxlength="2000"></textarea></label>
      <label><input type="checkbox" id="or-reply-public" checked> ${esc(t("or.public"))}</label>
      <div class="actions"><button type="button" id="or-send">${esc(t("or.send"))}</button></div>` : ""}
      <p class="error" id="or-error" hidden></p>`;
  }

  async function show(id) {
    selected = id;
    rows.querySelectorAll("tr.sel").forEach((tr) => tr.classList.remove("sel"));
    const tr = rows.querySelector(`tr[data-id="${id}"]`);
    if (tr) tr.classList.add("sel");
    const r = items.get(id);
    if (!r) return;
    let cands = [];
    if (r.triage === "pending" || r.triage === "accepted") {
      cands = await api(`/api/v1/online-reports/${id}/candidates`).catch(() => []);
    }
    if (selected !== id) return;  // another report was picked meanwhile
    draw(r, cands);
  }

  async function after(promise, btn) {
    const box = document.getElementById("or-error");
    btn.disabled = true;
    try {
      await promise();
      const keep = Number(detail.dataset.id);
      await load();
      if (!items.has(keep)) {
        // left the filter (e.g. no longer pending): show it from the full list
        const page = await api(`/api/v1/online-reports?limit=500`);
        const r = page.items.find((x) => x.incident_id === keep);
        if (r) items.set(keep, r);
      }
      await show(keep);
    } catch (err) {
      box.textContent = String(err.message || err);
      box.hidden = false;
      btn.disabled = false;
    }
  }

  rows.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr) show(Number(tr.dataset.id));
  });
  detail.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || !detail.dataset.id) return;
    const id = Number(detail.dataset.id);
    const val = (x) => { const el = document.getElementById(x); return el ? el.value.trim() : ""; };
    if (b.dataset.act) {
      const body = { to: b.dataset.act };
      if (b.dataset.act === "accepted") body.reply = val("or-accept-reply");
      else { body.reason = val("or-reason"); if (b.dataset.act === "referred") body.referred_to = val("or-referred-to"); }
      after(() => api(`/api/v1/online-reports/${id}/triage`, { method: "POST", body }), b);
    } else if (b.dataset.merge) {
      after(() => api(`/api/v1/online-reports/${id}/merge`, { method: "POST", body: { into_incident_id: Number(b.dataset.merge) } }), b);
    } else if (b.id === "or-send") {
      const text = val("or-reply");
      if (!text) return;
      after(() => api(`/api/v1/online-reports/${id}/replies`, { method: "POST", body: { text, public: document.getElementById("or-reply-public").checked } }), b);
    }
  });
  triageSel.addEventListener("change", load);
  load();
})();
