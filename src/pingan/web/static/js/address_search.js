/* address_search.js — live address suggestions from GET /api/v1/geocode (pingan.geocoding).
 *
 * Attach to a text input:
 *
 *   <input id="intake-address" type="text" autocomplete="off" data-address-search
 *          data-limit="8" data-delay-ms="150" data-min-chars="1"
 *          data-label-empty="无匹配地址" data-label-error="地址搜索失败"
 *          data-label-list="地址候选" data-label-address="门牌" data-label-premises="单位"
 *          data-label-road="道路" data-label-junction="路口">
 *   <script src="/static/js/address_search.js"></script>
 *
 * Every input with `data-address-search` is attached when the page has loaded; or attach by
 * hand: `const ctl = PingAnAddressSearch.attach(input, {limit: 8, delayMs: 150, minChars: 1,
 * endpoint: "/api/v1/geocode", strings: {...}})`. The controller has `search(q)` (now, no
 * debounce), `close()`, `destroy()` (removes the list and every listener) and `results`.
 *
 * Typing shows debounced suggestions (the newest answer wins; an older request is aborted).
 * Keyboard: ArrowDown / ArrowUp move through them, Enter picks the highlighted one (the first
 * if none is), Escape closes the list; a click picks too. Picking sets the input to the label
 * and dispatches a bubbling `address:pick` CustomEvent on the input whose `detail` is
 * `{label, lon, lat, kind, jurisdiction_code, score}` (kind: address | premises | road |
 * junction; WGS-84 lon/lat):
 *
 *   input.addEventListener("address:pick", (e) => map.flyTo({center: [e.detail.lon, e.detail.lat]}));
 *
 * Strings come from the `data-label-*` attributes (the page fills them from its i18n file), else
 * from the built-in zh-CN or en set chosen by `<html lang>`. No inline handlers, no innerHTML of
 * server text (labels are set as text), nothing loaded from outside: it runs under the CSP.
 * The list is an ARIA listbox (`role="combobox"` on the input, `aria-activedescendant`).
 */
