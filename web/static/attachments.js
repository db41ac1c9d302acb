/* sanfu attachments: upload and delete in place (the task form keeps what was typed), and
   join an attachment picker's ticked files and lines into the one value the server reads.
   Without JavaScript the same forms post and come back to the task page. */
(function () {
  "use strict";
  var t = window.sanfuText || function (key, values, fallback) { return fallback; };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function setStatus(form, text, isError) {
    var status = form.querySelector(".upload-status");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function csrfToken() {
    var input = document.querySelector('#attachments-upload input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function send(form) {
    return fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 413) { return { errors: [t("file_too_large", null, "文件过大，超过了上传大小限制。")] }; }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { return { errors: [t("upload_failed", {status: response.status}, "上传失败（{status}），请刷新页面后重试。")] }; }
      return response.json();
    });
  }

  function updateCount() {
    var list = document.querySelector("[data-attachment-list]");
    var count = document.querySelector("[data-attachment-count]");
    var empty = document.querySelector(".attachments-empty");
    var n = list ? list.children.length : 0;
    if (count) { count.textContent = String(n); }
    if (empty) { empty.hidden = n > 0; }
  }

  function row(a) {
    var item = el("li", { "class": "attachment", "data-attachment": a.id });
    if (a.is_image) {
      var thumb = el("a", { "class": "thumb", href: a.preview_url, target: "_blank", rel: "noopener" });
      thumb.appendChild(el("img", { src: a.preview_url, alt: a.filename, width: "64", height: "64" }));
      item.appendChild(thumb);
    } else {
      item.appendChild(el("span", { "class": "thumb doc", "aria-hidden": "true" }, "PDF"));
    }
    var info = el("div", { "class": "attachment-info" });
    info.appendChild(el("a", { "class": "attachment-name", href: a.url, download: "" }, a.filename));
    info.appendChild(el("span", { "class": "meta" }, a.size_text + " · " + a.uploaded_by + " · " + a.created_local));
    item.appendChild(info);
    if (a.can_delete) {
      var form = el("form", { method: "post", action: a.delete_url, "class": "inline attachment-delete" });
      form.appendChild(el("input", { type: "hidden", name: "csrf_token", value: csrfToken() }));
      form.appendChild(el("button", { type: "submit", "class": "secondary small", "aria-label": t("delete_file", {name: a.filename}, "删除 {name}") }, t("delete", null, "删除")));
      item.appendChild(form);
    }
    return item;
  }

  function addToPickers(a) {
    document.querySelectorAll("[data-attachment-picker]").forEach(function (picker) {
      var name = picker.getAttribute("data-attachment-picker");
      var list = picker.querySelector(".picker-list");
      var label = el("label", { "class": "option" });
      var box = el("input", { type: "checkbox", name: name, value: a.ref });
      box.checked = true;  // just uploaded for this step: most likely evidence
      label.appendChild(box);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("span", { "class": "picker-name" }, a.filename));
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("span", { "class": "muted" }, a.size_text));
      var item = el("li");
      item.appendChild(label);
      list.appendChild(item);
      var empty = picker.querySelector(".picker-empty");
      if (empty) { empty.hidden = true; }
    });
  }

  function removeFromPickers(ref) {
    document.querySelectorAll("[data-attachment-picker] input[type=checkbox]").forEach(function (box) {
      if (box.value === ref) { box.closest("li").remove(); }
    });
  }

  function upload(form) {
    var input = form.querySelector('input[type="file"]');
    var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { setStatus(form, t("choose_file", null, "请先选择要上传的照片或 PDF 文件。"), true); return; }
    var big = files.filter(function (f) { return max && f.size > max; });
    if (big.length) {
      setStatus(form, t("file_over_limit", {name: big[0].name, mb: Math.round(max / 1048576)}, "文件“{name}”过大：每个文件不能超过 {mb} MB。"), true);
      return;
    }
    setStatus(form, t("uploading", null, "正在上传…"), false);
    send(form).then(function (answer) {
      var list = document.querySelector("[data-attachment-list]");
      (answer.attachments || []).forEach(function (a) { list.appendChild(row(a)); addToPickers(a); });
      updateCount();
      var done = (answer.attachments || []).map(function (a) { return a.filename; });
      var text = (done.length ? t("uploaded", {names: done.join("、")}, "已上传：{names}。") : "") + (answer.errors || []).join(" ");
      setStatus(form, text, (answer.errors || []).length > 0);
      input.value = "";
    }).catch(function () { setStatus(form, t("upload_network", null, "网络错误，上传未完成，请重试。"), true); });
  }

  function remove(form) {
    var item = form.closest("[data-attachment]");
    send(form).then(function (answer) {
      if (answer.deleted) {
        removeFromPickers("attachment:" + answer.deleted.id);
        item.remove();
        updateCount();
      } else {
        window.alert((answer.errors || [t("delete_failed", null, "删除失败")]).join(" "));
      }
    }).catch(function () { window.alert(t("delete_network", null, "网络错误，删除未完成，请重试。")); });
  }

  // A picker's checkboxes and its text box share one name; the server reads one value
  // of lines, so they are joined into a hidden input just before the form is sent.
  function joinPickers(form) {
    form.querySelectorAll("[data-attachment-picker]").forEach(function (picker) {
      var name = picker.getAttribute("data-attachment-picker");
      var lines = [];
      picker.querySelectorAll('input[type=checkbox]').forEach(function (box) {
        if (box.checked) { lines.push(box.value); }
      });
      picker.querySelectorAll("textarea").forEach(function (area) {
        area.value.split(/\r?\n/).forEach(function (line) { if (line.trim()) { lines.push(line.trim()); } });
      });
      picker.querySelectorAll("[name]").forEach(function (input) {
        if (input.name === name) { input.setAttribute("data-name", name); input.removeAttribute("name"); }
      });
      var joined = picker.querySelector("input.picker-joined") || el("input", { type: "hidden", "class": "picker-joined" });
      joined.name = name;
      joined.value = lines.join("\n");
      picker.appendChild(joined);
    });
  }

  // Back from the next page (bfcache): give the inputs their names again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-attachment-picker] [data-name]").forEach(function (input) {
      input.name = input.getAttribute("data-name");
    });
    document.querySelectorAll("input.picker-joined").forEach(function (input) { input.remove(); });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "attachments-upload") { event.preventDefault(); upload(form); return; }
    if (form.classList.contains("attachment-delete")) { event.preventDefault(); remove(form); return; }
    if (form.querySelector("[data-attachment-picker]")) { joinPickers(form); }
  });
})();
