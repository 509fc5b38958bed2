/* /volunteers: the teams of the station's communities with their members (masked), today's
   shifts with check-in and check-out, hours per team and the recognition list, and the hot
   cells without a team shift this week with a button to send a team there tonight. */
"use strict";
(function () {
  const { t, api, esc, can } = window.PA;
  const $ = (id) => document.getElementById(id);
  const none = `<li class="muted">${esc(t("vt.none"))}</li>`;
  const hm = (iso) => iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" }) : "–";
  let teams = [];
  let current = null;

  function drawTeams() {
    $("vt-teams").innerHTML = teams.length ? teams.map((tm) => `<li data-id="${tm.id}" class="${current === tm.id ? "sel" : ""}"><a href="#" data-team="${tm.id}">${esc(tm.name)}</a>
      <div class="sub">${esc(t("vt.kind." + tm.kind))} · ${esc(tm.community_name)} · ${tm.members} ${esc(t("vt.people"))}</div></li>`).join("") : none;
  }

  async function members(id) {
    current = id;
    drawTeams();
    const tm = teams.find((x) => x.id === id);
    $("vt-team-title").textContent = tm ? tm.name : "";
    const rows = await api(`/api/v1/volunteers/teams/${id}/members`);
    $("vt-members").innerHTML = rows.length ? rows.map((m) => `<li data-id="${m.id}">${esc(m.name_masked)} <span class="sub">${esc(m.phone_masked || "")} · ${esc(t("vt.joined"))} ${esc(m.joined_on)}${m.user_id ? " · " + esc(t("vt.has_account")) : ""}</span></li>`).join("") : none;
    if ($("vt-member-add")) $("vt-member-add").disabled = false;
    if ($("vt-reveal")) $("vt-reveal").disabled = false;
    if ($("vt-contacts")) $("vt-contacts").innerHTML = "";
  }

  function tonight() {
    const now = new Date();
    const local = new Date(now.getTime() + 8 * 3600e3);
    const day = local.toISOString().slice(0, 10);
    let start = new Date(`${day}T19:00:00+08:00`);
    if (start.getTime() < now.getTime()) start = new Date(now.getTime() + 60e3);
    return { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600e3).toISOString() };
  }

  async function load() {
    document.body.dataset.ready = "0";
    $("status").textContent = t("common.loading");
    try {
      const [tm, shifts, hours, hot] = await Promise.all([
        api("/api/v1/volunteers/teams"),
        api("/api/v1/volunteers/shifts"),
        api("/api/v1/volunteers/hours"),
        api("/api/v1/volunteers/hot-cells"),
      ]);
      teams = tm;
      drawTeams();
      $("vt-shifts").querySelector("tbody").innerHTML = shifts.length ? shifts.map((s) => `<tr data-id="${s.id}"><td>${esc(s.team_name)}</td><td>${esc(s.member_name_masked)}</td><td>${esc(s.place || s.cell_name || "")}</td>
        <td>${hm(s.starts_at)}–${hm(s.ends_at)}</td><td>${hm(s.checked_in_at)}</td><td>${hm(s.checked_out_at)}</td><td><span class="state ${s.state}">${esc(t("vt.state." + s.state))}</span></td></tr>`).join("")
        : `<tr><td colspan="7" class="muted">${esc(t("vt.none"))}</td></tr>`;
      $("vt-hours-span").textContent = `${hours.since} – ${hours.until}`;
      $("vt-team-hours").querySelector("tbody").innerHTML = hours.teams.length ? hours.teams.map((r) => `<tr><td>${esc(r.name)}</td><td>${r.shifts_done} / ${r.shifts}</td><td>${r.hours.toFixed(1)}</td></tr>`).join("")
        : `<tr><td colspan="3" class="muted">${esc(t("vt.none"))}</td></tr>`;
      $("vt-recognition").innerHTML = hours.recognition.length ? hours.recognition.map((r, i) => `<li>${i + 1}. ${esc(r.name)} · ${esc(r.team_name)} <strong>${r.hours.toFixed(1)} h</strong></li>`).join("") : none;
      $("vt-hot").innerHTML = hot.length ? hot.map((c) => `<li data-cell="${esc(c.cell_code)}"><strong>${esc(c.community_name)} ${esc(c.cell_name)}</strong> <span class="sub">${esc(t("vt.heat"))} ${c.heat}</span>
        <div>${c.teams.length ? c.teams.map((tm) => can("volunteer.manage") ? `<button type="button" class="small" data-assign="${tm.id}" data-cell="${esc(c.cell_code)}">${esc(t("vt.send"))} ${esc(tm.name)}</button>` : esc(tm.name)).join(" ") : `<span class="sub">${esc(t("vt.no_team"))}</span>`}</div></li>`).join("") : none;
      if (current == null && teams.length) await members(teams[0].id);
      $("status").textContent = "";
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  $("vt-teams").addEventListener("click", (e) => {
    const a = e.target.closest("a[data-team]");
    if (!a) return;
    e.preventDefault();
    members(Number(a.dataset.team)).catch((err) => { $("status").textContent = String(err.message || err); });
  });
  $("vt-hot").addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-assign]");
    if (!b) return;
    b.disabled = true;
    try {
      await api("/api/v1/volunteers/assignments", { method: "POST", body: Object.assign({ team_id: Number(b.dataset.assign), cell_code: b.dataset.cell }, tonight()) });
      await load();
    } catch (err) {
      $("status").textContent = String(err.message || err);
      b.disabled = false;
    }
  });
  const tf = $("vt-team-form");
  if (tf) tf.addEventListener("submit", async () => {
    try {
      const tm = await api("/api/v1/volunteers/teams", { method: "POST", body: { community_code: $("vt-com").value, kind: $("vt-kind").value, name: $("vt-name").value.trim() } });
      $("vt-name").value = "";
      $("vt-team-msg").textContent = `${t("vt.saved")} ${tm.code}`;
      current = tm.id;
      await load();
      await members(tm.id);
    } catch (err) {
      $("vt-team-msg").textContent = String(err.message || err);
    }
  });
  const rf = $("vt-reveal-form");
  if (rf) rf.addEventListener("submit", async () => {
    if (current == null) return;
    const reason = $("vt-reveal-reason").value.trim();
    if (!reason) { $("vt-reveal-reason").focus(); return; }
    try {
      const rows = await api(`/api/v1/volunteers/teams/${current}/members/reveal`, { method: "POST", body: { reason } });
      $("vt-contacts").innerHTML = rows.map((m) => `<li data-id="${m.id}">${esc(m.name)} <span class="sub">${esc(m.phone || "")}</span></li>`).join("") || none;
    } catch (err) {
      $("status").textContent = String(err.message || err);
    }
  });
  const mf = $("vt-member-form");
  if (mf) mf.addEventListener("submit", async () => {
    if (current == null) return;
    try {
      const phone = $("vt-m-phone").value.trim();
      await api(`/api/v1/volunteers/teams/${current}/members`, { method: "POST", body: Object.assign({ name: $("vt-m-name").value.trim() }, phone ? { phone } : {}) });
      $("vt-m-name").value = "";
      $("vt-m-phone").value = "";
      $("vt-member-msg").textContent = t("vt.saved");
      teams = await api("/api/v1/volunteers/teams");
      await members(current);
    } catch (err) {
      $("vt-member-msg").textContent = String(err.message || err);
    }
  });

  load();
})();
