// Draws the dashboard's charts from the figures the server rendered into #chart-data.
(function () {
  var holder = document.getElementById("chart-data");
  if (!holder || !window.echarts) { return; }
  var d = JSON.parse(holder.getAttribute("data-charts"));
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.tooltip = option.tooltip || { trigger: "axis" };
    option.grid = option.grid || { left: 48, right: 48, top: 36, bottom: 60 };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  draw("chart-units", {
    legend: { data: ["走访次数", "走访完成率%"] },
    xAxis: { type: "category", data: d.units, axisLabel: { interval: 0, rotate: d.units.length > 6 ? 30 : 0 } },
    yAxis: [{ type: "value", name: "次" }, { type: "value", name: "%", max: 100 }],
    series: [{ name: "走访次数", type: "bar", data: d.visits },
             { name: "走访完成率%", type: "line", yAxisIndex: 1, data: d.duty }]
  });
  draw("chart-categories", {
    legend: { data: ["新增", "未办结", "逾期", "本月办结"] },
    xAxis: { type: "category", data: d.categories, axisLabel: { interval: 0 } },
    yAxis: { type: "value" },
    series: [{ name: "新增", type: "bar", data: d.cat_new }, { name: "未办结", type: "bar", data: d.cat_open },
             { name: "逾期", type: "bar", data: d.cat_overdue }, { name: "本月办结", type: "bar", data: d.cat_resolved }]
  });
  draw("chart-weeks", {
    legend: { data: ["新增", "办结"] },
    xAxis: { type: "category", data: d.weeks },
    yAxis: { type: "value" },
    series: [{ name: "新增", type: "line", data: d.week_new }, { name: "办结", type: "line", data: d.week_resolved }]
  });
})();
