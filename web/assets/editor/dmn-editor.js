// The designer's DMN editor: dmn-js Modeler (decision tables; the DRD for the whole file),
// opened on the table of the decision being edited.
import DmnModeler from 'dmn-js/lib/Modeler';
import camundaDmnModdle from 'camunda-dmn-moddle/resources/camunda.json';

import { TranslateModule } from './translate';
import { config, showReport, wire } from './page';

function createEditor(cfg) {
  const modeler = new DmnModeler({
    container: '#editor-canvas',
    common: { additionalModules: [ TranslateModule ], moddleExtensions: { camunda: camundaDmnModdle } }
  });
  return {
    modeler,
    async open(xml) {
      await modeler.importXML(xml);
      const view = modeler.getViews().find(v => v.type === 'decisionTable' && v.element.id === cfg.key)
        || modeler.getViews().find(v => v.type === 'decisionTable');
      if (view) { await modeler.open(view); }
    },
    async exportXml() { return (await modeler.saveXML({ format: true })).xml; },
    onChange(handler) {
      modeler.on('views.changed', () => {
        const viewer = modeler.getActiveViewer();
        if (viewer && !viewer.__sanfuWatched) {
          viewer.__sanfuWatched = true;
          viewer.on('elements.changed', handler);
        }
      });
      const viewer = modeler.getActiveViewer();
      if (viewer) { viewer.__sanfuWatched = true; viewer.on('elements.changed', handler); }
    },
    select() {},
    mark() {}
  };
}

document.addEventListener('DOMContentLoaded', async () => {
  const cfg = config();
  const editor = createEditor(cfg);
  window.sanfuEditor = editor;
  try {
    await editor.open(cfg.xml);
    document.body.classList.add('editor-ready');
  } catch (err) {
    showReport({ errors: [ { file: cfg.file_name, message: cfg.text.import_failed + (err && err.message ? '：' + err.message : '') } ] }, editor);
  }
  wire(editor);
});
