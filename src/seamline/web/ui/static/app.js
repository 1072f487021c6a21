/* Seamline pages: what every page shares. Numbers and times go through the reader's locale and the
   factory's time zone; strings a script draws come translated in #page-strings. */
"use strict";
(function () {
  const body = document.body;
  const locale = body.dataset.locale || "en-GB";
  const tz = body.dataset.tz || "UTC";
  const strings = JSON.parse(document.getElementById("page-strings").textContent || "{}");
  const refusals = JSON.parse((document.getElementById("page-refusals") || {}).textContent || "{}");
  const numbers = new Map();
  function nf(digits) {
    if (!numbers.has(digits)) {
      numbers.set(digits, new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: "negative" }));
    }
    return numbers.get(digits);
  }
  const clock = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const clockS = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

  const S = {
    data: JSON.parse(document.getElementById("page-data").textContent || "null"),
    t: (s) => (s in strings ? strings[s] : s),
    /* Why the server refused: its message, after a sentence in the reader's language when the page
       is not in English (the server speaks English to every client, scripts included). */
    refusal(json, status) {
      const e = (json && json.error) || {};
      const message = e.message || "HTTP " + status;
      return e.reason in refusals ? refusals[e.reason] + " (" + message + ")" : message;
    },
    num: (x, digits = 0) => (x === null || x === undefined ? "–" : nf(digits).format(x)),
    pct: (x, digits = 0) => (x === null || x === undefined ? "–" : nf(digits).format(x) + " %"),
    time: (ms, seconds = false) => (ms ? (seconds ? clockS : clock).format(new Date(ms)) : "–"),
    minutes: (ms) => nf(0).format(Math.max(0, Math.floor(ms / 60000))),
    el(tag, cls, text) {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text !== undefined) e.textContent = text;
      return e;
    },
    /* Follow a page's stream: call draw(snapshot) for the first snapshot and each one after. The
       browser's EventSource reconnects by itself; `drawn` keeps (data time, drawn time, server time)
       for the latency benchmark. */
    follow(topic, draw) {
      S.received = Date.now();
      draw(S.data);
      const source = new EventSource("/ui/live/" + encodeURIComponent(topic));
      source.addEventListener("snapshot", (ev) => {
        const snap = JSON.parse(ev.data);
        S.data = snap;
        S.received = Date.now();
        draw(snap);
        if (snap.data_ts) {
          S.drawn.push([snap.data_ts, Date.now(), snap.server_ts]);
          if (S.drawn.length > 2000) S.drawn.splice(0, 1000);
        }
      });
      S.source = source;
      return source;
    },
    drawn: [],
    /* The data-age badge: how old the newest reading drawn is, red once older than staleS. */
    age(el, staleS = 30) {
      const tick = () => {
        const d = S.data;
        if (!d || !d.data_ts) {
          el.textContent = S.t("no data yet");
          el.classList.add("stale");
          return;
        }
        const ageMs = (d.server_ts || Date.now()) - d.data_ts + (Date.now() - (S.received || Date.now()));
        const s = Math.max(0, Math.round(ageMs / 1000));
        el.textContent = S.t("data") + " " + (s < 120 ? S.num(s) + " " + S.t("s old") : S.num(Math.round(s / 60)) + " " + S.t("min old"));
        el.classList.toggle("stale", s > staleS);
      };
      tick();
      return setInterval(tick, 1000);
    },
    /* A wall screen's fixed 1920x1080 stage, scaled as a whole to the window. */
    scale(stage, w = 1920, h = 1080) {
      const fit = () => {
        const top = stage.parentElement.getBoundingClientRect().top + window.scrollY;
        const k = Math.min(window.innerWidth / w, (window.innerHeight - top) / h);
        stage.style.transform = "scale(" + k + ")";
        stage.style.left = Math.max(0, (window.innerWidth - w * k) / 2) + "px";
      };
      window.addEventListener("resize", fit);
      fit();
    },
  };
  window.Seamline = S;
})();
