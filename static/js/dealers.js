// The dealers' pages: a month-by-month chart of the figure picked above it (Chart.js from static/vendor).
// Each point opens the rows behind that month's number, like the table below the chart.
(function () {
  "use strict";
  var dataNode = document.getElementById("dl-chart-data");
  var canvas = document.getElementById("dl-trend-chart");
  var picker = document.getElementById("dl-trend-figure");
  if (!dataNode || !canvas || typeof window.Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  if (!data.series.length) return;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5f6b7a";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function seriesFor(code) {
    for (var i = 0; i < data.series.length; i++) {
      if (data.series[i].code === code) return data.series[i];
    }
    return data.series[0];
  }
  var current = seriesFor(picker ? picker.value : data.primary);
  var chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{ label: current.label, data: current.values, borderColor: "#0b5cab", backgroundColor: "rgba(11,92,171,.12)", fill: true, tension: 0.25, pointRadius: 3, spanGaps: true }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, grid: { color: "#edf0f4" } }, x: { grid: { display: false } } },
      onClick: function (event, elements) {
        if (!elements.length) return;
        var url = current.urls[elements[0].index];
        if (url) window.location.href = url;
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
    },
  });
  if (picker) {
    picker.addEventListener("change", function () {
      current = seriesFor(picker.value);
      chart.data.datasets[0].label = current.label;
      chart.data.datasets[0].data = current.values;
      chart.update();
    });
  }
})();
