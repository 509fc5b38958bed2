/* /ledger: record a service in one tap (kind, cell, minutes, a note without personal data), the
   caller's entries, and the counts per officer, cell or community per day or month. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, lang } = window.PA;
  const $ = (id) => document.getElementById(id);
  const none = `<li class="muted">${esc(t("lg.none"))}</li>`;
  const kindsText = (m) => Object.entries(m).map(([k, n]) => `${t("lg.kind." + k)} ${n}`).join(" · ");

  async function entries() {
    const page = await api("/api/v1/ledger/entries?limit=20");
    $("lg-total").textContent = `(${page.total})`;
    $("lg-entries").innerHTML = page.items.length ? page.items.map((e) => `<li data-id="${e.id}"><strong>${esc(t("lg.kind." + e.kind))}</strong> · ${e.minutes} ${esc(t("lg.min"))}
      <div class="sub">${esc(fmtTime(e.at))} · ${esc(e.officer_name || "")} · ${esc(e.community_name || "")} ${esc(e.cell_name || "")}${e.note ? " · " + esc(e.note) : ""}</div></li>`).join("") : none;
  }

  async function summary() {
    const s = await api(`/api/v1/ledger/summary?by=${encodeURIComponent($("lg-by").value)}&period=${encodeURIComponent($("lg-period").value)}&limit=200`);
    $("lg-sum-total").textContent = String(s.total_entries);
    $("lg-sum-min").textContent = `${s.total_minutes} ${t("lg.min")} · ${s.since} – ${s.until}`;
    const rows = s.rows;  // the latest periods first, at most 200 (the server cuts)
    $("lg-summary").querySelector("tbody").innerHTML = rows.length ? rows.map((r) => `<tr data-key="${r.key_id == null ? "" : r.key_id}">
      <td>${esc(r.period)}</td><td>${esc(lang === "zh-CN" ? r.key_name : r.key_name_en)}</td><td>${r.entries}</td><td>${r.minutes}</td><td class="sub">${esc(kindsText(r.by_kind))}</td></tr>`).join("")
      : `<tr><td colspan="5" class="muted">${esc(t("lg.none"))}</td></tr>`;
  }

  async function load() {
    document.body.dataset.ready = "0";
    $("status").textContent = t("common.loading");
    try {
      await Promise.all([entries(), summary()]);
      $("status").textContent = "";
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  const form = $("lg-form");
  if (form) {
    form.addEventListener("submit", async () => {
      const opt = $("lg-cell").selectedOptions[0];
      if (!opt) return;
      const kind = (form.querySelector('input[name="kind"]:checked') || {}).value || "visit";
      $("lg-save").disabled = true;
      $("lg-saved").textContent = "";
      try {
        const e = await api("/api/v1/ledger/entries", {
          method: "POST",
          body: { kind, at: new Date().toISOString(), lon: Number(opt.dataset.lon), lat: Number(opt.dataset.lat), minutes: Number($("lg-minutes").value), note: $("lg-note").value.trim() },
        });
        $("lg-note").value = "";
        $("lg-saved").textContent = `${t("lg.saved")} #${e.id}`;
        await load();
      } catch (err) {
        $("lg-saved").textContent = String(err.message || err);
      }
      $("lg-save").disabled = false;
    });
  }
  $("lg-by").addEventListener("change", load);
  $("lg-period").addEventListener("change", load);
  load();
})();
