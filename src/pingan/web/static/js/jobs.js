/* /jobs: run a scheduled job now and follow the run until it ends, then redraw the page. */
"use strict";
(function () {
  const { t, api } = window.PA;
  async function follow(id, btn) {
    for (let i = 0; i < 600; i++) {
      const run = await api(`/api/v1/scheduler/runs/${id}`);
      if (run.status !== "running") { location.reload(); return; }
      btn.textContent = `${t("jobs.st.running")} ${i + 1} s`;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  document.querySelectorAll("button.run-now").forEach((btn) => {
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      const row = btn.closest("tr");
      try {
        const run = await api(`/api/v1/scheduler/jobs/${encodeURIComponent(btn.dataset.job)}/run`, { method: "POST" });
        row.querySelector(".status").innerHTML = `<span class="badge st-running">${t("jobs.st.running")}</span>`;
        await follow(run.id, btn);
      } catch (e) {
        row.querySelector(".summary").innerHTML = `<span class="error">${window.PA.esc(e.message)}</span>`;
        btn.disabled = false;
      }
    });
  });
  document.body.dataset.ready = "1";
})();
