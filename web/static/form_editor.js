/* The designer's JSON Schema form editor (web/designer_forms.py): the preview beside the text is
   rendered by the server with the task page's own code; it refreshes ~400 ms after typing stops.
   The buttons (保存草稿, 放弃草稿, 部署为新版本) post the same form with fetch and read JSON; without
   JavaScript the form posts and the page comes back. The CSRF token travels in the form's field. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;

  function start() {
    var form = document.getElementById("form-editor");
    var configNode = document.getElementById("form-editor-config");
    if (!form || !configNode) { return; }
    var config = JSON.parse(configNode.textContent);
    var text = config.text || {};
    var area = document.getElementById("form-editor-content");
    var preview = document.getElementById("form-preview");
    var state = document.getElementById("form-preview-state");
    var report = document.getElementById("form-editor-report");
    var timer = null;
    var sequence = 0;
    var saved = area.value;

    function formData(content) {
      var data = new FormData();
      data.append("csrf_token", form.querySelector('input[name="csrf_token"]').value);
      data.append("content", content);
      return data;
    }

    function refresh() {
      var mine = ++sequence;
      state.textContent = text.refreshing || "";
      fetch(config.preview, { method: "POST", body: formData(area.value), credentials: "same-origin",
                              headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status !== 200 && response.status !== 422) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          if (mine !== sequence) { return; }  // a newer keystroke's preview is on its way
          preview.innerHTML = html;
          state.textContent = area.value !== saved ? (text.unsaved || "") : "";
        })
        .catch(function () {
          if (mine === sequence) { state.textContent = text.failed || ""; }
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
      report.replaceChildren();
      if (area.value !== saved) { state.textContent = text.unsaved || ""; }
    }

    function element(tag, className, content) {
      var node = document.createElement(tag);
      if (className) { node.className = className; }
      if (content) { node.textContent = content; }
      return node;
    }

    function processLink(p) {
      var link = element("a", "", p.key + " v" + p.version);
      link.href = config.process.replace("__key__", encodeURIComponent(p.key)).replace("__version__", p.version);
      return link;
    }

    function show(body) {
      report.replaceChildren();
      if (body.processes && body.processes.length) {  // 已部署为新版本：each process version, a link to it
        var done = element("p", "notice success form-editor-deployed", body.deployed_text || "");
        body.processes.forEach(function (p, i) {
          if (i) { done.append("、"); }
          done.appendChild(processLink(p));
        });
        report.appendChild(done);
        body.processes.forEach(function (p) {  // the "used by" line names the versions now deployed
          var used = document.querySelector('#form-editor-source a[data-process="' + p.key + '"]');
          if (used) { used.href = processLink(p).href; used.querySelector(".version").textContent = p.version; }
        });
      } else if (body.message) {
        report.appendChild(element("p", "notice success", body.message));
      }
      (body.warnings || []).forEach(function (w) { report.appendChild(element("p", "hint", w)); });
      if (body.errors && body.errors.length) {
        var box = element("div", "error-summary");
        box.setAttribute("role", "alert");
        box.appendChild(element("p", "", text.not_done || ""));
        var errors = element("ul");
        body.errors.forEach(function (e) {
          var item = element("li");
          if (e.file) { item.appendChild(element("code", "", e.file + (e.line ? ":" + e.line : ""))); item.append(" "); }
          item.append(e.text || e.message || "");
          errors.appendChild(item);
        });
        box.appendChild(errors);
        report.appendChild(box);
      }
    }

    function post(button) {
      var action = button.getAttribute("data-action");
      if (action === "discard" && !window.confirm(text.confirm_discard || "")) { return; }
      var url = button.getAttribute("formaction") || form.getAttribute("action");
      button.disabled = true;
      fetch(url, { method: "POST", body: formData(area.value), credentials: "same-origin",
                   headers: { "Accept": "application/json" } })
        .then(function (response) {
          return response.json().catch(function () { return { errors: [{ text: text.failed }] }; });
        })
        .then(function (body) {
          show(body);
          var discard = document.getElementById("form-editor-discard");
          if (body.ok && action === "discard") {
            area.value = body.content;
            refresh();
          }
          if (body.ok) {  // a deploy clears the draft too
            discard.hidden = action !== "draft";
            var notice = document.getElementById("form-editor-draft-notice");
            if (notice && action !== "draft") { notice.hidden = true; }
          }
          if (body.ok) { saved = area.value; state.textContent = ""; }
        })
        .catch(function () { show({ errors: [{ text: text.failed }] }); })
        .then(function () { button.disabled = false; });
    }

    area.addEventListener("input", schedule);
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.getAttribute("data-action")) { return; }
      event.preventDefault();
      post(button);
    });
    document.getElementById("form-editor-format").addEventListener("click", function () {
      try {
        area.value = JSON.stringify(JSON.parse(area.value), null, 2) + "\n";
        schedule();
      } catch (err) {
        show({ errors: [{ text: (text.bad_json || "") + "：" + err.message }] });
      }
    });
    preview.addEventListener("submit", function (event) { event.preventDefault(); });  // a preview sends nothing
    preview.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("button")) { event.preventDefault(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
