/* The maintenance list: every machine, the ones that break down most first; sortable by any
   column, filtered by line (kept in the address, so a filtered list can be shared). */
"use strict";
(function () {
  const S = window.Seamline;
  const GLYPH = { running: "▶", idle: "❚❚", fault: "▲", off: "○", no_signal: "✕", unknown: "?" };
  const LABEL = { running: "running", idle: "idle", fault: "fault", off: "off", no_signal: "no signal", unknown: "unknown" };
  const table = document.getElementById("machines");
  const tbody = table.querySelector("tbody");
  const lineSel = document.getElementById("f-line");
  const params = new URLSearchParams(location.search);
  let sortKey = params.get("sort") || null; // null: the server's order (breakdowns, then downtime)
  let sortDir = params.get("dir") === "asc" ? 1 : -1;

  function stateCell(m) {
    const state = m.state || "unknown";
    const td = S.el("td");
    const dot = S.el("span", "dot " + state, GLYPH[state] || "?");
    dot.setAttribute("aria-hidden", "true");
    td.append(dot, " " + S.t(LABEL[state] || state));
    if (m.fault) td.append(S.el("small", "muted", " · " + S.t("fault code") + " " + m.fault));
    return td;
  }

  function num(v, digits) {
    return S.el("td", "num", S.num(v, digits));
  }

  function sorted(rows) {
    if (!sortKey) return rows;
    return rows.slice().sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (x === y) return a.device < b.device ? -1 : 1;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sortDir;
    });
  }

  function draw(snap) {
    if (!snap) return;
    for (const m of snap.machines) {
      if (![...lineSel.options].some((o) => o.value === m.line)) lineSel.append(new Option(m.line, m.line));
    }
    lineSel.value = params.get("line") || "";
    const rows = sorted(snap.machines.filter((m) => !lineSel.value || m.line === lineSel.value));
    const out = [];
    for (const m of rows) {
      const tr = S.el("tr");
      tr.dataset.device = m.device;
      const name = S.el("td");
      const a = S.el("a", "", m.device);
      a.href = "/machines/" + encodeURIComponent(m.device) + (params.get("lang") ? "?lang=" + params.get("lang") : "");
      name.append(a);
      tr.append(name, S.el("td", "", m.line), S.el("td", "", m.type), stateCell(m), num(m.breakdowns), num(m.mtbf_h, 1), num(m.mttr_min, 1), num(m.stops), num(m.downtime_min, 1), S.el("td", "num", S.pct(m.utilisation_pct)));
      out.push(tr);
    }
    tbody.replaceChildren(...out);
    document.getElementById("shown").textContent = S.num(rows.length) + " " + S.t("machines shown");
    for (const th of table.querySelectorAll("th[data-key]")) {
      th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
  }

  function remember() {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of [["line", lineSel.value], ["sort", sortKey], ["dir", sortKey ? (sortDir > 0 ? "asc" : "desc") : null]]) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    history.replaceState(null, "", "?" + q.toString());
    for (const [k, v] of q) params.set(k, v);
    if (!lineSel.value) params.delete("line");
  }

  lineSel.addEventListener("change", () => {
    remember();
    draw(S.data);
  });
  for (const th of table.querySelectorAll("th[data-key]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.key;
      if (sortKey === key) sortDir = -sortDir;
      else {
        sortKey = key;
        sortDir = ["device", "line", "type", "state"].includes(key) ? 1 : -1;
      }
      remember();
      draw(S.data);
    });
  }
  S.age(document.getElementById("age"));
  S.follow("machines", draw);
})();
