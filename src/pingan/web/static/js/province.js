/* /province: the page is drawn by the server. The button (roles that may run the province
   analyses) starts the scheduler's job "province" and follows the run until it ends, then
   draws the page again with the new results. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const btn = document.getElementById("province-run");
  const status = document.getElementById("province-last-run");

  async function follow(id) {
    for (let i = 0; i < 3600; i++) {
      const run = await api(`/api/v1/scheduler/province/runs/${id}`);
      if (run.status !== "running") {
        status.dataset.status = run.status;
        status.innerHTML = `<span class="badge st-${esc(run.status)}">${esc(t("jobs.st." + run.status))}</span>`;
        location.reload();
        return;
      }
      btn.textContent = `${t("jobs.st.running")} ${i + 1} s`;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  if (btn) {
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        const run = await api("/api/v1/scheduler/province/run", { method: "POST" });
        status.dataset.run = String(run.id);
        status.dataset.status = "running";
        status.innerHTML = `<span class="badge st-running">${esc(t("jobs.st.running"))}</span>`;
        await follow(run.id);
      } catch (e) {
        status.innerHTML = `<span class="error">${esc(e.message)}</span>`;
        btn.disabled = false;
      }
    });
    if (btn.dataset.following) follow(btn.dataset.following);
  }
  document.body.dataset.ready = "1";
})();