"use strict";
window.PingAnAddressSearch = (function () {
  const BUILTIN = {
    "zh-CN": { empty: "无匹配地址", error: "地址搜索失败", list: "地址候选",
      address: "门牌", premises: "单位", road: "道路", junction: "路口" },
    en: { empty: "No matching address", error: "Address search failed", list: "Address suggestions",
      address: "Door plate", premises: "Premises", road: "Road", junction: "Junction" },
  };
  const KEYS = ["empty", "error", "list", "address", "premises", "road", "junction"];
  let counter = 0;

  function strings(input, given) {
    const lang = (document.documentElement.lang || "zh-CN").toLowerCase().startsWith("en") ? "en" : "zh-CN";
    const out = Object.assign({}, BUILTIN[lang]);
    for (const k of KEYS) {
      const v = input.getAttribute("data-label-" + k);
      if (v) out[k] = v;
    }
    return Object.assign(out, given || {});
  }

  function num(v, dflt) {
    const n = Number(v);
    return Number.isFinite(n) && v !== null && v !== "" ? n : dflt;
  }

  function attach(input, options) {
    if (input._addressSearch) return input._addressSearch;
    const o = options || {};
    const limit = num(o.limit ?? input.dataset.limit, 8);
    const delayMs = num(o.delayMs ?? input.dataset.delayMs, 150);
    const minChars = num(o.minChars ?? input.dataset.minChars, 1);
    const endpoint = o.endpoint || input.dataset.endpoint || "/api/v1/geocode";
    const s = strings(input, o.strings);
    const id = "address-search-" + (++counter);

    const list = document.createElement("ul");
    list.id = id;
    list.className = "address-search-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", s.list);
    list.hidden = true;
    Object.assign(list.style, {
      position: "absolute", zIndex: "1000", margin: "0", padding: "2px 0", listStyle: "none",
      background: "#fff", border: "1px solid #b0bec5", borderRadius: "4px", maxHeight: "320px",
      overflowY: "auto", boxShadow: "0 4px 12px rgba(0,0,0,.15)", font: "inherit", minWidth: "16em",
    });
    document.body.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");

    let results = [];
    let active = -1;
    let timer = 0;
    let seq = 0;
    let inflight = null;

    function place() {
      const r = input.getBoundingClientRect();
      list.style.left = (r.left + window.scrollX) + "px";
      list.style.top = (r.bottom + window.scrollY + 2) + "px";
      list.style.width = r.width + "px";
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((el, k) => {
        const on = k === i;
        el.setAttribute("aria-selected", on ? "true" : "false");
        el.style.background = on ? "#e3f2fd" : "";
      });
      active = i;
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function message(text) {
      list.replaceChildren();
      const li = document.createElement("li");
      li.className = "address-search-message";
      li.textContent = text;
      Object.assign(li.style, { padding: "4px 8px", color: "#607d8b" });
      list.appendChild(li);
      place();
      list.hidden = false;
      input.setAttribute("aria-expanded", "false");
    }

    function render() {
      list.replaceChildren();
      if (!results.length) { message(s.empty); return; }
      results.forEach((r, i) => {
        const li = document.createElement("li");
        li.id = id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "address-search-option";
        li.dataset.kind = r.kind;
        Object.assign(li.style, { padding: "4px 8px", cursor: "pointer", display: "flex", gap: "8px" });
        const label = document.createElement("span");
        label.className = "address-search-label";
        label.textContent = r.label;
        const kind = document.createElement("span");
        kind.className = "address-search-kind";
        kind.textContent = s[r.kind] || r.kind;
        Object.assign(kind.style, { marginLeft: "auto", color: "#78909c", fontSize: "0.85em" });
        li.append(label, kind);
        list.appendChild(li);
      });
      place();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    async function search(q) {
      const text = (q ?? input.value).trim();
      const mine = ++seq;
      if (inflight) inflight.abort();
      if (text.length < minChars) { results = []; close(); return; }
      inflight = new AbortController();
      const url = endpoint + "?q=" + encodeURIComponent(text) + "&limit=" + limit;
      try {
        const r = await fetch(url, { headers: { Accept: "application/geo+json, application/json" },
          credentials: "same-origin", signal: inflight.signal });
        const body = await r.json().catch(() => ({}));
        if (mine !== seq) return;
        if (!r.ok) throw new Error((body.error && (body.error.display || body.error.message)) || r.statusText);
        results = (body.features || []).map((f) => ({
          label: f.properties.label,
          lon: f.geometry.coordinates[0],
          lat: f.geometry.coordinates[1],
          kind: f.properties.kind,
          jurisdiction_code: f.properties.jurisdiction_code,
          score: f.properties.score,
        }));
        render();
      } catch (err) {
        if (err && err.name === "AbortError") return;
        if (mine === seq) { results = []; message(s.error); }
      }
    }

    function pick(i) {
      const r = results[i];
      if (!r) return;
      input.value = r.label;
      close();
      input.dispatchEvent(new CustomEvent("address:pick", { bubbles: true, detail: Object.assign({}, r) }));
    }

    function onInput() {
      clearTimeout(timer);
      timer = setTimeout(() => search(), delayMs);
    }

    function onKey(e) {
      const open = !list.hidden && results.length > 0;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { search(); return; }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (e.key === "ArrowUp") {
        if (!open) return;
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        if (!open) return;
        e.preventDefault();
        pick(active >= 0 ? active : 0);
      } else if (e.key === "Escape") {
        if (list.hidden) return;
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    }

    function onMouseDown(e) {  // mousedown, not click: it comes before the input's blur
      const li = e.target.closest("[role=option]");
      if (!li) return;
      e.preventDefault();
      pick(Array.prototype.indexOf.call(list.children, li));
    }

    function onMouseMove(e) {
      const li = e.target.closest("[role=option]");
      if (li) highlight(Array.prototype.indexOf.call(list.children, li));
    }

    function onBlur() { setTimeout(close, 100); }

    input.addEventListener("input", onInput);
    input.addEventListener("keydown", onKey);
    input.addEventListener("blur", onBlur);
    list.addEventListener("mousedown", onMouseDown);
    list.addEventListener("mousemove", onMouseMove);
    window.addEventListener("resize", place);

    const controller = {
      search,
      close,
      get results() { return results.slice(); },
      destroy() {
        clearTimeout(timer);
        if (inflight) inflight.abort();
        input.removeEventListener("input", onInput);
        input.removeEventListener("keydown", onKey);
        input.removeEventListener("blur", onBlur);
        window.removeEventListener("resize", place);
        list.remove();
        delete input._addressSearch;
      },
    };
    input._addressSearch = controller;
    return controller;
  }

  function attachAll(root) {
    (root || document).querySelectorAll("input[data-address-search]").forEach((el) => attach(el));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => attachAll());
  } else {
    attachAll();
  }
  return { attach, attachAll };
})();
