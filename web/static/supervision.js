// 督办看板 charts (ECharts, vendored by `make setup`): colours by unit and 按期办结率 by unit.
// The numbers are in the tables below the charts; without ECharts the page loses nothing.
(function () {
  "use strict";
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function draw() {
    var data = read("dashboard-chart"), words = read("dashboard-labels");
    if (!data || !words || !window.echarts) { return; }
    var colours = document.getElementById("chart-colours"), rate = document.getElementById("chart-rate");
    var grid = { left: 8, right: 16, top: 48, bottom: 8, containLabel: true };
    var axis = { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 4 ? 30 : 0 } };
    var bars = echarts.init(colours);
    bars.setOption({
      animation: false, grid: grid, tooltip: { trigger: "axis" }, legend: { top: 4 }, xAxis: axis,
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: words.red, type: "bar", stack: "c", data: data.red, itemStyle: { color: "#c62828" },
          label: { show: true, formatter: function (p) { return p.value ? String(p.value) : ""; } } },
        { name: words.yellow, type: "bar", stack: "c", data: data.yellow, itemStyle: { color: "#e0b040" } },
        { name: words.blue, type: "bar", stack: "c", data: data.blue, itemStyle: { color: "#64a0e0" } }
      ]
    });
    var line = echarts.init(rate);
    line.setOption({
      animation: false, grid: grid, tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { top: 4 }, xAxis: axis, yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: words.rate, type: "bar", data: data.rate, itemStyle: { color: "#2e7d32" },
                 label: { show: true, position: "top", formatter: "{c}%" } }]
    });
    window.addEventListener("resize", function () { bars.resize(); line.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
