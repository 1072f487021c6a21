/* The reports page: the shift report's figures, redrawn from each snapshot of report:<date>,<shift>,<line>. */
"use strict";
(function () {
  const S = window.Seamline;
  const body = document.body;
  const dateFmt = new Intl.DateTimeFormat(body.dataset.locale || "en-GB", { timeZone: "UTC", dateStyle: "long" }); // a calendar date, no instant

  function row(tbody, cells) {
    const tr = S.el("tr");
    for (const [cls, text] of cells) tr.append(S.el("td", cls, text));
    tbody.append(tr);
    return tr;
  }
  function signed(x) {
    if (x === null || x === undefined) return "–";
    const r = Math.round(x); // as shown: -0.4 is 0, not "▼ -0"
    return (r > 0 ? "▲ +" : r < 0 ? "▼ " : "") + S.num(r);
  }
  function figures(f) {
    return [
      ["num", S.num(f.output)],
      ["num", S.num(f.target)],
      ["num " + (Math.round(f.variance) < 0 ? "behind" : Math.round(f.variance) > 0 ? "ahead" : ""), signed(f.variance)],
      ["num", S.pct(f.efficiency_pct, 1)],
      ["num", S.num(f.dhu, 1)],
      ["num", S.pct(f.rft_pct, 1)],
      ["num", S.pct(f.oee_pct, 1)],
    ];
  }
  function table(headings, cls) {
    const t = S.el("table", "grid " + (cls || ""));
    const tr = S.el("tr");
    for (const [h, num] of headings) {
      const th = S.el("th", num ? "num" : "", S.t(h));
      th.scope = "col";
      tr.append(th);
    }
    const head = S.el("thead");
    head.append(tr);
    t.append(head, S.el("tbody"));
    return t;
  }

  function draw(r) {
    if (!r) return;
    document.getElementById("window").textContent =
      S.t("Shift") + " " + r.shift + " · " + dateFmt.format(new Date(r.date + "T00:00:00Z")) + " · " + S.time(r.start_ms) + "–" + S.time(r.end_ms) + " (" + r.timezone + ")";
    document.getElementById("records").textContent = r.records ? S.t("Production records") + ": " + S.num(r.records) : S.t("No production records in this shift");
    const sum = document.getElementById("summary").tBodies[0];
    sum.replaceChildren();
    for (const l of r.lines) row(sum, [["", l.name], ["", l.style || "–"], ...figures(l.shift), ["num", S.num(l.downtime_min)]]);
    const holder = document.getElementById("lines");
    const open = new Set([...holder.querySelectorAll("details[open]")].map((d) => d.dataset.line));
    holder.replaceChildren();
    r.lines.forEach((l, i) => {
      const d = S.el("details", "panel line-report");
      d.dataset.line = l.line;
      if (open.has(l.line) || (!holder.dataset.drawn && i === 0)) d.open = true;
      d.append(S.el("summary", "", l.name + (l.style ? " · " + l.style : "")));
      const grid = S.el("div", "line-tables");
      const hours = S.el("section");
      hours.append(S.el("h3", "", S.t("Hour by hour")));
      const ht = table([["Hour"], ["Style"], ["Output", 1], ["Target", 1], ["Variance", 1], ["Efficiency", 1], ["DHU", 1], ["RFT", 1], ["OEE", 1]]);
      for (const h of l.hours) row(ht.tBodies[0], [["", S.time(h.start_ms) + "–" + S.time(h.end_ms)], ["", h.style || "–"], ...figures(h)]);
      hours.append(ht);
      const side = S.el("section");
      side.append(S.el("h3", "", S.t("Downtime by reason")));
      const dt = table([["Reason"], ["Stops", 1], ["Minutes", 1]]);
      if (!l.downtime.length) row(dt.tBodies[0], [["none", S.t("No stops")], ["", ""], ["", ""]]);
      for (const x of l.downtime) row(dt.tBodies[0], [["", S.t(x.reason)], ["num", S.num(x.stops)], ["num", S.num(x.minutes, 1)]]);
      side.append(dt, S.el("h3", "", S.t("Operators")));
      const ot = table([["Operator"], ["Pieces", 1], ["Output", 1], ["Efficiency", 1]]);
      for (const o of l.operators) row(ot.tBodies[0], [["", o.operator + (o.name ? " " + o.name : "")], ["num", S.num(o.pieces)], ["num", S.num(o.output)], ["num", S.pct(o.efficiency_pct, 1)]]);
      side.append(ot);
      grid.append(hours, side);
      d.append(grid);
      holder.append(d);
    });
    holder.dataset.drawn = "1";
  }
  S.age(document.getElementById("age"), 120);
  S.follow(S.data.topic, draw);
})();
