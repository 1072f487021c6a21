/* One machine: its state now and today (a band of one dominant state a minute), counters, MTBF and
   MTTR, fault codes and stops, from the page's stream; its gauges as uPlot charts of the
   server-side downsampled history (a window as wide as the chart in pixels; a drag zooms and
   fetches that window), extended live from the stream while they show the recent past. */
"use strict";
(function () {
  const S = window.Seamline;
  const GLYPH = { running: "▶", idle: "❚❚", fault: "▲", off: "○", no_signal: "✕", unknown: "?" };
  const LABEL = { running: "running", idle: "idle", fault: "fault", off: "off", no_signal: "no signal", unknown: "unknown" };
  const body = document.body;
  const tz = body.dataset.tz || "UTC";
  const locale = body.dataset.locale || "en-GB";
  const css = getComputedStyle(document.documentElement);
  const COLOUR = {};
  for (const s of Object.keys(GLYPH)) COLOUR[s] = css.getPropertyValue("--" + s.replace("_", "-")).trim() || "#888";
  const dayTime = new Intl.DateTimeFormat(locale, { timeZone: tz, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const day = new Intl.DateTimeFormat(locale, { timeZone: tz, month: "short", day: "numeric" });
  const first = S.data;
  const device = first.device;

  /* -- header, figures, band, lists ---------------------------------------------------------- */

  function duration(s) {
    if (s === null || s === undefined) return "–";
    if (s < 3600) return S.num(s / 60, 1) + " " + S.t("min");
    return S.num(s / 3600, 1) + " " + S.t("h");
  }

  function header(snap) {
    document.getElementById("title").textContent = snap.device + (snap.workstation !== snap.device ? " · " + snap.workstation : "");
    document.getElementById("where").textContent = snap.line_name + " · " + snap.type_name;
    const el = document.getElementById("state");
    const state = snap.state || "unknown";
    el.className = "state-badge " + state;
    el.replaceChildren();
    const g = S.el("span", "dot " + state, GLYPH[state]);
    g.setAttribute("aria-hidden", "true");
    el.append(g, " " + S.t(LABEL[state]));
    if (snap.since) el.append(S.el("small", "", " " + S.t("since") + " " + S.time(snap.since, true)));
    if (snap.fault) el.append(S.el("small", "", " · " + S.t("fault code") + " " + snap.fault));
    if (snap.speed_spm !== null && state === "running") el.append(S.el("small", "", " · " + S.num(snap.speed_spm) + " " + S.t("spm")));
  }

  function kpis(snap) {
    const el = document.getElementById("kpis");
    const c = snap.counters, r = snap.reliability;
    const week = " (" + S.t("last") + " " + S.num(r.days) + " " + S.t("days") + ")";
    const items = [
      ["Needle time", duration(c.needle_time_s)],
      ["Needle utilisation", S.pct(c.needle_utilisation_pct, 1)],
      ["Pieces", S.num(c.pieces)],
      ["Utilisation", S.pct(snap.utilisation_pct, 1)],
      ["Machine OEE", S.pct(c.oee_pct, 1)],
      ["Breakdowns today", S.num(r.today.breakdowns)],
      ["MTBF", r.week.mtbf_h === null ? "–" : S.num(r.week.mtbf_h, 1) + " " + S.t("h"), week],
      ["MTTR", r.week.mttr_min === null ? "–" : S.num(r.week.mttr_min, 1) + " " + S.t("min"), week],
    ];
    el.replaceChildren();
    for (const [label, value, note] of items) {
      const d = S.el("div");
      const dt = S.el("dt", "", S.t(label));
      if (note) dt.append(S.el("small", "muted", note));
      d.append(dt, S.el("dd", "", value));
      el.append(d);
    }
  }

  const band = document.getElementById("band");
  function drawBand(snap) {
    const w = band.parentElement.clientWidth;
    const h = 44;
    const k = window.devicePixelRatio || 1;
    band.width = w * k;
    band.height = h * k;
    band.style.width = w + "px";
    band.style.height = h + "px";
    const g = band.getContext("2d");
    g.setTransform(k, 0, 0, k, 0, 0);
    g.fillStyle = "#e6ebef";
    g.fillRect(0, 0, w, h);
    const t0 = snap.day_start, span = 24 * 3600 * 1000;
    const x = (t) => ((t - t0) / span) * w;
    g.font = "bold 14px sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    for (const [a, b, state] of snap.band) {
      const x0 = x(a), x1 = Math.max(x(b), x0 + 1);
      g.fillStyle = COLOUR[state] || COLOUR.unknown;
      g.fillRect(x0, 0, x1 - x0, h);
      if (x1 - x0 > 22) {
        g.fillStyle = "#000";
        g.fillText(GLYPH[state] || "?", (x0 + x1) / 2, h / 2);
      }
    }
    g.fillStyle = "#14212b";
    g.fillRect(x(snap.now), 0, 2, h); // now
    const axis = document.getElementById("band-axis");
    if (!axis.childElementCount) {
      for (let hr = 0; hr <= 24; hr += 2) {
        const s = S.el("span", "", S.time(t0 + hr * 3600 * 1000));
        s.style.left = (100 * hr) / 24 + "%";
        axis.append(s);
      }
    }
    const totals = document.getElementById("state-totals");
    totals.replaceChildren();
    for (const state of ["running", "idle", "fault", "off", "no_signal"]) {
      const secs = snap.state_seconds[state];
      const li = S.el("li");
      const dot = S.el("span", "dot " + state, GLYPH[state]);
      dot.setAttribute("aria-hidden", "true");
      li.append(dot, S.el("span", "", S.t(LABEL[state])), S.el("b", "", duration(secs || 0)));
      totals.append(li);
    }
  }

  function faults(snap) {
    const rows = snap.faults.map((f) => {
      const tr = S.el("tr");
      const sev = S.el("td", "sev " + (f.severity || ""), (f.severity === "error" ? "▲ " : "△ ") + S.t(f.severity || ""));
      tr.append(S.el("td", "", dayTime.format(new Date(f.ts))), S.el("td", "", String(f.code ?? "–")), sev, S.el("td", "", f.text || ""));
      return tr;
    });
    if (!rows.length) {
      const tr = S.el("tr");
      const td = S.el("td", "muted", S.t("No faults"));
      td.colSpan = 4;
      tr.append(td);
      rows.push(tr);
    }
    document.getElementById("faults").replaceChildren(...rows);
  }

  function stops(snap) {
    const rows = snap.stops.map((d) => {
      const tr = S.el("tr", d.breakdown ? "breakdown" : "");
      const len = S.el("td", "num", duration(d.duration_s));
      if (d.end === null) len.append(S.el("small", "", " (" + S.t("going on") + ")"));
      tr.append(S.el("td", "", dayTime.format(new Date(d.start))), S.el("td", "", S.t(d.reason).replace(/_/g, " ")), len, S.el("td", "muted", S.t(d.source === "state" ? "from the machine's state" : "reported")));
      return tr;
    });
    if (!rows.length) {
      const tr = S.el("tr");
      const td = S.el("td", "muted", S.t("No stops"));
      td.colSpan = 4;
      tr.append(td);
      rows.push(tr);
    }
    document.getElementById("stops").replaceChildren(...rows);
  }

  /* -- charts ---------------------------------------------------------------------------------- */

  const chartsEl = document.getElementById("charts");
  const range = { span: 3600 * 1000, end: null }; // end null: live, following now
  const charts = [];
  let fetched = 0; // a counter, so that an answer to an older window is dropped

  function window_() {
    const end = range.end === null ? (S.data.server_ts || Date.now()) : range.end;
    return [end - range.span, end];
  }

  function tick(u, splits) {
    const [a, b] = window_();
    const long = b - a > 36 * 3600 * 1000;
    return splits.map((s) => (long ? day.format(new Date(s * 1000)) : S.time(s * 1000)));
  }

  function makeChart(channel) {
    const box = S.el("figure", "chart");
    const cap = S.el("figcaption");
    const sel = S.el("select");
    sel.setAttribute("aria-label", S.t("Channel"));
    for (const c of first.channels) sel.append(new Option(c.name + " (" + c.unit + ")", c.name));
    sel.value = channel;
    const note = S.el("small", "muted");
    cap.append(sel, note);
    const plot = S.el("div", "plot");
    box.append(cap, plot);
    chartsEl.append(box);
    const chart = { channel, sel, note, plot, u: null, data: [[], [], [], []], downsampled: false };
    const width = Math.max(200, plot.clientWidth || 600);
    chart.u = new uPlot(
      {
        width,
        height: 190,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
        scales: { x: { time: true } },
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: false } },
        axes: [{ values: tick, stroke: "#4a5a68" }, { size: 64, stroke: "#4a5a68", values: (u, v, _axis, _space, incr) => v.map((x) => S.num(x, Math.min(3, Math.max(0, -Math.floor(Math.log10(incr)))))) }],
        series: [
          {},
          { stroke: "#0b5c8a", width: 1.5, points: { show: false } },
          { stroke: "#9fc3da", width: 1, points: { show: false } },
          { stroke: "#9fc3da", width: 1, points: { show: false } },
        ],
        bands: [{ series: [3, 2], fill: "rgba(86,180,233,0.18)" }],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const a = u.posToVal(u.select.left, "x") * 1000;
              const b = u.posToVal(u.select.left + u.select.width, "x") * 1000;
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              if (b - a >= 10_000) {
                range.end = Math.round(b);
                range.span = Math.round(b - a);
                load();
              }
            },
          ],
        },
      },
      chart.data,
      plot,
    );
    sel.addEventListener("change", () => {
      chart.channel = sel.value;
      loadChart(chart, fetched);
    });
    charts.push(chart);
    return chart;
  }

  async function loadChart(chart, ticket) {
    const [a, b] = window_();
    const width = Math.max(10, Math.round(chart.u.bbox.width / (window.devicePixelRatio || 1)) || 600);
    const url = "/api/v1/devices/" + encodeURIComponent(device) + "/channels/" + encodeURIComponent(chart.channel) + "/history?resolution=auto&max_points=" + width + "&start=" + new Date(Math.floor(a)).toISOString() + "&end=" + new Date(Math.ceil(b)).toISOString();
    chart.note.textContent = " " + S.t("Loading") + "…";
    delete chart.note.dataset.points;
    const resp = await fetch(url);
    const h = await resp.json();
    if (ticket !== fetched) return; // a newer window was asked for meanwhile
    const xs = h.ts.map((t) => Date.parse(t) / 1000);
    const lo = h.buckets ? h.buckets.min : h.values.map(() => null);
    const hi = h.buckets ? h.buckets.max : h.values.map(() => null);
    chart.data = [xs, h.values.slice(), lo.slice(), hi.slice()];
    chart.resolution = h.resolution;
    chart.u.setData(chart.data, false);
    chart.u.setScale("x", { min: a / 1000, max: b / 1000 });
    chart.note.textContent = xs.length ? " " + h.resolution + " · " + S.num(h.count) + " / " + S.num(h.source_count ?? h.count) : " " + S.t("no data in this range");
    chart.note.dataset.points = String(xs.length);
  }

  function load() {
    fetched += 1;
    const ticket = fetched;
    for (const b of document.querySelectorAll("#ranges button")) {
      b.setAttribute("aria-pressed", String(range.end === null && Number(b.dataset.span) * 1000 === range.span));
    }
    const [a, b] = window_();
    document.getElementById("charts").dataset.range = a + "-" + b;
    return Promise.all(charts.map((c) => loadChart(c, ticket)));
  }

  /* Live: the stream's newest gauge values extend the charts that show the recent past. */
  function extend(snap) {
    if (range.end !== null || range.span > 8 * 3600 * 1000) return;
    const [a, b] = window_();
    for (const c of charts) {
      const last = snap.latest[c.channel];
      if (!last || c.resolution !== "raw") continue;
      const x = last[0] / 1000;
      const xs = c.data[0];
      if (xs.length && x <= xs[xs.length - 1]) continue;
      c.data[0].push(x);
      c.data[1].push(last[1]);
      c.data[2].push(null);
      c.data[3].push(null);
      while (c.data[0].length && c.data[0][0] < a / 1000) for (const col of c.data) col.shift();
      c.u.setData(c.data, false);
      c.u.setScale("x", { min: a / 1000, max: b / 1000 });
    }
  }

  for (const b of document.querySelectorAll("#ranges button")) {
    b.addEventListener("click", () => {
      range.span = Number(b.dataset.span) * 1000;
      range.end = null;
      load();
    });
  }
  for (const ch of first.charted.length ? first.charted : first.channels.slice(0, 4).map((c) => c.name)) makeChart(ch);
  window.addEventListener("resize", () => {
    for (const c of charts) c.u.setSize({ width: Math.max(200, c.plot.clientWidth), height: 190 });
    drawBand(S.data);
  });

  function draw(snap) {
    if (!snap) return;
    header(snap);
    kpis(snap);
    drawBand(snap);
    faults(snap);
    stops(snap);
    if (charts.length) extend(snap);
  }

  S.age(document.getElementById("age"));
  S.follow("machine:" + device, draw);
  S.charts = { load, range, charts };
  S.chartsReady = load();
})();
