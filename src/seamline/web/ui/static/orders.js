/* The orders page: the orders table (sortable by any column) and the lines' capacity, redrawn from
   each snapshot of the topic "orders". */
"use strict";
(function () {
  const S = window.Seamline;
  const RISK = {
    late: ["✖", "late"],
    at_risk: ["▲", "at risk"],
    tight: ["◆", "tight"],
    on_track: ["●", "on track"],
    no_line: ["?", "no line"],
  };
  const table = document.getElementById("orders");
  let sortKey = "due";
  let sortDir = 1;

  function cmp(a, b) {
    const x = a[sortKey];
    const y = b[sortKey];
    if (x === y) return a.id < b.id ? -1 : 1;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * sortDir;
  }

  function cell(tr, cls, text) {
    const td = S.el("td", cls, text);
    tr.append(td);
    return td;
  }

  function draw(snap) {
    if (!snap) return;
    const body = table.tBodies[0];
    body.replaceChildren();
    const rows = snap.orders.slice().sort(cmp);
    if (!rows.length) {
      const tr = S.el("tr");
      const td = cell(tr, "none", S.t("No orders"));
      td.colSpan = 11;
      body.append(tr);
    }
    for (const o of rows) {
      const tr = S.el("tr");
      tr.dataset.order = o.id;
      cell(tr, "id", o.id);
      cell(tr, "", o.style);
      cell(tr, "", o.line || "–");
      cell(tr, "", o.due);
      cell(tr, "", S.t(o.status));
      const prog = cell(tr, "progress");
      const bar = S.el("span", "bar");
      bar.setAttribute("aria-hidden", "true");
      const fill = S.el("i");
      fill.style.width = Math.min(100, o.finished_pct || 0).toFixed(1) + "%";
      bar.append(fill);
      prog.append(bar, S.el("span", "", S.num(o.finished) + " / " + S.num(o.ordered) + " (" + S.pct(o.finished_pct, 1) + ")"));
      cell(tr, "num", S.num(o.bundles_finished) + " / " + S.num(o.bundles_started) + " / " + S.num(o.bundles));
      cell(tr, "num", S.num(o.wip_pieces));
      cell(tr, "num", S.num(o.work_left_min));
      cell(tr, "num", S.pct(o.load_pct, 0));
      const r = RISK[o.risk];
      const risk = cell(tr, "risk " + (o.risk || "none"), r ? r[0] + " " + S.t(r[1]) : "–");
      if (o.capacity_min !== null) risk.title = S.num(o.load_min) + " / " + S.num(o.capacity_min) + " SAM min";
      body.append(tr);
    }
    const cap = document.getElementById("capacity").tBodies[0];
    cap.replaceChildren();
    for (const l of snap.lines) {
      const tr = S.el("tr");
      cell(tr, "", l.name);
      cell(tr, "num", S.num(l.operators, 1) + " (" + S.t(l.operators_source === "logged_in" ? "logged in" : "headcount") + ")");
      cell(tr, "num", S.pct(l.efficiency_pct, 1) + " (" + S.t(l.efficiency_source === "today" ? "today" : "planned efficiency") + ")");
      cell(tr, "num", S.num(l.sam_min_per_hour));
      cap.append(tr);
    }
  }

  for (const th of table.tHead.rows[0].cells) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.key;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      for (const other of table.tHead.rows[0].cells) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
      draw(S.data);
    });
  }
  S.age(document.getElementById("age"), 120);
  S.follow("orders", draw);
})();
