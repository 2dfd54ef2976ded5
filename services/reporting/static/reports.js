// The leaders' page: the trend chart (Chart.js, served by reporting) and the live figures,
// refreshed from /v1/reports/summary every 5 s. Without JavaScript the page is complete.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var canvas = document.getElementById("trend-chart");
  if (canvas && window.Chart) {
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: "Tiếp nhận", data: data.received, backgroundColor: "#1f5fa8", yAxisID: "y" },
          { type: "bar", label: "Giải quyết", data: data.finished, backgroundColor: "#2e7d32", yAxisID: "y" },
          { type: "bar", label: "Quá hạn", data: data.finished_late, backgroundColor: "#b3261e", yAxisID: "y" },
          { type: "line", label: "Hài lòng (%)", yAxisID: "rate", borderColor: "#6b4f00",
            data: data.satisfaction.map(function (v) { return v === null ? null : Math.round(v * 10000) / 100; }) }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, position: "left" }, rate: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } }
      }
    });
  }
  var url = script && script.dataset.summary;
  if (!url || !window.fetch) { return; }
  function format(n) { return n.toLocaleString("vi-VN"); }
  function percent(v) { return v === null ? "—" : (v * 100).toFixed(2).replace(".", ",") + "%"; }
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
          el.textContent = el.dataset.rate === "agency_total" ? (v === null ? "—" : String(v).replace(".", ",")) : percent(v);
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  setInterval(refresh, 5000);
})();
