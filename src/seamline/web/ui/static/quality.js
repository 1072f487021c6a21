/* The quality page: trends, Paretos and the control chart drawn from each snapshot of the topic
   quality:<line>,<span>; the inspection and AQL forms write through the outbox. */
"use strict";
(function () {
  const S = window.Seamline;
  const body = document.body;
  const locale = body.dataset.locale || "en-GB";
  const tz = body.dataset.tz || "UTC";
  const form = S.data.form || { lines: [], codes: [], styles: [] };
  const byLine = new Map(form.lines.map((l) => [l.id, l]));
  const dayFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, month: "short", day: "numeric" });
  const stampFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  /* Okabe-Ito, and a shape per line: a line is told by its marker as well as its colour. */
  const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"];
  const SHAPES = ["circle", "rect", "triangle", "diamond", "pin", "roundRect", "arrow", "emptyCircle"];
  const SEVERITY_COLOUR = { critical: "#b23c00", major: "#e69f00", minor: "#56b4e9" };

  const charts = {};
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
      window.addEventListener("resize", () => charts[id].resize());
    }
    return charts[id];
  }
  const axisNum = (digits) => ({ formatter: (v) => S.num(v, digits) });
  const base = { animation: false, grid: { left: 56, right: 24, top: 36, bottom: 40 }, textStyle: { fontFamily: "inherit" } };

  function bucketLabel(ms, hourly) {
    return hourly ? S.time(ms) : dayFmt.format(new Date(ms));
  }

  function trend(id, t, key, digits, unit) {
    const labels = t.buckets.map((b) => bucketLabel(b, t.hourly));
    chart(id).setOption(
      {
        ...base,
        color: COLOURS,
        legend: { top: 0, icon: "none" },
        tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "–" : S.num(v, digits) + unit) },
        xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", scale: true, axisLabel: axisNum(digits === 2 ? 1 : digits) },
        series: t.lines.map((l, i) => ({
          name: (SHAPE_GLYPH[i % SHAPE_GLYPH.length]) + " " + l.name,
          type: "line",
          connectNulls: false,
          symbol: SHAPES[i % SHAPES.length],
          symbolSize: 8,
          data: l[key],
        })),
        graphic: t.lines.some((l) => l[key].some((v) => v !== null)) ? [] : [{ type: "text", left: "center", top: "middle", style: { text: S.t("No data in this span"), fontSize: 16, fill: "#4a5a68" } }],
      },
      true,
    );
  }
  const SHAPE_GLYPH = ["●", "■", "▲", "◆", "⬟", "▢", "➤", "○"];

  function pareto(p) {
    const codes = p.codes;
    const sev = ["critical", "major", "minor"];
    chart("code-chart").setOption(
      {
        ...base,
        grid: { left: 56, right: 56, top: 36, bottom: 90 },
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: (v) => S.num(v) },
        xAxis: { type: "category", data: codes.map((c) => c.code), axisLabel: { rotate: 35, interval: 0 } },
        yAxis: [
          { type: "value", name: S.t("defects"), minInterval: 1, axisLabel: axisNum(0) },
          { type: "value", name: S.t("Cumulative"), min: 0, max: 100, axisLabel: { formatter: (v) => S.pct(v) } },
        ],
        series: [
          ...sev.map((s, i) => ({
            name: S.t(s),
            type: "bar",
            barMaxWidth: 48,
            stack: "n",
            itemStyle: { color: SEVERITY_COLOUR[s], decal: { symbol: ["rect", "circle", "triangle"][i], dashArrayX: [1, 0], dashArrayY: [3, 5 + 2 * i], rotation: i * 0.7 } },
            data: codes.map((c) => c.severities[s] || 0),
          })),
          { name: S.t("Cumulative"), type: "line", yAxisIndex: 1, symbol: "diamond", data: codes.map((c) => c.cumulative_pct), tooltip: { valueFormatter: (v) => S.pct(v, 1) } },
        ],
        aria: { enabled: true, decal: { show: true } },
        graphic: codes.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: S.t("No data in this span"), fontSize: 16, fill: "#4a5a68" } }],
      },
      true,
    );
    for (const [id, rows] of [["op-chart", p.operations], ["opr-chart", p.operators]]) {
      const shown = rows.slice().reverse();
      chart(id).setOption(
        {
          ...base,
          grid: { left: 150, right: 40, top: 16, bottom: 30 },
          tooltip: { trigger: "axis", valueFormatter: (v) => S.num(v) },
          xAxis: { type: "value", minInterval: 1, axisLabel: axisNum(0) },
          yAxis: { type: "category", data: shown.map((r) => (r.name === r.id ? r.id : r.id + " " + r.name).slice(0, 22)) },
          series: [{ name: S.t("defects"), type: "bar", barMaxWidth: 26, itemStyle: { color: "#0072b2" }, label: { show: true, position: "right", formatter: (d) => S.num(d.value) }, data: shown.map((r) => r.defects) }],
          graphic: rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: S.t("No data in this span"), fontSize: 16, fill: "#4a5a68" } }],
        },
        true,
      );
    }
  }

  function spc(c) {
    document.getElementById("spc-line").textContent = c.line;
    const pts = c.points;
    /* every point a violation involves is a triangle; the rule's number is written where it fired */
    const flagged = new Map();
    const fired = new Map();
    for (const v of c.violations) {
      for (const h of v.hours) flagged.set(h, true);
      if (!fired.has(v.detected_at)) fired.set(v.detected_at, []);
      if (!fired.get(v.detected_at).includes(v.rule)) fired.get(v.detected_at).push(v.rule);
    }
    const labels = pts.map((p) => stampFmt.format(new Date(Date.parse(p.hour))));
    const points = pts.map((p) => {
      if (!flagged.has(p.hour)) return { value: p.value };
      const rules = fired.get(p.hour);
      return {
        value: p.value,
        symbol: "triangle",
        symbolSize: 16,
        itemStyle: { color: "#b23c00", borderColor: "#000", borderWidth: 1 },
        label: { show: !!rules, position: "top", distance: 8, formatter: rules ? S.t("Rule") + " " + rules.join(", ") : "", color: "#7a2600", fontWeight: 700 },
      };
    });
    chart("spc-chart").setOption(
      {
        ...base,
        grid: { left: 56, right: 24, top: 56, bottom: 40 },
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "–" : S.pct(100 * v, 1)) },
        xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", name: S.t("fraction defective"), axisLabel: { formatter: (v) => S.pct(100 * v, 0) } },
        series: [
          { name: S.t("UCL"), type: "line", step: "middle", symbol: "none", itemStyle: { color: "#b23c00" }, lineStyle: { type: "dashed", color: "#b23c00" }, data: pts.map((p) => p.ucl) },
          { name: S.t("LCL"), type: "line", step: "middle", symbol: "none", itemStyle: { color: "#b23c00" }, lineStyle: { type: "dotted", color: "#b23c00" }, data: pts.map((p) => p.lcl) },
          { name: S.t("Centre"), type: "line", symbol: "none", itemStyle: { color: "#009e73" }, lineStyle: { color: "#009e73" }, data: pts.map(() => c.centre) },
          { name: "p", type: "line", symbol: "circle", symbolSize: 7, itemStyle: { color: "#0072b2" }, lineStyle: { color: "#0072b2" }, data: points },
        ],
        graphic: pts.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: S.t(c.note || "No data in this span"), fontSize: 16, fill: "#4a5a68" } }],
      },
      true,
    );
    const list = document.getElementById("violations");
    list.replaceChildren();
    for (const v of c.violations.slice(-6).reverse()) {
      const li = S.el("li");
      li.append(S.el("span", "flag", "▲ " + S.t("Rule") + " " + v.rule), S.el("span", "", " " + S.t(v.name) + " · " + stampFmt.format(new Date(Date.parse(v.detected_at)))));
      list.append(li);
    }
  }

  function summary(snap) {
    const el = document.getElementById("summary");
    el.replaceChildren();
    const e = snap.summary.end_of_line;
    const i = snap.summary.inline;
    for (const [label, value] of [
      ["DHU", S.num(e.dhu, 1)],
      ["RFT", S.pct(e.rft_pct, 1)],
      ["Checked at end of line", S.num(e.checked)],
      ["Inline DHU", S.num(i.dhu, 1)],
      ["inspections", S.num(e.inspections + i.inspections)],
    ]) {
      const d = S.el("div");
      d.append(S.el("dt", "", S.t(label)), S.el("dd", "", value));
      el.append(d);
    }
  }

  function stateText(st) {
    let s = S.t(st.inspection);
    if (st.discontinued) s += " · " + S.t("discontinued");
    return s;
  }

  function lots(rows) {
    const tb = document.getElementById("lots");
    tb.replaceChildren();
    for (const r of rows) {
      const tr = S.el("tr");
      const verdict = S.el("td", r.accepted ? "ok" : "bad", (r.accepted ? "✔ " : "✖ ") + S.t(r.accepted ? "accepted" : "rejected"));
      tr.append(
        S.el("td", "", r.lot),
        S.el("td", "", stampFmt.format(new Date(Date.parse(r.judged)))),
        S.el("td", "", r.stream),
        S.el("td", "", r.plan.code_letter + " · n " + S.num(r.plan.sample_size) + " · Ac " + S.num(r.plan.accept) + " / Re " + S.num(r.plan.reject)),
        S.el("td", "num", S.num(r.nonconforming)),
        verdict,
        S.el("td", "", stateText(r.stream_after)),
      );
      tb.append(tr);
    }
  }

  function draw(snap) {
    if (!snap) return;
    summary(snap);
    trend("dhu-chart", snap.trends, "dhu", 1, "");
    trend("rft-chart", snap.trends, "rft", 1, " %");
    pareto(snap.pareto);
    spc(snap.spc);
    lots(snap.lots);
  }

  /* ---- forms ---- */
  function options(select, items, chosen, empty) {
    select.replaceChildren();
    if (empty !== undefined) select.append(new Option(empty, ""));
    for (const [value, text] of items) select.append(new Option(text, value, false, value === chosen));
  }
  function datalist(el, values) {
    el.replaceChildren(...values.map((v) => new Option(v)));
  }
  function say(el, cls, text) {
    el.className = "status " + cls;
    el.textContent = text;
  }
  const lineItems = form.lines.map((l) => [l.id, l.name]);
  const chosenLine = S.data.line || (form.lines[0] && form.lines[0].id);

  const iForm = document.getElementById("inspection-form");
  const iLine = document.getElementById("i-line");
  function inspectionLine() {
    const l = byLine.get(iLine.value);
    if (!l) return;
    datalist(document.getElementById("i-bundles"), l.bundles);
    options(document.getElementById("i-operation"), l.operations.map((o) => [o.id, o.id + " " + o.name]));
    options(document.getElementById("i-workstation"), l.workstations.map((w) => [w, w]), l.workstations[l.workstations.length - 1]);
    datalist(document.getElementById("i-operators"), l.operators);
    if (!iForm.bundle.value && l.bundles.length) iForm.bundle.value = l.bundles[0];
  }
  function kindChanged() {
    const inline = iForm.kind.value === "inline";
    for (const el of iForm.querySelectorAll(".inline-only")) el.hidden = !inline;
  }
  datalist(document.getElementById("codes"), form.codes);
  function defectRow() {
    const tr = S.el("tr");
    const code = S.el("input");
    code.setAttribute("list", "codes");
    code.setAttribute("aria-label", S.t("Code"));
    code.name = "code";
    code.required = true;
    const sev = S.el("select");
    sev.name = "severity";
    sev.setAttribute("aria-label", S.t("Severity"));
    options(sev, ["minor", "major", "critical"].map((s) => [s, S.t(s)]), "minor");
    const count = S.el("input");
    count.type = "number";
    count.min = "1";
    count.value = "1";
    count.name = "count";
    count.setAttribute("aria-label", S.t("Count"));
    const rm = S.el("button", "remove", "✕");
    rm.type = "button";
    rm.setAttribute("aria-label", S.t("Remove"));
    rm.addEventListener("click", () => tr.remove());
    for (const e of [code, sev, count, rm]) {
      const td = S.el("td");
      td.append(e);
      tr.append(td);
    }
    document.getElementById("defect-rows").append(tr);
    return tr;
  }
  options(iLine, lineItems, chosenLine);
  iLine.addEventListener("change", () => {
    iForm.bundle.value = "";
    inspectionLine();
  });
  for (const r of iForm.querySelectorAll('input[name="kind"]')) r.addEventListener("change", kindChanged);
  document.getElementById("add-defect").addEventListener("click", () => defectRow().querySelector("input").focus());
  inspectionLine();
  kindChanged();
  iForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = document.getElementById("inspection-status");
    const kind = iForm.kind.value;
    const b = {
      kind,
      line: iLine.value,
      bundle: iForm.bundle.value.trim(),
      workstation: iForm.workstation.value || null,
      operator: iForm.operator.value.trim() || null,
      checked: Number(iForm.checked.value),
      defective: Number(iForm.defective.value),
      defects: [...document.querySelectorAll("#defect-rows tr")].map((tr) => ({
        code: tr.querySelector('[name="code"]').value.trim(),
        severity: tr.querySelector('[name="severity"]').value,
        count: Number(tr.querySelector('[name="count"]').value),
      })),
    };
    if (kind === "inline") b.operation = iForm.operation.value;
    say(status, "", S.t("Sending…"));
    try {
      const answer = await S.outbox.send("POST", "/api/v1/quality/inspections", b, "inspection " + b.bundle);
      if (answer === null) {
        say(status, "wait", "⏳ " + S.t("Waiting in the outbox: it is sent when the connection returns"));
      } else {
        say(status, "ok", "✔ " + S.t("Saved") + ": " + answer.bundle + " · " + S.num(answer.checked) + " " + S.t("checked") + " · " + S.num(answer.defective) + " " + S.t("defective"));
        document.getElementById("defect-rows").replaceChildren();
      }
    } catch (err) {
      say(status, "bad", "✖ " + S.t("Refused") + ": " + err.message);
    }
  });

  const aForm = document.getElementById("aql-form");
  const aLine = document.getElementById("a-line");
  const aStyle = document.getElementById("a-style");
  const aOrder = document.getElementById("a-order");
  const planEl = document.getElementById("plan");
  let planSeq = 0;
  function aqlLine() {
    const l = byLine.get(aLine.value);
    if (!l) return;
    options(aStyle, form.styles.map((s) => [s, s]), l.style);
    options(aOrder, l.orders.map((o) => [o.id, o.id + " · " + o.style + " · " + S.num(o.pieces)]), "", "–");
    plan();
  }
  function stream() {
    return aLine.value + "/" + aStyle.value;
  }
  async function plan() {
    const seq = ++planSeq;
    const q = new URLSearchParams({ stream: stream(), lot_size: aForm.lot_size.value, aql: aForm.aql.value, level: aForm.level.value });
    let json;
    try {
      const r = await fetch("/api/v1/quality/aql/next-plan?" + q, { credentials: "same-origin" });
      json = await r.json();
      if (!r.ok) throw new Error(S.refusal(json, r.status));
    } catch (err) {
      if (seq === planSeq) planEl.textContent = "✖ " + err.message;
      return;
    }
    if (seq !== planSeq) return;
    const p = json.plan;
    planEl.replaceChildren();
    const dl = S.el("dl");
    for (const [label, value] of [
      ["Inspection", stateText(json.stream)],
      ["Code letter", p.code_letter],
      ["Sample size", S.num(p.sample_size) + (p.hundred_percent ? " (" + S.t("100 % inspection") + ")" : "")],
      ["Accept", S.num(p.accept)],
      ["Reject", S.num(p.reject)],
    ]) {
      const d = S.el("div");
      d.append(S.el("dt", "", S.t(label)), S.el("dd", "", value));
      dl.append(d);
    }
    planEl.append(dl);
    if (json.stream.discontinued) planEl.append(resumeButton(json.stream.stream));
    aForm.nonconforming.max = String(p.units_to_inspect || p.sample_size);
  }
  // ISO 2859-1 9.4: after 5 lots not accepted on tightened inspection, sampling stops until the
  // supplier has acted on quality; a quality manager then resumes it, on tightened inspection
  function resumeButton(name) {
    const wrap = S.el("div", "resume");
    const note = S.el("p", "muted", S.t("Sampling stopped after 5 lots not accepted on tightened inspection (ISO 2859-1 9.4). Resume once the supplier has acted on quality."));
    const button = S.el("button", "", S.t("Resume on tightened inspection"));
    button.type = "button";
    const out = S.el("span", "");
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(out, "", S.t("Sending…"));
      try {
        const r = await S.outbox.send("POST", "/api/v1/quality/aql/streams/resume", { stream: name }, S.t("Resume") + " " + name);
        if (r === null) say(out, "wait", "⏳ " + S.t("Waiting in the outbox: it is sent when the connection returns"));
        else plan();
      } catch (err) {
        button.disabled = false;
        say(out, "bad", "✖ " + S.t("Refused") + ": " + err.message);
      }
    });
    wrap.append(note, button, out);
    return wrap;
  }
  options(aLine, lineItems, chosenLine);
  aLine.addEventListener("change", aqlLine);
  for (const el of [aStyle, aForm.lot_size, aForm.aql, aForm.level]) el.addEventListener("change", plan);
  aqlLine();
  aForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.getElementById("verdict");
    const b = {
      lot: aForm.lot.value.trim(),
      lot_size: Number(aForm.lot_size.value),
      aql: aForm.aql.value,
      level: aForm.level.value,
      nonconforming: Number(aForm.nonconforming.value),
      line: aLine.value,
      style: aStyle.value,
    };
    if (aOrder.value) b.order = aOrder.value;
    say(out, "", S.t("Sending…"));
    try {
      const r = await S.outbox.send("POST", "/api/v1/quality/aql/lots", b, "lot " + b.lot);
      if (r === null) {
        say(out, "wait", "⏳ " + S.t("Waiting in the outbox: it is sent when the connection returns"));
        return;
      }
      out.className = "verdict " + (r.accepted ? "ok" : "bad");
      out.replaceChildren(
        S.el("strong", "", (r.accepted ? "✔ " : "✖ ") + r.lot + ": " + S.t(r.accepted ? "accepted" : "rejected")),
        S.el("span", "", " · " + S.num(r.nonconforming) + " / " + S.num(r.plan.sample_size) + " · Ac " + S.num(r.plan.accept) + " / Re " + S.num(r.plan.reject) + " · " + S.t("Stream after") + ": " + stateText(r.stream_after)),
      );
      aForm.lot.value = "";
      plan();
    } catch (err) {
      say(out, "bad", "✖ " + S.t("Refused") + ": " + err.message);
    }
  });

  S.age(document.getElementById("age"), 120);
  S.follow(S.data.topic, draw);
})();
