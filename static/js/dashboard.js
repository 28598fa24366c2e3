// The funnel dashboard's charts (Chart.js, served from static/vendor). Every bar and point opens the lead
// list behind it, like the numbers in the tables.
(function () {
  "use strict";
  var dataNode = document.getElementById("dash-chart-data");
  var form = document.getElementById("dash-filters");
  if (form) {
    // Typing a date means a custom period.
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () {
        var apply = form.querySelector("[data-apply]");
        if (apply) apply.value = "custom";
      });
    });
  }
  if (!dataNode || typeof window.Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var primary = "#0b5cab";
  var palette = ["#0b5cab", "#1a73e8", "#4f8fe6", "#7aa9ec", "#a3c4f2", "#17683c", "#2f9e5b", "#c0392b", "#8a94a3"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5f6b7a";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function opener(urls) {
    return function (event, elements) {
      if (!elements.length) return;
      var url = urls[elements[0].index];
      if (url) window.location.href = url;
    };
  }
  function hover(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }
  var integerAxis = { beginAtZero: true, ticks: { precision: 0 }, grid: { color: "#edf0f4" } };

  var builders = {
    funnel: function (chart) {
      return {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: data.labels.leads, data: chart.values, backgroundColor: palette, borderRadius: 4 }] },
        options: { onClick: opener(chart.urls), onHover: hover, plugins: { legend: { display: false } }, scales: { y: integerAxis, x: { grid: { display: false } } } },
      };
    },
    conversion: function (chart) {
      return {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: data.labels.leads, data: chart.values, backgroundColor: primary, borderRadius: 4 }] },
        options: {
          indexAxis: "y", onClick: opener(chart.urls), onHover: hover,
          plugins: { legend: { display: false }, tooltip: { callbacks: { afterLabel: function (item) { return chart.shares[item.dataIndex] + "% " + data.labels.share; } } } },
          scales: { x: integerAxis, y: { grid: { display: false } } },
        },
      };
    },
    first_response: function (chart) {
      var colours = chart.values.map(function (_v, i) { return i < 3 ? "#2f9e5b" : i < chart.values.length - 1 ? "#e0a100" : "#8a94a3"; });
      return {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: data.labels.leads, data: chart.values, backgroundColor: colours, borderRadius: 4 }] },
        options: { onClick: opener(chart.urls), onHover: hover, plugins: { legend: { display: false } }, scales: { y: integerAxis, x: { grid: { display: false } } } },
      };
    },
    lost_reasons: function (chart) {
      return {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: data.labels.leads, data: chart.values, backgroundColor: "#c0392b", borderRadius: 4 }] },
        options: { indexAxis: "y", onClick: opener(chart.urls), onHover: hover, plugins: { legend: { display: false } }, scales: { x: integerAxis, y: { grid: { display: false } } } },
      };
    },
    trend: function (chart) {
      return {
        type: "line",
        data: {
          labels: chart.labels,
          datasets: [
            { label: chart.series[0], data: chart.leads, borderColor: primary, backgroundColor: "rgba(11,92,171,.12)", fill: true, tension: 0.25, pointRadius: 2 },
            { label: chart.series[1], data: chart.ordered, borderColor: "#2f9e5b", tension: 0.25, pointRadius: 2 },
            { label: chart.series[2], data: chart.breached, borderColor: "#c0392b", borderDash: [4, 3], tension: 0.25, pointRadius: 2 },
          ],
        },
        options: {
          onClick: opener(chart.urls), onHover: hover, interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
          scales: { y: integerAxis, x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } } },
        },
      };
    },
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.dataset.chart;
    if (builders[name] && data[name]) new Chart(canvas, builders[name](data[name]));
  });
})();
