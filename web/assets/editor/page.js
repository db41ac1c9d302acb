// The editor page around a modeler: 保存草稿, 校验, 部署为新版本, 放弃草稿, 下载; the report of
// errors and warnings (each one selects its element); the unsaved-changes guard. The modeler
// itself (bpmn-js or dmn-js) is given as { exportXml(), mark(report), select(id) }.

function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST', body, credentials: 'same-origin',
    headers: { 'X-CSRFToken': csrfToken(), 'Accept': 'application/json' }
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!data) {
    data = { ok: false, errors: [ { message: response.status === 403 ? config().text.forbidden : config().text.failed } ] };
  }
  return data;
}

let cachedConfig = null;
export function config() {
  if (!cachedConfig) {
    cachedConfig = JSON.parse(document.getElementById('editor-config').textContent);
  }
  return cachedConfig;
}

function status(text, kind) {
  const el = document.getElementById('editor-status');
  el.textContent = text;
  el.className = 'editor-status ' + (kind || '');
}

function reportItem(item, kind, editor) {
  const li = document.createElement('li');
  li.className = 'editor-' + kind;
  const where = [ item.file, item.element_id && (item.element_name ? item.element_id + '（' + item.element_name + '）' : item.element_id) ]
    .filter(Boolean).join(' · ');
  if (where) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link-button';
    button.textContent = where;
    button.addEventListener('click', () => item.element_id && editor.select(item.element_id));
    li.appendChild(button);
    li.appendChild(document.createTextNode('：'));
  }
  li.appendChild(document.createTextNode(item.text || item.message));
  return li;
}

export function showReport(report, editor) {
  const box = document.getElementById('editor-report');
  box.replaceChildren();
  const items = [ ...(report.errors || []).map(e => [ e, 'error' ]), ...(report.warnings || []).map(w => [ w, 'warning' ]) ];
  if (!items.length) { box.hidden = true; editor.mark({ errors: [], warnings: [] }); return; }
  const list = document.createElement('ul');
  items.forEach(([ item, kind ]) => list.appendChild(reportItem(item, kind, editor)));
  box.appendChild(list);
  box.hidden = false;
  editor.mark(report);
}

function fileBody(xml) {
  const body = new FormData();
  body.append('files', new Blob([ xml ], { type: 'application/xml' }), config().file_name);
  return body;
}

export function wire(editor) {
  const cfg = config();
  let dirty = false;
  editor.onChange(() => { dirty = true; status(cfg.text.unsaved, 'unsaved'); });
  window.addEventListener('beforeunload', (event) => { if (dirty) { event.preventDefault(); event.returnValue = ''; } });

  const on = (id, handler) => {
    const button = document.getElementById(id);
    if (button) { button.addEventListener('click', () => handler(button)); }
  };
  const busy = async (button, work) => {
    button.disabled = true;
    try { await work(); } catch (err) { status(cfg.text.failed, 'error'); } finally { button.disabled = false; }
  };

  on('editor-save-draft', (button) => busy(button, async () => {
    const body = new FormData();
    body.append('content', await editor.exportXml());
    const answer = await post(cfg.urls.draft, body);
    if (answer.ok) { dirty = false; status(answer.message, 'saved'); } else { showReport(answer, editor); status(cfg.text.not_saved, 'error'); }
  }));
  on('editor-validate', (button) => busy(button, async () => {
    const answer = await post(cfg.urls.validate, fileBody(await editor.exportXml()));
    showReport(answer, editor);
    status(answer.ok ? cfg.text.valid : cfg.text.invalid, answer.ok ? 'saved' : 'error');
  }));
  on('editor-deploy', (button) => busy(button, async () => {
    const body = new FormData();
    body.append('content', await editor.exportXml());
    const answer = await post(cfg.urls.deploy, body);
    showReport(answer, editor);
    if (answer.ok) { dirty = false; status(answer.message, 'saved'); if (answer.next) { window.location.assign(answer.next); } }
    else { status(cfg.text.not_deployed, 'error'); }
  }));
  on('editor-discard', (button) => busy(button, async () => {
    if (!window.confirm(cfg.text.confirm_discard)) { return; }
    const answer = await post(cfg.urls.discard, new FormData());
    if (answer.ok) { dirty = false; window.location.reload(); }
  }));
  on('editor-download', (button) => busy(button, async () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([ await editor.exportXml() ], { type: 'application/xml' }));
    link.download = cfg.file_name;
    link.click();
    URL.revokeObjectURL(link.href);
  }));
}
