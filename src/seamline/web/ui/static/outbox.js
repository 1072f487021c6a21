/* The tablet's outbox: what a supervisor or inspector enters is kept in the browser (localStorage)
   until the server has it, so a Wi-Fi drop loses nothing. Each entry carries an Idempotency-Key,
   so an entry sent twice (the answer was lost on the way back) is applied once. */
"use strict";
(function () {
  const S = window.Seamline;
  const KEY = "seamline-outbox";
  const listeners = [];
  let flushing = false;

  function load() {
    try {
      return JSON.parse(localStorage.getItem(KEY) || "[]");
    } catch (e) {
      return [];
    }
  }
  function save(entries) {
    localStorage.setItem(KEY, JSON.stringify(entries));
    for (const fn of listeners) fn(entries.length);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* Send one write now, or as soon as the connection is back. Resolves with the server's JSON
     answer when it is sent at once, with null when it waits in the outbox; rejects with the
     server's error when it refuses the write (a 4xx: sending again would not help). */
  async function send(method, url, body, label) {
    const entry = { id: uuid(), method, url, body, label: label || url, at: Date.now() };
    save([...load(), entry]);
    return flush(entry.id);
  }

  async function flush(want) {
    if (flushing) return null;
    flushing = true;
    let answer = null;
    try {
      for (;;) {
        const entries = load();
        if (!entries.length) break;
        const entry = entries[0];
        let response;
        try {
          response = await fetch(entry.url, {
            method: entry.method,
            headers: { "content-type": "application/json", "Idempotency-Key": entry.id, "X-CSRF-Token": csrf() },
            body: entry.body === undefined ? undefined : JSON.stringify(entry.body),
            credentials: "same-origin",
          });
        } catch (e) {
          break; // offline: keep it, try again later
        }
        if (response.status >= 500 || response.status === 429) break; // the server will take it later
        save(load().filter((e) => e.id !== entry.id));
        const json = await response.json().catch(() => null);
        if (!response.ok) {
          const err = new Error(S.refusal(json, response.status));
          err.body = json;
          S.report && S.report(entry.label, err.message);
          if (entry.id === want) throw err;
        } else if (entry.id === want) {
          answer = json;
        }
      }
    } finally {
      flushing = false;
    }
    return answer;
  }

  S.outbox = {
    send,
    flush,
    pending: () => load().length,
    onChange: (fn) => {
      listeners.push(fn);
      fn(load().length);
    },
  };
  window.addEventListener("online", () => flush());
  setInterval(() => {
    if (load().length) flush();
  }, 5000);
})();
