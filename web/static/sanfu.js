/* sanfu: small progressive enhancements. Every page works without JavaScript. */
/* sanfuText(key, {name: value}, fallback): a text translated on the server (base.html puts the
   table in #js-messages), with its {name} placeholders filled in. */
window.sanfuText = function (key, values, fallback) {
  if (!window.sanfuText.table) {
    var node = document.getElementById("js-messages");
    try { window.sanfuText.table = JSON.parse(node ? node.textContent : "{}"); } catch (e) { window.sanfuText.table = {}; }
  }
  var text = window.sanfuText.table[key] || fallback || key;
  return text.replace(/\{(\w+)\}/g, function (whole, name) {
    return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
};
(function () {
  "use strict";
  // 添加一行: clone the row template in place instead of a round trip to the server.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.add-row") : null;
    if (!button) { return; }
    var box = button.closest("[data-rows]");
    var template = box && box.querySelector(":scope > template.row-template");
    var list = box && box.querySelector(":scope > .row-list");
    if (!template || !list) { return; }
    event.preventDefault();
    var index = parseInt(box.getAttribute("data-next") || "0", 10);
    var html = template.innerHTML.split("__i__").join(String(index)).split("__n__").join(String(index + 1));
    list.insertAdjacentHTML("beforeend", html);
    box.setAttribute("data-next", String(index + 1));
    var first = list.lastElementChild && list.lastElementChild.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  });
})();
