/* /hazards: open hazards per level of government, those touching most incidents first. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const canClose = document.getElementById("board").dataset.canClose === "1";
  const today = new Date().toISOString().slice(0, 10);

  async function load() {
    document.body.dataset.ready = "0";
    try {
      const page = await api("/api/v1/hazards?status=open&rank=incidents&limit=1000");
      for (const level of ["station", "district", "city"]) {
        const rows = page.items.filter((h) => h.level === level);
        document.getElementById("lv-" + level).innerHTML = rows.length ? rows.map((h) => `<li data-id="${h.id}">
          <div><strong>${esc(h.code)}</strong> ${esc(h.title)}</div>
          <div class="sub">${esc(t("hz.cat." + h.category))} · ${esc(t("hz.incidents"))} ${h.incidents_12m}
            · <span class="${h.deadline && h.deadline < today ? "late" : ""}">${esc(t("hz.deadline"))} ${esc(h.deadline || "–")}</span></div>
          ${canClose ? `<button type="button" class="close" data-id="${h.id}">${esc(t("hz.close"))}</button>` : ""}
        </li>`).join("") : `<li class="muted">${esc(t("hz.none"))}</li>`;
      }
    } catch (e) {
      document.getElementById("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  document.getElementById("board").addEventListener("click", async (e) => {
    const b = e.target.closest("button.close");
    if (!b) return;
    b.disabled = true;
    try {
      await api(`/api/v1/hazards/${b.dataset.id}/close`, { method: "POST" });
    } catch (err) {
      document.getElementById("status").textContent = String(err.message || err);
    }
    load();
  });
  load();
})();
