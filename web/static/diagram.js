/* sanfu: the instance diagram (bpmn-js navigated viewer, static/vendor/bpmn-js/).
   Each <details class="diagram" data-diagram-url> loads its JSON when it is (or becomes)
   open: the deployed BPMN, the elements done and current. Without the viewer the steps
   are listed as text; without JavaScript the page says so (see instances/_diagram.html). */
(function () {
  "use strict";
  var t = window.sanfuText || function (key, values, fallback) { return fallback; };

  function setNote(section, text) {
    var note = section.querySelector(".diagram-note");
    if (note) { note.textContent = text; }
  }

  function listSteps(section, steps) {
    var box = section.querySelector(".diagram-steps");
    if (!box || box.children.length) { return; }
    [["done", t("diagram_done", null, "已完成")], ["active", t("diagram_active", null, "当前")]].forEach(function (kind) {
      var heading = document.createElement("h3");
      heading.textContent = kind[1];
      var list = document.createElement(kind[0] === "done" ? "ol" : "ul");
      list.className = "steps " + kind[0];
      steps.filter(function (s) { return s.state === kind[0]; }).forEach(function (s) {
        var item = document.createElement("li");
        item.textContent = s.name;
        item.setAttribute("data-element", s.id);
        list.appendChild(item);
      });
      box.appendChild(heading);
      box.appendChild(list);
    });
  }

  function mark(viewer, ids, marker) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, marker); }
    });
  }

  // Buttons as well as the wheel: a phone has no wheel, and the whole model is small there.
  function enableZoom(section, canvas) {
    var tools = section.querySelector(".diagram-tools");
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var how = button.getAttribute("data-zoom");
      if (how === "fit") {
        canvas.zoom("fit-viewport", "auto");
      } else {
        canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8), "auto");
      }
    });
  }

  function draw(section, data) {
    listSteps(section, data.steps || []);
    if (typeof window.BpmnJS !== "function") {
      setNote(section, t("diagram_missing", null, "流程图组件未安装（运行 make setup），以下为步骤列表。"));
      return;
    }
    var container = section.querySelector(".diagram-canvas");
    container.hidden = false;
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(data.xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      mark(viewer, data.completed || [], "done");
      mark(viewer, data.active || [], "active");
      section.classList.add("diagram-ready");
      section.querySelector(".diagram-legend").hidden = false;
      enableZoom(section, viewer.get("canvas"));
    }).catch(function () {
      container.hidden = true;
      viewer.destroy();
      setNote(section, t("diagram_failed", null, "流程图无法显示，以下为步骤列表。"));
    });
  }

  function load(section) {
    if (section.getAttribute("data-loaded")) { return; }
    section.setAttribute("data-loaded", "1");
    setNote(section, t("diagram_loading", null, "正在加载流程图…"));
    fetch(section.getAttribute("data-diagram-url"), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      draw(section, data);
    }).catch(function () {
      setNote(section, t("diagram_unavailable", null, "流程图暂时无法加载，请刷新页面重试。"));
    });
  }

  document.querySelectorAll("details.diagram[data-diagram-url]").forEach(function (section) {
    if (section.open) { load(section); }
    // A collapsed diagram loads when opened: the canvas needs its size to fit the view.
    section.addEventListener("toggle", function () {
      if (section.open) { load(section); }
    });
  });
})();
