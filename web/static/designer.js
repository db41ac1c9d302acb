/* sanfu: the designer's workbench diagrams (bpmn-js navigated viewer). Each .designer-diagram
   draws its XML from #designer-diagrams; every element with a validation error or warning gets
   a badge (bpmn-js overlay) with the message, red for errors, amber for warnings. */
(function () {
  "use strict";
  function badge(item) {
    var el = document.createElement("div");
    el.className = "designer-badge " + item.kind;
    el.setAttribute("data-element", item.id);
    el.setAttribute("role", "note");
    el.textContent = (item.kind === "error" ? "✗ " : "! ") + item.text;
    return el;
  }
  function draw(section, xml, overlays) {
    var container = section.querySelector(".diagram-canvas");
    if (!xml || typeof window.BpmnJS !== "function") { return; }
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var layer = viewer.get("overlays");
      canvas.zoom("fit-viewport", "auto");
      var file = section.getAttribute("data-file");
      overlays.forEach(function (item) {
        // Element ids repeat across files (StartEvent_1): a badge only on its own file's diagram.
        if (!registry.get(item.id) || (item.file && file && item.file !== file)) { return; }
        canvas.addMarker(item.id, "designer-" + item.kind);
        layer.add(item.id, "designer-" + item.kind, { position: { top: -28, left: 0 }, html: badge(item) });
      });
      section.classList.add("diagram-ready");
    }).catch(function () { container.hidden = true; viewer.destroy(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("designer-diagrams");
    var data = source ? JSON.parse(source.textContent) : { xml: [], overlays: [] };
    document.querySelectorAll(".designer-diagram").forEach(function (section) {
      draw(section, data.xml[Number(section.getAttribute("data-diagram"))], data.overlays || []);
    });
  });
}());
