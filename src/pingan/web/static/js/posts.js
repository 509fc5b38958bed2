/* /posts: a station's school gate posts on a day — duty windows staffed / due per station and per
   post (who checked in, when, how far from the gate) — its hospital police rooms (who is on duty,
   hours staffed) and its late rectification orders. */
"use strict";
(function () {
  const { t, api, esc, fmtTime } = window.PA;
  const $ = (id) => document.getElementById(id);
  const pct = (x) => x == null ? "–" : Math.round(100 * x) + "%";
  const none = `<li class="muted">${esc(t("kp.none"))}</li>`;
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  $("ps-day").value = today;

  async function load() {
    document.body.dataset.ready = "0";
    $("status").textContent = t("common.loading");
    try {
      const [c, rooms, late] = await Promise.all([
        api("/api/v1/school-posts/compliance?day=" + encodeURIComponent($("ps-day").value || today)),
        api("/api/v1/police-rooms"),
        api("/api/v1/rectification-orders?late=true&limit=20"),
      ]);
      $("ps-share").textContent = pct(c.share);
      $("ps-count").textContent = `${c.staffed} / ${c.due}`;
      $("ps-stations").querySelector("tbody").innerHTML = c.stations.length ? c.stations.map((s) => `<tr data-station="${esc(s.station_code || "")}">
        <td>${esc(s.station_name || "–")}</td><td>${s.staffed} / ${s.due}</td><td>${pct(s.share)}</td></tr>`).join("") : `<tr><td colspan="3" class="muted">${esc(t("kp.none"))}</td></tr>`;
      $("ps-posts").innerHTML = c.posts.length ? c.posts.map((p) => `<li data-id="${p.post.id}"><strong>${esc(p.post.name)}</strong>
        <div>${p.school_day ? p.slots.map((s) => {
          const cls = s.staffed ? "ok" : (s.due ? "miss" : "");
          const who = s.checkins.map((k) => `${esc(k.officer || "")} ${esc(fmtTime(k.at))} ${Math.round(k.distance_m)} m`).join(", ");
          return `<span class="slot ${cls}">${esc(s.window)} · ${s.staffed ? who : esc(t(s.due ? "ps.missed" : "ps.not_due"))}</span>`;
        }).join("") : `<span class="slot">${esc(t("ps.not_school_day"))}</span>`}</div></li>`).join("") : none;
      $("ps-rooms").innerHTML = rooms.length ? rooms.map((r) => `<li data-id="${r.id}"><strong>${esc(r.name)}</strong> · ${esc(r.phone)}
        <div class="sub">${esc(t("ps.on_duty"))}: ${r.on_duty.length ? r.on_duty.map(esc).join(", ") : esc(t("ps.nobody"))}
        · ${esc(t("ps.hours"))} ${r.staffed_h_7d} / ${r.required_h_7d}</div></li>`).join("") : none;
      $("ps-orders").innerHTML = late.items.length ? late.items.map((o) => `<li><a href="/premises/${o.premises_id}">${esc(o.premises_name)}</a> · ${esc(o.item_label)}
        <div class="sub"><span class="late">${esc(t("kp.deadline"))} ${esc(o.deadline)}</span> · ${esc(t("kp.state." + o.state))}${o.escalation_level ? " · " + esc(t("kp.level." + o.escalation_level)) : ""}</div></li>`).join("") : none;
      $("status").textContent = "";
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }
  $("ps-day").addEventListener("change", load);
  load();
})();
