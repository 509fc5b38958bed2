/* /premises/{id}/inspect: the inspection form on a phone — each checklist item of the premises'
   kind pass / fail / not applicable (a failed item asks what is wrong and opens a rectification
   order), owner, days to fix, notes, photos, the phone's location; submitted, the premises is
   rated again and the new stars are shown. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const $ = (id) => document.getElementById(id);
  const id = $("in-name").dataset.id;
  const en = window.PA.lang === "en";
  const fmt = (k, o) => t(k).replace(/\{(\w+)\}/g, (_, n) => String(o[n]));
  let where = null;
  let items = [];

  function locate() {
    if (!navigator.geolocation) { $("in-where").textContent = t("in.no_location"); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      where = { lon: pos.coords.longitude, lat: pos.coords.latitude };
      $("in-where").textContent = `${t("in.located")} (${where.lat.toFixed(5)}, ${where.lon.toFixed(5)})`;
    }, () => { $("in-where").textContent = t("in.no_location"); }, { enableHighAccuracy: true, timeout: 8000 });
  }

  async function load() {
    try {
      const form = await api(`/api/v1/premises/${id}/inspection-form`);
      items = form.items;
      $("in-items").innerHTML = items.map((i) => `<fieldset data-code="${esc(i.code)}"><legend>${esc(en ? i.label_en : i.label)}</legend>
        <div class="choices">${["pass", "fail", "na"].map((r) => `<label class="${r}"><input type="radio" name="r-${esc(i.code)}" value="${r}">${esc(t("kp.res." + r))}</label>`).join("")}</div>
        <input type="text" class="item-note" maxlength="500" placeholder="${esc(t("in.item_note"))}"></fieldset>`).join("");
    } catch (e) {
      $("in-result").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  $("in-items").addEventListener("change", (e) => {
    const fs = e.target.closest("fieldset");
    if (fs && e.target.type === "radio") fs.classList.toggle("failed", e.target.value === "fail");
  });

  $("in-photos").addEventListener("change", () => {
    $("in-photo-n").textContent = $("in-photos").files.length ? `${$("in-photos").files.length} ✓` : "";
  });

  $("in-form").addEventListener("submit", async () => {
    const chosen = items.map((i) => {
      const fs = document.querySelector(`fieldset[data-code="${i.code}"]`);
      const r = fs.querySelector("input[type=radio]:checked");
      return r ? { code: i.code, result: r.value, note: fs.querySelector(".item-note").value.trim() } : null;
    });
    if (chosen.some((c) => c === null)) { $("in-result").textContent = t("in.missing"); return; }
    const body = { items: chosen, note: $("in-note").value.trim(), owner: $("in-owner").value.trim(), deadline_days: Number($("in-days").value) };
    if (where) Object.assign(body, where);
    $("in-submit").disabled = true;
    $("in-result").textContent = t("in.sending");
    try {
      const out = await api(`/api/v1/premises/${id}/inspections`, { method: "POST", body });
      for (const f of $("in-photos").files) {
        const fd = new FormData();
        fd.append("file", f);
        await fetch(`/api/v1/inspections/${out.id}/photos`, { method: "POST", body: fd, headers: { "X-CSRF-Token": window.PA.csrf } });
      }
      $("in-result").textContent = fmt("in.result", { stars: out.stars, orders: out.orders.length });
      $("in-result").dataset.orders = String(out.orders.length);
      $("in-result").dataset.stars = String(out.stars);
    } catch (e) {
      $("in-result").textContent = String(e.message || e);
      $("in-submit").disabled = false;
    }
  });
  locate();
  load();
})();
