/* Inbox bulk selection: a "select all" box for the page's rows and a running count.
   Without JavaScript each row's box still works; the select-all box stays hidden. */
(function () {
  "use strict";
  var t = window.sanfuText || function (key, values, fallback) { return fallback; };
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var all = form.querySelector("input.select-all");
  var counter = form.querySelector(".selected-count");
  function boxes() { return form.querySelectorAll('input[type=checkbox][name="task_id"]'); }
  function refresh() {
    var list = boxes(), picked = 0;
    for (var i = 0; i < list.length; i++) { if (list[i].checked) { picked++; } }
    if (all) {
      all.checked = picked > 0 && picked === list.length;
      all.indeterminate = picked > 0 && picked < list.length;
    }
    if (counter) { counter.textContent = picked ? t("picked", {n: picked}, "已选 {n} 项") : ""; }
  }
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      var list = boxes();
      for (var i = 0; i < list.length; i++) { list[i].checked = all.checked; }
      refresh();
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "task_id") { refresh(); }
  });
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value !== "none" && !form.querySelector('input[name="task_id"]:checked')) {
      event.preventDefault();
      if (counter) { counter.textContent = t("pick_first", null, "请先勾选任务"); }
    }
  });
  refresh();
})();
