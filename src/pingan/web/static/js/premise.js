/* /premises/{id}: one premises — its rating explained item by item, inspections, rectification
   orders with their next steps (sign, report with photos, accept, send back), hazards nearby. */
"use strict";
(function () {
  const { t, api, esc, can, fmtTime } = window.PA;
  const $ = (id) => document.getElementById(id);
  const id = $("pm").dataset.id;
  const en = window.PA.lang === "en";
  const starText = (n) => "★".repeat(n) + "☆".repeat(5 - n);
  const none = `<li class="muted">${esc(t("kp.none"))}</li>`;
  const VERB_ACTION = { sign: "order.handle", report: "order.handle", accept: "order.review", reject: "order.review" };
  let labels = {};
  const photos = (ps) => ps.length ? `<div>${ps.map((p) => `<a href="${esc(p.url)}"><img class="thumb" src="${esc(p.url)}" alt="${esc(p.filename)}"></a>`).join("")}</div>` : "";

  function rating(r) {
    $("p-stars").className = "stars pm-big " + r.colour;
    $("p-stars").textContent = starText(r.stars);
    $("p-stars").dataset.stars = String(r.stars);
    $("p-head").textContent = `${t("pr.colour." + r.colour)} · ${r.score.toFixed(1)} / ${r.max_score.toFixed(0)} · ${t("pr.valid_until")} ${r.valid_until} · ${t("pr.version")} ${r.criteria_version}` + (r.revoked ? " · " + t("pr.revoked") : "");
    $("p-sign").hidden = false;
    labels = Object.fromEntries(r.items.map((i) => [i.code, en ? i.label_en : i.label]));
    $("p-items").innerHTML = r.items.map((i) => `<li data-code="${esc(i.code)}"><div class="row">
        <span>${esc(en ? i.label_en : i.label)}</span><strong>${i.points} / ${i.max}</strong></div>
        <div class="sub">${esc(en ? i.note : (i.note_zh || i.note))}</div>
        ${i.evidence.length ? "<ul class=\"ev\">" + i.evidence.map((e) => `<li>${esc(t("kp.table." + e.table))} #${e.id} · ${esc(e.text)}</li>`).join("") + "</ul>" : ""}
      </li>`).join("");
  }

  function orders(page) {
    $("p-orders").innerHTML = page.items.length ? page.items.map((o) => {
      const acts = o.next.filter((v) => can(VERB_ACTION[v]));
      const lvl = o.escalation_level ? ` · <span class="late">${esc(t("kp.level." + o.escalation_level))}</span>` : "";
      return `<li data-id="${o.id}" data-state="${esc(o.state)}"><div class="row"><span><strong>${esc(o.code)}</strong> ${esc(o.item_label)}</span>
        <span class="badge st-${esc(o.state)}">${esc(t("kp.state." + o.state))}</span></div>
        <div class="sub">${esc(o.problem)} · ${esc(t("kp.owner"))} ${esc(o.owner)} ·
          <span class="${o.late ? "late" : ""}">${esc(t("kp.deadline"))} ${esc(o.deadline)}${o.late ? " " + esc(t("kp.late")) : ""}</span>${lvl}</div>
        ${o.report ? `<div class="sub">${esc(o.report)}</div>` : ""}
        ${acts.length ? `<div class="acts"><input type="text" class="note" maxlength="1000" placeholder="${esc(t("kp.note_ph"))}">
          ${acts.map((v) => `<button type="button" class="step" data-verb="${v}">${esc(t("kp.verb." + v))}</button>`).join("")}
          ${acts.includes("report") ? `<label class="button secondary">${esc(t("kp.fix_photo"))}<input type="file" class="photo" accept="image/*" capture="environment" hidden></label>` : ""}
        </div>` : ""}</li>`;
    }).join("") : none;
  }

  function inspections(rows) {
    $("p-insp").innerHTML = rows.length ? rows.map((r) => `<li data-id="${r.id}"><div class="row"><span>#${r.id} ${esc(fmtTime(r.inspected_at))}</span>
        <span class="${r.outcome === "issues_found" ? "res-fail" : "res-pass"}">${esc(t("kp.outcome." + r.outcome))}</span></div>
        <div class="sub">${r.officer ? esc(t("kp.by")) + " " + esc(r.officer) + " · " : ""}${r.items.map((i) => `<span class="res-${esc(i.result)}">${esc(labels[i.code] || i.code)}: ${esc(t("kp.res." + i.result))}</span>`).join(" · ")}</div>
        ${r.note ? `<div class="sub">${esc(r.note)}</div>` : ""}${r.orders.length ? `<div class="sub">${esc(t("kp.orders"))}: ${r.orders.map(esc).join(", ")}</div>` : ""}${photos(r.photos)}</li>`).join("") : none;
  }

  function hazards(page) {
    $("p-haz").innerHTML = page.items.length ? page.items.map((h) => `<li><strong>${esc(h.code)}</strong> ${esc(h.title)}
      <div class="sub">${esc(t("hz.cat." + h.category))} · ${esc(t("hz.level." + h.level))} · ${esc(t("hz.incidents"))} ${h.incidents_12m} · ${esc(t("hz.deadline"))} ${esc(h.deadline || "–")}</div></li>`).join("") : none;
  }

  async function load() {
    document.body.dataset.ready = "0";
    try {
      const [r, ins, ord, haz] = await Promise.all([
        api(`/api/v1/premises/${id}/rating`).catch(() => null),
        api(`/api/v1/premises/${id}/inspections?limit=10`),
        api(`/api/v1/rectification-orders?premises_id=${id}&limit=50`),
        api(`/api/v1/hazards?premises_id=${id}&rank=incidents&limit=50`),
      ]);
      if (r) rating(r); else $("p-items").innerHTML = none;
      orders(ord); inspections(ins); hazards(haz);
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  $("p-orders").addEventListener("click", async (e) => {
    const b = e.target.closest("button.step");
    if (!b) return;
    const li = b.closest("li[data-id]");
    const note = li.querySelector("input.note").value.trim();
    const verb = b.dataset.verb;
    if ((verb === "report" || verb === "reject") && !note) { $("status").textContent = t("kp.need_note"); return; }
    b.disabled = true;
    try {
      await api(`/api/v1/rectification-orders/${li.dataset.id}/${verb}`, { method: "POST", body: { note } });
      $("status").textContent = t("kp.done");
    } catch (err) { $("status").textContent = String(err.message || err); }
    load();
  });
  $("p-orders").addEventListener("change", async (e) => {
    const input = e.target.closest("input.photo");
    if (!input || !input.files.length) return;
    const li = input.closest("li[data-id]");
    const fd = new FormData();
    fd.append("file", input.files[0]);
    const r = await fetch(`/api/v1/rectification-orders/${li.dataset.id}/photos`, { method: "POST", body: fd, headers: { "X-CSRF-Token": window.PA.csrf } });
    $("status").textContent = r.ok ? t("kp.done") : window.PA.errorText(await r.json().catch(() => ({})), r.statusText);
  });
  load();
})();
