// The designer's BPMN editor: bpmn-js Modeler with the properties panel for what sanfu reads
// (Camunda moddle: assignee, candidate groups/users, formKey, dueDate, timers, conditions,
// multi-instance, call activity, error and escalation codes, 扩展属性) and bpmnlint live.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule }
  from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from './generated/bpmnlint-config.js';

import { TranslateModule } from './translate';
import { config, showReport, wire } from './page';

function createEditor(cfg) {
  const modeler = new BpmnModeler({
    container: '#editor-canvas',
    propertiesPanel: { parent: '#editor-properties' },
    linting: { bpmnlint: lintConfig, active: true },
    additionalModules: [ BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, lintModule, TranslateModule ],
    moddleExtensions: { camunda: camundaModdle }
  });
  const marked = [];
  return {
    modeler,
    async open(xml) {
      await modeler.importXML(xml);
      modeler.get('canvas').zoom('fit-viewport', 'auto');
    },
    async exportXml() { return (await modeler.saveXML({ format: true })).xml; },
    onChange(handler) { modeler.on('commandStack.changed', handler); },
    select(id) {
      const element = modeler.get('elementRegistry').get(id);
      if (!element) { return; }
      modeler.get('canvas').scrollToElement(element);
      modeler.get('selection').select(element);
    },
    mark(report) {
      const canvas = modeler.get('canvas');
      const overlays = modeler.get('overlays');
      const registry = modeler.get('elementRegistry');
      marked.splice(0).forEach(([ id, cls ]) => { canvas.removeMarker(id, cls); });
      overlays.remove({ type: 'sanfu-report' });
      const add = (item, kind) => {
        if (!item.element_id || !registry.get(item.element_id)) { return; }
        const cls = 'designer-' + kind;
        canvas.addMarker(item.element_id, cls);
        marked.push([ item.element_id, cls ]);
        const badge = document.createElement('div');
        badge.className = 'designer-badge ' + kind;
        badge.setAttribute('data-element', item.element_id);
        badge.setAttribute('role', 'note');
        badge.textContent = (kind === 'error' ? '✗ ' : '! ') + (item.text || item.message);
        overlays.add(item.element_id, 'sanfu-report', { position: { top: -28, left: 0 }, html: badge });
      };
      (report.errors || []).forEach(e => add(e, 'error'));
      (report.warnings || []).forEach(w => add(w, 'warning'));
    }
  };
}

document.addEventListener('DOMContentLoaded', async () => {
  const cfg = config();
  const editor = createEditor(cfg);
  window.sanfuEditor = editor;  // for the browser tests: the modeler's services
  try {
    await editor.open(cfg.xml);
    document.body.classList.add('editor-ready');
  } catch (err) {
    showReport({ errors: [ { file: cfg.file_name, message: cfg.text.import_failed + (err && err.message ? '：' + err.message : '') } ] }, editor);
  }
  wire(editor);
});
