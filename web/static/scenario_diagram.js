/* sanfu: a scenario's result on its diagrams (bpmn-js navigated viewer): the elements the
   scenario visited are marked green where its steps passed and red where one failed. */
(function () {
  "use strict";
  function draw(section, xml, marks) {
    var container = section.querySelector(".diagram-canvas");
    if (!xml || typeof window.BpmnJS !== "function") { return; }
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      Object.keys(marks).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "scenario-" + marks[id]); }
      });
      section.classList.add("diagram-ready");
    }).catch(function () { container.hidden = true; viewer.destroy(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("scenario-diagrams");
    var data = source ? JSON.parse(source.textContent) : { marks: {}, xml: [] };
    document.querySelectorAll(".scenario-diagram").forEach(function (section) {
      draw(section, data.xml[Number(section.getAttribute("data-diagram"))], data.marks);
    });
  });
}());
