/* Shared helpers for pingan pages: translations, API calls with the CSRF header. */
"use strict";
window.PA = (function () {
  const i18n = JSON.parse(document.getElementById("i18n").textContent || "{}");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const t = (key) => i18n[key] || key;
  // the actions the permission table allows the signed-in role (pingan.permissions)
  const allowed = new Set((document.body.dataset.can || "").split(" ").filter(Boolean));
  const can = (action) => allowed.has(action);
  const lang = document.documentElement.lang || "zh-CN";
  async function api(path, opts) {
    const o = Object.assign({ headers: {} }, opts || {});
    o.headers = Object.assign({ Accept: "application/json" }, o.headers);
    if (o.body && typeof o.body !== "string") {
      o.body = JSON.stringify(o.body);
      o.headers["Content-Type"] = "application/json";
    }
    if (o.method && o.method !== "GET") o.headers["X-CSRF-Token"] = csrf;
    const r = await fetch(path, o);
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("unauthenticated"); }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const err = new Error(errorText(body, r.statusText));
      Object.assign(err, { status: r.status, code: (body.error || {}).code, key: (body.error || {}).key });
      throw err;
    }
    return body;
  }
  // the text of an API error in the page's language: the server's `display` (pingan.api.error_text),
  // never its English `message` on a Chinese page
  function errorText(body, fallback) {
    const e = (body && body.error) || {};
    return e.display || (lang === "en" && e.message) || fallback || t("common.error");
  }
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // forms marked data-js are sent by the page's script, never by the browser (Enter in a field
  // would otherwise submit them as a GET with their text in the URL); no inline handler: CSP
  document.addEventListener("submit", (e) => {
    if (e.target instanceof HTMLFormElement && e.target.hasAttribute("data-js")) e.preventDefault();
  }, true);
  const fmtTime = (iso) => iso ? new Date(iso).toLocaleString(lang, { hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" }) : "";
  const CLASS_COLORS = { criminal: "#c62828", public_order: "#ef8f00", traffic: "#1565c0", fire: "#d84315", dispute: "#8e24aa", assistance: "#2e7d32", other: "#607d8b" };
  const UNIT_COLORS = { available: "#2e7d32", dispatched: "#ef8f00", on_scene: "#c62828", off_duty: "#9e9e9e" };
  // MapLibre's own control labels in the page language (passed as the maps' `locale`)
  const mapLocale = {
    "Map.Title": t("map.title"), "NavigationControl.ZoomIn": t("map.zoom_in"),
    "NavigationControl.ZoomOut": t("map.zoom_out"), "NavigationControl.ResetBearing": t("map.reset_bearing"),
    "Popup.Close": t("map.popup_close"), "Marker.Title": t("map.marker"),
    "FullscreenControl.Enter": t("map.fullscreen_enter"), "FullscreenControl.Exit": t("map.fullscreen_exit"),
    "GeolocateControl.FindMyLocation": t("map.find_me"), "AttributionControl.ToggleAttribution": t("map.attribution"),
  };
  /* The navigation on a wide screen: the links that do not fit the bar go, in order, under
     「更多」 at its end (a phone keeps one row that scrolls sideways). Drawn again on resize. */
  function fitNav() {
    const nav = document.querySelector("header.topbar .nav");
    if (!nav) return;
    let more = nav.querySelector(".nav-more");
    if (more) { for (const a of [...more.querySelectorAll("a")]) more.before(a); more.open = false; more.hidden = true; }
    if (window.innerWidth < 760 || nav.scrollWidth <= nav.clientWidth) return;
    if (!more) {
      more = document.createElement("details");
      more.className = "nav-more";
      more.innerHTML = `<summary>${esc(t("nav.more"))} ▾</summary><div class="nav-more-list"></div>`;
      nav.append(more);
      more.addEventListener("toggle", () => {
        const list = more.querySelector(".nav-more-list"), box = more.getBoundingClientRect();
        list.style.left = Math.max(8, Math.min(box.left, window.innerWidth - list.offsetWidth - 8)) + "px";
      });
      document.addEventListener("click", (e) => { if (more.open && !more.contains(e.target)) more.open = false; });
      document.addEventListener("keydown", (e) => { if (e.key === "Escape" && more.open) { more.open = false; more.querySelector("summary").focus(); } });
    }
    more.hidden = false;
    const list = more.querySelector(".nav-more-list");
    const links = [...nav.querySelectorAll(":scope > a")];
    while (nav.scrollWidth > nav.clientWidth && links.length > 1) list.prepend(links.pop());
    more.classList.toggle("active", !!list.querySelector("a.active"));
  }
  fitNav();
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(fitNav);
  let navTimer = null;
  window.addEventListener("resize", () => { clearTimeout(navTimer); navTimer = setTimeout(fitNav, 100); });

  return { t, api, errorText, esc, fmtTime, csrf, lang, can, mapLocale, CLASS_COLORS, UNIT_COLORS };
})();
