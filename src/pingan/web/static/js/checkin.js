/* /posts/checkin: check in at a school gate from a phone. The posts of the officer's jurisdiction,
   nearest first; a tap sends the phone's location; a refusal says how far the gate is or which
   duty windows apply. Police-room duty: go on and off duty. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const $ = (id) => document.getElementById(id);
  const fmt = (k, o) => t(k).replace(/\{(\w+)\}/g, (_, n) => String(o[n]));
  let here = null;
  let posts = [];

  function metres(a, b) {
    const r = Math.PI / 180, dy = (b.lat - a.lat) * r, dx = (b.lon - a.lon) * r * Math.cos((a.lat + b.lat) * r / 2);
    return Math.round(6371008.8 * Math.hypot(dx, dy));
  }
  function position() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
      navigator.geolocation.getCurrentPosition((p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }), reject, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
    });
  }
  function draw() {
    const rows = posts.map((p) => ({ p, d: here ? metres(here, p) : null }));
    rows.sort((a, b) => (a.d ?? 0) - (b.d ?? 0));
    $("ck-posts").innerHTML = rows.length ? rows.map(({ p, d }) => `<li data-id="${p.id}"><div class="row"><div><strong>${esc(p.name)}</strong>
      <div class="sub">${esc(p.windows)}${d != null ? " · " + esc(fmt("ck.away", { d })) : ""}</div></div>
      <button type="button" class="go" data-id="${p.id}">${esc(t("ck.button"))}</button></div></li>`).join("") : `<li class="muted">${esc(t("ck.none"))}</li>`;
  }
  function result(text, good) {
    $("ck-result").textContent = text;
    $("ck-result").className = good ? "good" : "bad";
  }

  async function checkIn(id) {
    let pos;
    try { pos = await position(); } catch (e) { result(t("ck.no_gps"), false); return; }
    here = pos;
    $("ck-where").textContent = `${pos.lat.toFixed(5)}, ${pos.lon.toFixed(5)}`;
    const r = await fetch(`/api/v1/school-posts/${id}/checkins`, {
      method: "POST", body: JSON.stringify(pos),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": window.PA.csrf },
    });
    const body = await r.json().catch(() => ({}));
    if (r.ok) {
      const k = body;
      result(k.already ? fmt("ck.already", { at: window.PA.fmtTime(k.at) }) : fmt("ck.ok", { post: k.post_name, window: k.window, d: Math.round(k.distance_m) }), true);
      $("ck-result").dataset.ok = "1";
    } else {
      const err = body.error || {}, det = err.detail || {};
      if (r.status === 422 && det.distance_m != null) result(fmt("ck.far", { d: Math.round(det.distance_m), r: Math.round(det.radius_m) }), false);
      else if (r.status === 409 && det.windows) result(fmt("ck.window", { w: det.windows.join(", "), now: det.local_time }), false);
      else if (r.status === 409) result(t("ck.not_day"), false);
      else result(window.PA.errorText(body, r.statusText), false);
      $("ck-result").dataset.ok = "0";
    }
    draw();
  }

  async function rooms() {
    const list = await api("/api/v1/police-rooms");
    const me = document.querySelector(".who") ? document.querySelector(".who").textContent.split(" · ")[0].trim() : "";
    $("ck-rooms").innerHTML = list.map((r) => {
      const on = r.on_duty.includes(me);
      return `<li><div class="row"><div><strong>${esc(r.name)}</strong><div class="sub">${esc(t("ps.on_duty"))}: ${r.on_duty.length ? r.on_duty.map(esc).join(", ") : esc(t("ps.nobody"))}</div></div>
        <button type="button" class="shift" data-id="${r.id}" data-what="${on ? "end" : "start"}">${esc(t(on ? "ck.end" : "ck.start"))}</button></div></li>`;
    }).join("");
  }

  $("ck-posts").addEventListener("click", (e) => {
    const b = e.target.closest("button.go");
    if (!b) return;
    b.disabled = true;
    checkIn(b.dataset.id).finally(() => { b.disabled = false; });
  });
  $("ck-rooms").addEventListener("click", async (e) => {
    const b = e.target.closest("button.shift");
    if (!b) return;
    try { await api(`/api/v1/police-rooms/${b.dataset.id}/shifts/${b.dataset.what}`, { method: "POST" }); } catch (err) { result(String(err.message || err), false); }
    rooms();
  });

  async function start() {
    try {
      posts = await api("/api/v1/school-posts");
      draw();
      await rooms();
    } catch (e) {
      result(String(e.message || e), false);
    }
    document.body.dataset.ready = "1";
    position().then((p) => { here = p; $("ck-where").textContent = `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`; draw(); })
      .catch(() => { $("ck-where").textContent = t("ck.no_gps"); });
  }
  start();
})();
