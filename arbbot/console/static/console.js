// The overview, live: follow the console's relay of the searcher's events (named SSE events), list each one
// as text, and refresh the server-rendered state and charts in place (no reload, nothing from elsewhere).
"use strict";
(function () {
  const list = document.getElementById("events");
  const status = document.getElementById("stream-status");
  if (!list || !window.EventSource) return;
  let pending = null;

  function describe(kind, d) {
    if (kind === "block") return "block " + d.number + ": " + d.candidates + " candidates, " + d.sent + " sent";
    if (kind === "bundle") return "bundle to " + (d.builders || []).join(", ") + " for block " + d.target_block +
      " (profit " + d.profit_wei + " wei)";
    if (kind === "trade") return (d.landed ? "trade landed in block " + d.block + " (profit " + d.profit_wei + " wei)"
      : "trade missed") + (d.tx_hash ? " " + d.tx_hash : "");
    if (kind === "control") return "control: " + d.what + " " + JSON.stringify(d.old) + " -> " +
      JSON.stringify(d.new) + (d.actor ? " by " + d.actor : "");
    return kind;
  }

  function refresh() {
    pending = null;
    fetch("/", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, "text/html");
        for (const id of ["live-region", "controls"]) {
          const fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        }
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
      })
      .catch(function () { status.textContent = "refresh failed"; status.className = "stale"; });
  }

  const source = new EventSource("/api/events");
  source.onopen = function () { status.textContent = "live"; status.className = "live"; };
  source.onerror = function () { status.textContent = "reconnecting"; status.className = "stale"; };
  for (const kind of ["block", "bundle", "trade", "control"]) {
    source.addEventListener(kind, function (e) {
      let d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      const li = document.createElement("li");
      li.className = "event-" + kind;
      li.textContent = describe(kind, d);
      list.prepend(li);
      while (list.children.length > 50) list.lastChild.remove();
      if (pending === null) pending = setTimeout(refresh, 250);
    });
  }
})();
