/* Community-policing evaluation: the officer's own scorecard (phone) and the chief's ranking
   with a trend chart. Every figure opens the records it was computed from. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, lang } = window.PA;
  const $ = (id) => document.getElementById(id);
  const mode = $("filters").dataset.mode;
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  const fmt = (s, o) => s.replace(/\{(\w+)\}/g, (_, k) => (o[k] == null ? "" : o[k]));
  const name = (o) => (lang === "en" ? o.name_en : o.name_zh) || o.code || "";
  const parent = (o) => (lang === "en" ? o.parent_en : o.parent_zh) || "";
  const status = (text, err) => { const el = $("status"); el.textContent = text || ""; el.style.color = err ? "var(--red)" : ""; };
  // the server's reasons (pingan.evaluation.figures) in the page's language
  const REASONS = {
    "no preventable incidents in the same days last year to compare with": "ev.reason.no_last_year",
    "no records of this officer's work in the period": "ev.reason.no_officer_records",
    "no records in the period": "ev.reason.no_records",
    "the period has not started yet": "ev.reason.not_started",
  };
  const reasonText = (r) => !r ? "" : REASONS[r] ? t(REASONS[r]) : /^source tables of /.test(r) ? t("ev.reason.not_installed") : r;
  const value = (f) => {
    if (f.value == null) return `<span class="na" title="${esc(reasonText(f.no_data_reason))}">${esc(t("ev.nodata"))}</span>`;
    if (f.unit === "share") return (f.value * 100).toFixed(1) + "%";
    if (f.unit === "s") return f.value.toFixed(0) + " s";
    return f.value.toFixed(2);
  };
  const target = (f) => (f.unit === "share" ? (f.target * 100).toFixed(0) + "%" : f.unit === "s" ? f.target + " s" : String(f.target));
  let card = null, last = null, chart = null;
  const indName = (code) => { const i = card && card.indicators.find((x) => x.code === code); return i ? (lang === "en" ? i.name_en : i.name_zh) : code; };
  const indHow = (code) => { const i = card && card.indicators.find((x) => x.code === code); return i ? (lang === "en" ? i.how_en : i.how_zh) : ""; };

  // ------------------------------------------------------------ sources drawer
  let src = null;
  async function openSources(href, code, who) {
    src = { href, code, who, part: "all" };
    $("s-title").textContent = `${who} · ${indName(code)}`;
    $("s-how").textContent = indHow(code);
    $("sources").hidden = false;
    loadSources();
  }
  async function loadSources() {
    document.querySelectorAll("#s-parts button").forEach((b) => b.classList.toggle("on", b.dataset.part === src.part));
    $("s-list").innerHTML = `<li class="muted loading">${esc(t("common.loading"))}</li>`;
    try {
      const r = await api(`${src.href}&part=${src.part}&limit=200`);
      if (r.reason) { $("s-list").innerHTML = `<li class="na">${esc(reasonText(r.reason))}</li>`; return; }
      const items = r.items.map((x) => {
        const lab = esc(x.label || `#${x.id}`);
        const link = x.link ? `<a href="${esc(x.link)}" target="_blank" rel="noopener">${lab}</a>` : lab;
        const v = x.value != null ? ` · ${x.value.toFixed(0)} s` : (x.denominator > 1 ? ` · ${x.numerator}/${x.denominator}` : (x.numerator > 0 ? " ✓" : (x.denominator > 0 ? " ✗" : "")));
        return `<li>${link}${esc(v)} <span class="na">${esc(fmtTime(x.at))}</span></li>`;
      }).join("");
      $("s-list").innerHTML = `<li class="na">${esc(fmt(t("ev.sources.total"), { n: r.total }))}</li>` + (items || `<li class="na">${esc(t("ev.sources.none"))}</li>`);
    } catch (e) { $("s-list").innerHTML = `<li class="na">${esc(e.message)}</li>`; }
  }
  $("s-close").addEventListener("click", () => { $("sources").hidden = true; });
  $("s-parts").addEventListener("click", (ev) => { const b = ev.target.closest("button"); if (b && src) { src.part = b.dataset.part; loadSources(); } });

  // ------------------------------------------------------------ trend chart
  let trendSeq = 0, boardSeq = 0;  // only the latest request of each kind is drawn
  async function drawTrend(level, entityId, title) {
    const el = $("chart-trend");
    if (!window.echarts || !el) return;
    chart = chart || window.echarts.init(el);
    const q = `level=${level}&period=${encodeURIComponent($("f-period").value)}&periods=4` + (entityId ? `&entity_id=${entityId}` : "");
    const seq = ++trendSeq;
    if ($("trend-title")) $("trend-title").textContent = title ? `${t("ev.trend")} · ${title}` : t("ev.trend");
    try {
      const r = await api(`/api/v1/evaluation/trend?${q}`);
      if (seq !== trendSeq) return;
      const xs = r.points.map((p) => p.period);
      const series = [{ name: t("ev.median"), type: "line", data: r.points.map((p) => p.median), lineStyle: { type: "dashed" } }];
      if (entityId) series.unshift({ name: title || t("ev.score"), type: "line", data: r.points.map((p) => p.score), symbolSize: 8 });
      chart.setOption({ animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 30, bottom: 28 }, xAxis: { type: "category", data: xs }, yAxis: { type: "value", min: (v) => Math.max(0, Math.floor(v.min - 5)) }, series }, true);
    } catch (e) { status(e.message, true); }
  }

  // ------------------------------------------------------------ the officer's own card
  async function mine() {
    status(t("common.loading"));
    try {
      const r = await api(`/api/v1/evaluation/scores?level=officer&period=${encodeURIComponent($("f-period").value)}`);
      card = r.scorecard;
      const me = r.items[0];
      if (!me) { $("m-score").textContent = "–"; $("m-figs").innerHTML = `<li class="na">${esc(t("ev.sources.none"))}</li>`; status(""); document.body.dataset.ready = "1"; return; }
      $("m-score").textContent = me.score == null ? "–" : me.score.toFixed(1);
      $("m-meta").textContent = `${name(me)} · ${t("ev.col.coverage")} ${(me.coverage * 100).toFixed(0)}%` + (r.period.partial ? ` · ${t("ev.partial")}` : "");
      $("m-figs").innerHTML = me.figures.map((f) => {
        const a = f.achievement == null ? 0 : Math.min(1, f.achievement / 1.2);
        const cls = f.achievement == null ? "" : f.achievement < 0.8 ? "low" : f.achievement < 1 ? "mid" : "";
        return `<li data-href="${esc(f.sources)}" data-code="${esc(f.code)}"><div class="row"><span>${esc(indName(f.code))}</span><strong>${value(f)}</strong></div>
          <div class="sub">${esc(t("ev.target"))} ${esc(target(f))} · ${esc(t("ev.weight"))} ${f.weight} · ${esc(t("ev.contribution"))} ${f.contribution.toFixed(1)}${f.numerator != null && f.denominator != null ? ` · ${f.numerator}/${f.denominator}` : ""}</div>
          <div class="bar"><span class="${cls}" style="width:${(a * 100).toFixed(0)}%"></span></div></li>`;
      }).join("");
      $("m-figs").addEventListener("click", (ev) => { const li = ev.target.closest("li[data-href]"); if (li) openSources(li.dataset.href, li.dataset.code, name(me)); });
      status("");
      await drawTrend("officer", me.entity_id, name(me));
      document.body.dataset.ready = "1";
    } catch (e) { status(e.message, true); document.body.dataset.ready = "1"; }
  }

  // ------------------------------------------------------------ the chief's ranking
  async function board() {
    const level = $("f-level").value, period = $("f-period").value;
    const q = `level=${level}&period=${encodeURIComponent(period)}`;
    $("x-xlsx").href = `/api/v1/evaluation/export?format=xlsx&lang=${lang}&${q}`;
    $("x-pdf").href = `/api/v1/evaluation/export?format=pdf&lang=${lang}&${q}`;
    status(t("common.loading"));
    const seq = ++boardSeq;
    try {
      const r = await api(`/api/v1/evaluation/scores?${q}&limit=300`);
      if (seq !== boardSeq) return;
      card = r.scorecard; last = r;
      const head = [t("ev.col.rank"), t("ev.col.name"), t("ev.col.parent"), t("ev.col.score"), t("ev.col.coverage")].concat(card.indicators.map((i) => (lang === "en" ? i.name_en : i.name_zh)));
      $("ranking").tHead.innerHTML = "<tr>" + head.map((h) => `<th>${esc(h)}</th>`).join("") + "</tr>";
      $("ranking").tBodies[0].innerHTML = r.items.map((e, k) => `<tr data-k="${k}"><td>${e.rank || "–"}</td><td>${esc(name(e))}</td><td>${esc(parent(e))}</td><td><strong>${e.score == null ? "–" : e.score.toFixed(1)}</strong></td><td>${(e.coverage * 100).toFixed(0)}%</td>` +
        e.figures.map((f, j) => `<td class="fig" data-j="${j}" title="${esc(t("ev.target"))} ${esc(target(f))}">${value(f)}</td>`).join("") + "</tr>").join("") || `<tr><td class="na">${esc(t("ev.sources.none"))}</td></tr>`;
      $("rank-title").textContent = `${t("ev.ranking")} · ${t("ev.level." + level)} · ${r.period.label} (${r.total})` + (r.period.partial ? ` · ${t("ev.partial")}` : "");
      status("");
      const top = r.items[0];
      await drawTrend(level, top ? top.entity_id : null, top ? name(top) : "");
      document.body.dataset.ready = "1";
    } catch (e) { status(e.message, true); document.body.dataset.ready = "1"; }
  }
  if (mode === "board") {
    $("ranking").addEventListener("click", (ev) => {
      const tr = ev.target.closest("tr[data-k]");
      if (!tr || !last) return;
      const e = last.items[+tr.dataset.k];
      document.querySelectorAll("#ranking tr.sel").forEach((x) => x.classList.remove("sel"));
      tr.classList.add("sel");
      const td = ev.target.closest("td.fig");
      if (td) { const f = e.figures[+td.dataset.j]; openSources(f.sources, f.code, name(e)); }
      drawTrend(last.level, e.entity_id, name(e));
    });
    $("f-level").addEventListener("change", board);
    $("f-period").addEventListener("change", board);
    board();
  } else {
    $("f-period").addEventListener("change", mine);
    mine();
  }
  window.addEventListener("resize", () => chart && chart.resize());
})();
