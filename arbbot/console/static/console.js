// The overview, live: draw the charts with Chart.js (served by the console itself) from the data the page
// carries; follow the console's relay of the searcher's events (named SSE events), list each one as text, and
// update the counts, head and charts in place from /api/overview, or the state panel and controls from the page
// after a control change (no reload, nothing from elsewhere).
"use strict";
(function () {
  const LINE = "#2a7d4f", BAR = "#3b6ea8";
  const numbers = new Intl.NumberFormat("en", { maximumFractionDigits: 3 });
  const whole = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

  function fmt(v) {
    return Math.abs(v) >= 100 || Number.isInteger(v) ? whole.format(v) : numbers.format(v);
  }

  // Each bar's value written at its end, so the chart reads at a glance without hovering.
  const barValues = {
    id: "arbbotBarValues",
    afterDatasetsDraw: function (chart) {
      const ctx = chart.ctx, values = chart.data.datasets[0].data;
      ctx.save();
      ctx.fillStyle = "#111";
      ctx.font = "12px 'DejaVu Sans', sans-serif";
      ctx.textBaseline = "middle";
      chart.getDatasetMeta(0).data.forEach(function (bar, i) { ctx.fillText(fmt(values[i]), bar.x + 6, bar.y); });
      ctx.restore();
    }
  };

  function empty(spec) {
    return spec.kind === "line" ? spec.points.length < 2 : spec.labels.length === 0;
  }

  function options(spec, scales) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false, scales: scales,
      plugins: {
        legend: { display: false },
        title: { display: true, text: spec.title, font: { size: 14, weight: "bold" }, align: "start" },
        subtitle: { display: empty(spec), text: spec.kind === "line" ? "not enough data yet" : "no data yet",
          align: "start", color: "#666", padding: { bottom: 10 } },
        tooltip: { callbacks: { label: function (c) { return fmt(c.parsed[spec.kind === "line" ? "y" : "x"]) +
          " " + (spec.kind === "line" ? spec.y_label : spec.unit); } } }
      }
    };
  }

  function config(spec) {
    if (spec.kind === "line") {
      return {
        type: "line",
        data: { datasets: [{ data: spec.points, borderColor: LINE, backgroundColor: LINE, borderWidth: 2,
          pointRadius: 2, tension: 0 }] },
        options: options(spec, {
          // Whole x ticks: blocks, and seconds in 2 s buckets.
          x: { type: "linear", ticks: { precision: 0 }, title: { display: true, text: spec.x_label } },
          y: { beginAtZero: true, title: { display: true, text: spec.y_label } }
        })
      };
    }
    const opts = options(spec, {
      // Headroom past the longest bar for its value (written by barValues).
      x: { beginAtZero: true, grace: "12%", ticks: { precision: 0 }, title: { display: true, text: spec.unit } },
      y: { ticks: { autoSkip: false } }
    });
    opts.indexAxis = "y";
    return {
      type: "bar",
      data: { labels: spec.labels, datasets: [{ data: spec.values, backgroundColor: BAR, maxBarThickness: 22 }] },
      options: opts,
      plugins: [barValues]
    };
  }

  function wellFormed(spec) {
    return spec && typeof spec.id === "string" && (spec.kind === "line" ? Array.isArray(spec.points)
      : spec.kind === "bars" && Array.isArray(spec.labels) && Array.isArray(spec.values));
  }

  // Draw each chart, or update the one already drawn on its canvas in place.
  function draw(all) {
    if (!window.Chart || !all) return;
    for (const spec of Object.values(all)) {
      const canvas = wellFormed(spec) ? document.getElementById(spec.id) : null;
      if (!canvas || canvas.tagName !== "CANVAS") continue;
      const chart = Chart.getChart(canvas);
      if (!chart) {
        new Chart(canvas, config(spec));
        continue;
      }
      if (spec.kind === "line") {
        chart.data.datasets[0].data = spec.points;
      } else {
        chart.data.labels = spec.labels;
        chart.data.datasets[0].data = spec.values;
      }
      chart.options.plugins.subtitle.display = empty(spec);
      chart.update("none");
    }
  }

  if (window.Chart) {
    Chart.defaults.font.family = "'DejaVu Sans', system-ui, sans-serif";
    Chart.defaults.color = "#111";
    const data = document.getElementById("chart-data");
    try { draw(data ? JSON.parse(data.textContent) : null); } catch (err) { /* no charts rather than no page */ }
  }

  const list = document.getElementById("events");
  const status = document.getElementById("stream-status");
  if (!list || !window.EventSource) return;

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

  function failed() { status.textContent = "refresh failed"; status.className = "stale"; }

  function bump(key) { document.body.dataset[key] = String(Number(document.body.dataset[key] || 0) + 1); }

  function setText(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = String(value);
  }

  // A control change: the state panel and the controls are the server's to render, so the page is fetched and
  // those parts replaced; the charts are updated in place from the data it carries.
  function refreshPage() {
    fetch("/", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, "text/html");
        for (const id of ["live-region", "controls"]) {
          const fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        }
        const data = doc.getElementById("chart-data");
        if (data) {
          draw(JSON.parse(data.textContent));
          bump("chartsUpdated");
        }
        bump("refreshed");
      })
      .catch(failed);
  }

  // A block, bundle or trade: counts, head and charts from /api/overview, updated in place (one request, as
  // each request takes the database's write lock for a moment).
  function refreshData() {
    fetch("/api/overview", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        // The searcher's state missing (or back after it was): the page says why, or shows it again.
        if (d.error || document.getElementById("control-error")) return refreshPage();
        for (const k of ["pools", "bundles", "trades", "realized"]) setText("count-" + k, Number(d.counts[k]));
        setText("head", Number.isInteger(d.head) ? d.head : "none yet");
        draw(d.charts);
        bump("chartsUpdated");
      })
      .catch(failed);
  }

  let pending = null, controlled = false;
  function refresh() {
    pending = null;
    const page = controlled;
    controlled = false;
    (page ? refreshPage : refreshData)();
  }

  const source = new EventSource("/api/events");
  // Live once the relay says the searcher's stream is open (the console's own stream opens before that).
  source.addEventListener("connected", function () { status.textContent = "live"; status.className = "live"; });
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
      if (kind === "control") controlled = true;
      if (pending === null) pending = setTimeout(refresh, 250);
    });
  }
})();
