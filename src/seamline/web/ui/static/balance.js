/* The balance view: each operator's minutes per garment against the cycle time, today's (from the
   line's scans) beside the brain's proposal, from GET /api/v1/lines/{id}/balance. */
"use strict";
(function () {
  const S = window.Seamline;
  const line = S.data.line;
  const chartEl = document.getElementById("loads-chart");
  const chart = echarts.init(chartEl, null, { renderer: "svg" });
  addEventListener("resize", () => chart.resize());
  const status = document.getElementById("status");
  const button = document.getElementById("again");
  let seed = 0;

  function fig(dl, label, value) {
    const d = S.el("div");
    d.append(S.el("dt", "", label), S.el("dd", "", value));
    dl.append(d);
  }

  function draw(b) {
    S.balance = b;
    const p = b.proposal;
    const today = b.today;
    const figs = document.getElementById("figs");
    figs.replaceChildren();
    fig(figs, S.t("Operators"), S.num(b.operators));
    fig(figs, S.t("Pieces per hour today"), S.num(today.pieces_per_hour, 1));
    fig(figs, S.t("Pieces per hour, balanced"), S.num(p.pieces_per_hour, 1));
    fig(figs, S.t("Cycle time"), S.num(p.cycle_min, 2) + " " + S.t("min"));
    fig(figs, S.t("Pieces per shift, balanced"), S.num(p.pieces_per_shift));
    fig(figs, S.t("Balance loss"), S.pct(p.balance_loss_pct, 1));
    const rows = p.operators;
    const names = rows.map((o) => (o.operator === p.bottleneck ? "⚠ " : "") + o.name);
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      grid: { left: 170, right: 30, top: 40, bottom: 40 },
      legend: { top: 0, data: [S.t("Today"), S.t("The brain's balance")] },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", name: S.t("min per garment"), nameLocation: "middle", nameGap: 26, axisLabel: { formatter: (v) => S.num(v, 1) } },
      yAxis: { type: "category", data: names, inverse: true, axisLabel: { fontSize: 12 } },
      series: [
        { name: S.t("Today"), type: "bar", barGap: "10%", itemStyle: { color: "#a0a0a0" }, data: rows.map((o) => today.loads[o.operator] || 0) },
        {
          name: S.t("The brain's balance"), type: "bar", itemStyle: { color: "#0072b2" },
          data: rows.map((o) => ({ value: o.load_min, itemStyle: o.operator === p.bottleneck ? { color: "#d55e00" } : undefined })),
          markLine: { symbol: "none", label: { formatter: S.t("Cycle time") + " " + S.num(p.cycle_min, 2) }, lineStyle: { type: "dashed", color: "#14212b" }, data: [{ xAxis: p.cycle_min }] },
        },
      ],
    }, true);
    chartEl.style.height = Math.max(320, 26 * rows.length + 90) + "px";
    chart.resize();
    const body = document.querySelector("#plan tbody");
    body.replaceChildren();
    for (const o of rows) {
      const tr = S.el("tr");
      if (o.operator === p.bottleneck) tr.className = "bneck";
      tr.append(
        S.el("td", "", (o.operator === p.bottleneck ? "⚠ " + S.t("Bottleneck") + ": " : "") + o.name),
        S.el("td", "", o.machine_type || "–"),
        S.el("td", "num", S.num(o.load_min, 2)),
        S.el("td", "", o.operations.map((x) => x.operation + " " + x.name + " (" + S.pct(100 * x.share) + ")").join(" · ") || "–"),
        S.el("td", "num", today.loads[o.operator] === undefined ? "–" : S.num(today.loads[o.operator], 2)),
      );
      body.append(tr);
    }
    status.className = "status ok";
    status.textContent = "✔ " + S.num(p.elapsed_s, 1) + " " + S.t("seconds");
  }

  async function load() {
    button.disabled = true;
    status.className = "status";
    status.textContent = S.t("Balancing…");
    try {
      const r = await fetch("/api/v1/lines/" + encodeURIComponent(line) + "/balance?seed=" + seed, { credentials: "same-origin" });
      const json = await r.json();
      if (!r.ok) throw new Error(S.refusal(json, r.status));
      draw(json);
    } catch (err) {
      status.className = "status bad";
      status.textContent = "✖ " + S.t("Refused") + ": " + err.message;
    } finally {
      button.disabled = false;
    }
  }
  button.addEventListener("click", () => {
    seed += 1;
    load();
  });
  load();
})();
