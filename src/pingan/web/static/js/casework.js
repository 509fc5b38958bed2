/* Casework pages: register a dispute, and the case page's actions (mediation step, transition,
   follow-ups, audited reveal of parties). Every change posts JSON to /api/v1/disputes with the
   CSRF header, then reloads the server-rendered page. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const $ = (id) => document.getElementById(id);
  const msg = (text, ok) => { const el = $("msg"); if (el) { el.textContent = text || ""; el.className = "cw-msg " + (ok ? "ok" : "err"); } };
  const val = (form, name) => { const el = form.elements[name]; return el ? el.value.trim() : ""; };
  const num = (s) => (s === "" ? null : Number(s));

  // ---------------------------------------------------------------- register
  const reg = $("register-form");
  if (reg) {
    $("use-location").addEventListener("click", () => {
      if (!navigator.geolocation) { msg(t("casework.msg.nogeo")); return; }
      navigator.geolocation.getCurrentPosition(
        (p) => { reg.elements.lon.value = p.coords.longitude.toFixed(6); reg.elements.lat.value = p.coords.latitude.toFixed(6); },
        () => msg(t("casework.msg.nogeo")),
      );
    });
    $("register").addEventListener("click", async () => {
      const body = { kind: val(reg, "kind"), source: val(reg, "source"), summary: val(reg, "summary"), parties: [] };
      if (val(reg, "address_text")) body.address_text = val(reg, "address_text");
      if (val(reg, "lon") || val(reg, "lat")) { body.lon = num(val(reg, "lon")); body.lat = num(val(reg, "lat")); }
      if (val(reg, "incident_id")) body.incident_id = num(val(reg, "incident_id"));
      // the place is checked here so that the message is in the page language
      const hasPoint = body.lon !== undefined && Number.isFinite(body.lon) && Number.isFinite(body.lat);
      if (body.lon !== undefined && !hasPoint) { msg(t("casework.msg.lonlat")); return; }
      if (!hasPoint && !body.incident_id) { msg(t("casework.msg.place")); return; }
      for (const f of ["threats_reported", "violence_reported", "weapons_mentioned"]) body[f] = reg.elements[f].checked;
      for (const fs of reg.querySelectorAll("fieldset[data-party]")) {
        const q = (n) => fs.querySelector(`[name="${n}"]`);
        const name = q("display_name").value.trim();
        if (!name) continue;
        const p = { role: q("role").value, display_name: name, vulnerable: q("vulnerable").checked };
        if (q("phone").value.trim()) p.phone = q("phone").value.trim();
        if (q("vulnerable_reason").value) p.vulnerable_reason = q("vulnerable_reason").value;
        body.parties.push(p);
      }
      try {
        const d = await api("/api/v1/disputes", { method: "POST", body });
        location.href = "/casework/disputes/" + d.id;
      } catch (e) { msg(e.message); }
    });
  }

  // ---------------------------------------------------------------- case page
  const box = $("case");
  if (!box) { document.body.dataset.ready = "1"; return; }  // the register form: drawn
  const base = "/api/v1/disputes/" + box.dataset.id;
  async function send(path, body, method) {
    try { await api(base + path, { method: method || "POST", body }); location.reload(); }
    catch (e) { msg(e.message); }
  }
  box.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-act]");
    if (!b) return;
    const act = b.dataset.act;
    if (act === "step") {
      const f = $("step-form");
      const body = { held_on: val(f, "held_on"), mediator: val(f, "mediator"), method: val(f, "method"), outcome: val(f, "outcome"), note: val(f, "note") };
      if (val(f, "next_on")) body.next_on = val(f, "next_on");
      await send("/mediation-steps", body);
    } else if (act === "transition") {
      const f = $("transition-form");
      const body = { to_state: b.dataset.to, note: val(f, "note") };
      if (b.dataset.to === "referred" && val(f, "referral_target")) body.referral_target = val(f, "referral_target");
      if (b.dataset.to === "resolved" && val(f, "follow_up_on")) body.follow_up_on = val(f, "follow_up_on");
      await send("/transitions", body);
    } else if (act === "follow-up") {
      await send("/follow-ups", { due_on: val($("follow-up-form"), "due_on") });
    } else if (act === "record") {
      await send(`/follow-ups/${b.dataset.fu}/record`, { outcome: b.dataset.outcome });
    } else if (act === "reveal") {
      const reason = val($("reveal-form"), "reason");
      if (!reason) { msg(t("casework.msg.reason")); return; }
      try {
        const out = await api(base + "/parties/reveal", { method: "POST", body: { reason } });
        for (const p of out) {
          const li = document.querySelector(`li[data-party="${p.id}"]`);
          if (!li) continue;
          li.querySelector(".pname").innerHTML = esc(p.display_name);
          li.querySelector(".pphone").innerHTML = esc(p.phone || "");
        }
        msg(t("casework.msg.revealed"), true);
      } catch (e) { msg(e.message); }
    }
  });
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  const held = document.querySelector('#step-form input[name="held_on"]');
  if (held && !held.value) held.value = today;
  document.body.dataset.ready = "1";
})();
