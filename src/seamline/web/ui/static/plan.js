/* The planning board: the plan in force as bars per line and the brain's proposals with their
   explanations; a planner, supervisor or admin asks for a proposal, approves or rejects one (each
   a POST to the planning API, then the page is drawn again from the answer). */
"use strict";
(function () {
  const S = window.Seamline;
  const lang = document.body.dataset.lang || "en";
  const board = document.getElementById("board");
  const list = document.getElementById("proposals");
  const status = document.getElementById("status");
  const proposeButton = document.getElementById("propose");
  const canDecide = proposeButton !== null;

  const when = new Intl.DateTimeFormat(document.body.dataset.locale || "en-GB", {
    timeZone: document.body.dataset.tz || "UTC", weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const at = (iso) => when.format(new Date(iso));

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
    return data;
  }

  function drawBoard(plan) {
    board.replaceChildren();
    if (!plan || !plan.orders.length) {
      board.append(S.el("p", "empty", S.t("No plan in force yet: ask the brain for a proposal and approve it.")));
      return;
    }
    const t = (iso) => Date.parse(iso);
    const from = Math.min(...plan.orders.map((o) => t(o.start)));
    const to = Math.max(...plan.orders.map((o) => Math.max(t(o.end), t(o.due))));
    const x = (ms) => (100 * (ms - from)) / Math.max(1, to - from) + "%";
    const lines = [...new Set(plan.orders.map((o) => o.line))].sort();
    for (const line of lines) {
      board.append(S.el("div", "lane-name", line));
      const lane = S.el("div", "lane");
      lane.dataset.line = line;
      for (const o of plan.orders.filter((p) => p.line === line)) {
        const bar = S.el("div", "job" + (o.tardiness_h > 0 ? " late" : "") + (o.changeover ? " changeover" : ""), o.order);
        bar.dataset.order = o.order;
        bar.style.left = x(t(o.start));
        bar.style.width = "calc(" + x(t(o.end)) + " - " + x(t(o.start)) + ")";
        bar.title = o.order + " · " + o.style + " · " + S.num(o.quantity) + " · " + at(o.start) + " – " + at(o.end) + " · " + S.t("due") + " " + at(o.due) + " · " + (o.tardiness_h > 0 ? S.t("late") + " " + S.num(o.tardiness_h, 1) + " h" : S.t("on time")) +
          (o.changeover ? " · " + S.t("changeover") : "");
        const due = S.el("div", "due");
        due.style.left = x(t(o.due));
        lane.append(bar, due);
      }
      board.append(lane);
    }
    board.append(S.el("p", "span", at(new Date(from).toISOString()) + " – " + at(new Date(to).toISOString())));
  }

  function drawProposals(proposals) {
    list.replaceChildren();
    if (!proposals.length) list.append(S.el("p", "empty", S.t("No proposals yet")));
    for (const p of proposals) {
      const card = S.el("article", "proposal");
      card.dataset.proposal = p.id;
      const h = S.el("h3");
      h.append(S.el("span", "", p.id), S.el("span", "state " + p.status, S.t(p.status)), S.el("span", "when", at(p.created)));
      card.append(h, S.el("p", "explanation", p.explanation[lang] || p.explanation.en));
      card.append(S.el("p", "figs",
        S.t("Late orders") + " " + S.num(p.late_orders) + (p.late_orders_if_kept === null ? "" : " (" + S.t("if kept") + " " + S.num(p.late_orders_if_kept) + ")") +
        " · " + S.t("Orders moved") + " " + S.num(p.moved_orders) + " · " + S.t("Starts moved (h)") + " " + S.num(p.start_deviation_h, 1)));
      if (canDecide && p.status === "proposed") {
        const acts = S.el("div", "acts");
        const ok = S.el("button", "primary", S.t("Approve"));
        ok.type = "button";
        ok.dataset.act = "approve";
        const no = S.el("button", "", S.t("Reject"));
        no.type = "button";
        no.dataset.act = "reject";
        for (const b of [ok, no]) b.addEventListener("click", () => act("/api/v1/plan/proposals/" + p.id + "/" + b.dataset.act));
        const twin = S.el("button", "", S.t("What if? (digital twin, 24 h)"));
        twin.type = "button";
        twin.dataset.act = "whatif";
        const result = S.el("p", "whatif");
        result.setAttribute("aria-live", "polite");
        twin.addEventListener("click", () => whatIf(p.id, result));
        acts.append(ok, no, twin);
        card.append(acts, result);
      }
      list.append(card);
    }
  }

  async function refresh() {
    const listed = await fetch("/api/v1/plan/proposals?limit=20").then((r) => r.json());
    // the plan in force exists once a proposal was approved (asking before would answer 404)
    if (listed.proposals.some((p) => p.status === "approved")) {
      drawBoard(await fetch("/api/v1/plan").then((r) => r.json()));
    }
    drawProposals(listed.proposals);
  }

  async function whatIf(id, out) {
    out.textContent = S.t("Running the twin…");
    try {
      const w = await post("/api/v1/plan/proposals/" + id + "/what-if", { hours: 24 });
      const side = (r) => S.num(r.output) + " " + S.t("pcs") + ", " + S.num(r.orders_finished) + " " + S.t("orders finished");
      out.textContent = S.t("Digital twin, 24 h") + ": " + S.t("Output") + " " + side(w.runs.proposed) +
        (w.runs.kept ? " (" + S.t("if kept") + " " + side(w.runs.kept) + ")" : "");
    } catch (err) {
      out.textContent = S.t("Refused") + ": " + err.message;
    }
  }

  async function act(url, body) {
    status.textContent = S.t("Asking the brain…");
    try {
      await post(url, body);
      await refresh();
      status.textContent = S.t("Done");
    } catch (err) {
      status.textContent = S.t("Refused") + ": " + err.message;
    }
  }

  if (proposeButton) proposeButton.addEventListener("click", () => act("/api/v1/plan/proposals", { time_limit_s: 3, from_floor: true }));
  drawBoard(S.data.plan);
  drawProposals(S.data.proposals);
})();
