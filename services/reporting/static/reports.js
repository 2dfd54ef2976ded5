// The leaders' page: the trend drawn as two charts (Chart.js, served by reporting) — the
// dossiers received on one, those resolved and late on the other, each on its own scale so
// a few hundred results are not flattened under tens of thousands received; numbers in
// Vietnamese ("60.000"). The figures refresh from /v1/reports/summary every 5 s. Without
// JavaScript the page is complete: the table above the charts holds every number.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var labels = data.labels.map(function (p) { return p.slice(5) + "/" + p.slice(0, 4); });
  function format(n) { return Number(n).toLocaleString("vi-VN"); }
  function draw(id, datasets) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        locale: "vi-VN",
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: format } } }
      }
    });
  }
  draw("trend-chart", [{ label: data.texts.received, data: data.received, backgroundColor: "#1f5fa8" }]);
  draw("trend-finished-chart", [
    { label: data.texts.finished, data: data.finished, backgroundColor: "#2e7d32" },
    { label: data.texts.late, data: data.finished_late, backgroundColor: "#b3261e" }
  ]);
  var url = script && script.dataset.summary;
  if (!url || !window.fetch) { return; }
  var nothing = script.dataset.nothing;
  function percent(v) { return v === null ? nothing : (v * 100).toFixed(2).replace(".", ",") + "%"; }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        document.querySelectorAll("[data-measure]").forEach(function (el) {
          var v = body.counts[el.dataset.measure];
          if (v !== undefined) { el.textContent = format(v); }
        });
        document.querySelectorAll("[data-rate]").forEach(function (el) {
          var v = body.figures[el.dataset.rate];
          if (v === undefined) { return; }
          el.textContent = el.dataset.rate === "agency_total" ? (v === null ? nothing : String(v).replace(".", ",")) : percent(v);
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  setInterval(refresh, 5000);
})();
