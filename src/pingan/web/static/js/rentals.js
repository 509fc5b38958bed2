/* /rentals: the rental-registration queue (出租房登记审核). Stays registered by landlords
   through a house's QR plate: verify or refuse (with what to correct), reveal the tenant with a
   reason (audited); the stays of one house; the share of houses registered and how it is
   computed. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, can } = window.PA;
  const $ = (id) => document.getElementById(id);
  let stays = new Map();
  let selected = null;
  let house = null;

  const dates = (s) => `${esc(s.start_date)} — ${esc(s.end_date)}`;
  const stTag = (s) => esc(t("rn.st." + s.state)) + (s.expired ? " · " + esc(t("rn.expired")) : "");

  async function loadHouses() {
    const page = await api("/api/v1/rental-houses?limit=1000");
    const share = page.registered_share === null ? "—" : Math.round(page.registered_share * 1000) / 10 + "%";
    $("rn-share").innerHTML = `${esc(t("rn.share"))} <strong id="rn-share-value">${esc(share)}</strong>
      · ${esc(t("rn.share_of").replace("{n}", page.houses_with_stay).replace("{m}", page.total))}
      <p class="muted" id="rn-share-how">${esc(t("rn.share_how"))}</p>`;
    $("rn-houses").innerHTML = page.items.length ? page.items.map((h) => `<tr data-house="${h.premises_id}" data-name="${esc(h.name)}">
      <td>${esc(h.name)}</td><td>${esc(h.address || "")}</td><td>${h.stays_in_force}</td>
      <td><a href="${esc(h.plate)}" target="_blank" rel="noopener">${esc(t("rn.print"))}</a></td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">${esc(t("rn.no_houses"))}</td></tr>`;
  }

  async function loadStays() {
    const st = $("rn-state").value;
    const q = new URLSearchParams({ limit: "200" });
    if (st) q.set("state", st);
    if (house) q.set("premises_id", String(house));
    const page = await api("/api/v1/rental-stays?" + q.toString());
    stays = new Map(page.items.map((s) => [s.id, s]));
    $("rn-rows").innerHTML = page.items.length ? page.items.map((s) => `<tr data-id="${s.id}" class="${s.id === selected ? "sel" : ""}">
      <td>${esc(s.premises_name)}</td><td>${s.tenant_count}</td><td>${dates(s)}</td>
      <td>${esc(s.tenant_name_masked || "—")} ${esc(s.tenant_id_masked || "")}</td><td>${stTag(s)}</td></tr>`).join("")
      : `<tr><td colspan="5" class="muted" id="rn-none">${esc(t("rn.none"))}</td></tr>`;
  }

  async function load() {
    document.body.dataset.ready = "0";
    try {
      await Promise.all([loadStays(), house ? Promise.resolve() : loadHouses()]);
    } catch (e) {
      $("rn-rows").innerHTML = `<tr><td colspan="5" class="error">${esc(String(e.message || e))}</td></tr>`;
    }
    document.body.dataset.ready = "1";
  }

  function show(id) {
    selected = id;
    $("rn-rows").querySelectorAll("tr.sel").forEach((tr) => tr.classList.remove("sel"));
    const tr = $("rn-rows").querySelector(`tr[data-id="${id}"]`);
    if (tr) tr.classList.add("sel");
    const s = stays.get(id);
    if (!s) return;
    const review = s.state === "submitted" && can("rental.review");
    $("rn-detail").innerHTML = `<h2 id="rn-head">${esc(s.premises_name)} · ${stTag(s)}</h2>
      <dl><dt>${esc(t("rn.col.dates"))}</dt><dd>${dates(s)}</dd>
      <dt>${esc(t("rn.col.tenants"))}</dt><dd>${s.tenant_count}</dd>
      <dt>${esc(t("rn.col.tenant"))}</dt><dd id="rn-masked">${esc(s.tenant_name_masked || "—")} · ${esc(s.tenant_id_masked || "—")}</dd>
      <dt>${esc(t("rn.registered"))}</dt><dd>${esc(fmtTime(s.created_at))}</dd></dl>
      ${review ? `<label>${esc(t("rn.note"))}<textarea id="rn-note" rows="2" maxlength="500"></textarea></label>
      <div class="actions"><button type="button" class="primary" data-to="accepted">${esc(t("rn.do.accepted"))}</button>
      <button type="button" data-to="returned">${esc(t("rn.do.returned"))}</button></div>` : ""}
      ${can("rental.review") ? `<details id="rn-reveal-box"><summary>${esc(t("rn.reveal"))}</summary>
        <label>${esc(t("rn.reason"))}<textarea id="rn-reason" rows="2" maxlength="500"></textarea></label>
        <div class="actions"><button type="button" id="rn-reveal">${esc(t("rn.do.reveal"))}</button></div>
        <p class="muted">${esc(t("rn.reveal_audited"))}</p></details>` : ""}
      <div id="rn-revealed"></div>
      <p><button type="button" id="rn-house-stays" data-house="${s.premises_id}" data-name="${esc(s.premises_name)}">${esc(t("rn.house_stays"))}</button></p>
      <p class="error" id="rn-error" hidden></p>`;
  }

  function fail(err, btn) {
    const box = $("rn-error");
    box.textContent = String(err.message || err);
    box.hidden = false;
    if (btn) btn.disabled = false;
  }

  function pickHouse(id, name) {
    house = id;
    $("rn-house-name").textContent = t("rn.house_of").replace("{name}", name);
    $("rn-house-filter").hidden = false;
    $("rn-state").value = "";
    load();
  }

  $("rn-rows").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr) show(Number(tr.dataset.id));
  });
  $("rn-houses").addEventListener("click", (e) => {
    if (e.target.closest("a")) return;
    const tr = e.target.closest("tr[data-house]");
    if (tr) pickHouse(Number(tr.dataset.house), tr.dataset.name);
  });
  $("rn-detail").addEventListener("click", async (e) => {
    const b = e.target.closest("button");
    if (!b || selected === null) return;
    const id = selected;
    if (b.dataset.to) {
      b.disabled = true;
      try {
        await api(`/api/v1/rental-stays/${id}/review`, { method: "POST", body: { to_state: b.dataset.to, note: $("rn-note").value.trim() } });
        const s = stays.get(id);
        await load();
        if (!stays.has(id) && s) stays.set(id, Object.assign({}, s, { state: b.dataset.to }));
        show(id);
      } catch (err) { fail(err, b); }
    } else if (b.id === "rn-reveal") {
      b.disabled = true;
      try {
        const r = await api(`/api/v1/rental-stays/${id}/reveal`, { method: "POST", body: { reason: $("rn-reason").value.trim() } });
        $("rn-revealed").innerHTML = `<div class="rn-revealed" id="rn-revealed-data">${esc(r.tenant_name || "—")} · ${esc(r.tenant_id_no || "—")} · ${esc(t("rn.landlord"))} ${esc(r.landlord_phone || "—")}</div>`;
      } catch (err) { fail(err, b); }
    } else if (b.id === "rn-house-stays") {
      pickHouse(Number(b.dataset.house), b.dataset.name);
    }
  });
  $("rn-house-clear").addEventListener("click", () => { house = null; $("rn-house-filter").hidden = true; $("rn-state").value = "submitted"; load(); });
  $("rn-state").addEventListener("change", load);
  load();
})();
