/* /supervision: the supervision office's queue of complaints about police conduct. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const rows = document.getElementById("sv-rows");
  const detail = document.getElementById("sv-detail");
  let selected = null;

  function due(c) {
    const d = c.state === "received" ? c.accept_due_at : c.conclude_due_at;
    return d.slice(0, 10);
  }

  async function load() {
    document.body.dataset.ready = "0";
    const state = document.getElementById("sv-state").value;
    const overdue = document.getElementById("sv-overdue").checked ? "&overdue=true" : "";
    try {
      const page = await api(`/api/v1/complaints?limit=200&state=${encodeURIComponent(state)}${overdue}`);
      rows.innerHTML = page.items.length ? page.items.map((c) => `<tr data-id="${c.id}" class="${c.id === selected ? "sel" : ""}">
        <td>${esc(c.code)}</td><td>${esc(t("sv.cat." + c.category))}</td><td>${esc(c.station || "—")}</td>
        <td>${esc(t("sv.st." + c.state))}</td><td class="${c.overdue ? "sv-late" : ""}">${esc(due(c))}${c.overdue ? " " + esc(t("sv.overdue")) : ""}</td>
        <td>${c.level}</td></tr>`).join("") : `<tr><td colspan="6" class="muted">${esc(t("sv.none"))}</td></tr>`;
    } catch (e) {
      rows.innerHTML = `<tr><td colspan="6" class="error">${esc(String(e.message || e))}</td></tr>`;
    }
    document.body.dataset.ready = "1";
  }

  async function show(id) {
    selected = id;
    const c = await api(`/api/v1/complaints/${id}`);
    detail.innerHTML = `<h2>${esc(c.code)} · ${esc(t("sv.st." + c.state))}</h2>
      <p><strong>${esc(t("sv.description"))}</strong></p><p id="sv-text">${esc(c.description || "")}</p>
      <p><strong>${esc(t("sv.officer"))}</strong> ${esc(c.officer_text || "—")}</p>
      <p><strong>${esc(t("sv.phone"))}</strong> ${esc(c.phone_masked || "—")}</p>
      ${c.allowed_transitions.length ? `<label>${esc(t("sv.note"))}<textarea id="sv-note" rows="2"></textarea></label>
      <label>${esc(t("sv.public_note"))}<textarea id="sv-public" rows="3"></textarea></label>
      <div class="actions">${c.allowed_transitions.map((s) => `<button type="button" data-to="${s}">${esc(t("sv.to." + s))}</button>`).join("")}</div>
      <p class="error" id="sv-error" hidden></p>` : `<p>${esc(c.conclusion || "")}</p>`}`;
    load();
  }

  rows.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr) show(Number(tr.dataset.id));
  });
  detail.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-to]");
    if (!b || selected === null) return;
    b.disabled = true;
    try {
      await api(`/api/v1/complaints/${selected}/transition`, {
        method: "POST",
        body: { to_state: b.dataset.to, note: document.getElementById("sv-note").value, public_note: document.getElementById("sv-public").value },
      });
      show(selected);
    } catch (err) {
      const box = document.getElementById("sv-error");
      box.textContent = String(err.message || err);
      box.hidden = false;
      b.disabled = false;
    }
  });
  document.getElementById("sv-state").addEventListener("change", load);
  document.getElementById("sv-overdue").addEventListener("change", load);
  load();
})();
