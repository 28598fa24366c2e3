// The satisfaction statistics page's charts (Chart.js, served from static/vendor). The tables beside them
// carry the same numbers, so the page reads without scripts too.
(function () {
  "use strict";
  var dataNode = document.getElementById("survey-chart-data");
  if (!dataNode || typeof window.Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5f6b7a";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  var grid = { color: "#edf0f4" };

  function npsColour(label) {
    var score = parseInt(label, 10);
    if (score >= 9) return "#2f9e5b";
    if (score >= 7) return "#a3c4f2";
    return "#c0392b";
  }

  var builders = {
    nps: function (chart) {
      return {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: [{ label: data.series.answers, data: chart.values, backgroundColor: chart.labels.map(npsColour) }]
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 }, grid: grid } } }
      };
    },
    trend: function (chart) {
      return {
        type: "line",
        data: {
          labels: chart.labels,
          datasets: [
            { label: data.series.rate, data: chart.rate, borderColor: "#0b5cab", backgroundColor: "#0b5cab", yAxisID: "y", spanGaps: true },
            { label: data.series.nps, data: chart.nps, borderColor: "#2f9e5b", backgroundColor: "#2f9e5b", yAxisID: "y1", spanGaps: true }
          ]
        },
        options: {
          scales: {
            y: { min: 0, max: 100, grid: grid, position: "left" },
            y1: { min: -100, max: 100, grid: { drawOnChartArea: false }, position: "right" }
          }
        }
      };
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var key = canvas.getAttribute("data-chart");
    if (builders[key] && data[key]) new Chart(canvas, builders[key](data[key]));
  });
})();
