/* The station board's services-ledger card: today's entries and minutes per community of the
   caller's jurisdiction (from /api/v1/ledger/summary), with how they are counted. */
"use strict";
(function () {
  const { t, api, esc, lang } = window.PA;
  const body = document.querySelector("#ledger-board tbody");
  if (!body) return;
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  api(`/api/v1/ledger/summary?by=community&period=day&since=${today}&until=${today}`).then((s) => {
    body.innerHTML = s.rows.length ? s.rows.slice(0, 30).map((r) => `<tr><td>${esc(lang === "zh-CN" ? r.key_name : r.key_name_en)}</td><td>${r.entries}</td><td>${r.minutes}</td></tr>`).join("")
      : `<tr><td colspan="3" class="muted">${esc(t("lg.none"))}</td></tr>`;
    document.getElementById("ledger-how").textContent = `${t("lg.board_how")} ${s.total_entries} · ${s.total_minutes} ${t("lg.min")}`;
  }).catch((e) => {
    document.getElementById("ledger-how").textContent = String(e.message || e);
  });
})();
