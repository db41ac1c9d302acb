// bpmn-js / dmn-js / properties-panel translations: the community zh dictionary, then sanfu's own
// words for what it reads (泳道, 候选组, 表单 …), replacing {placeholders} as diagram-js does.
import communityZh from 'bpmn-js-i18n/translations/zn';
import sanfuZh from './zh-cn';

const dictionary = Object.assign({}, communityZh, sanfuZh);

export function translate(template, replacements) {
  replacements = replacements || {};
  const text = dictionary[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : '{' + key + '}'));
}

export const TranslateModule = { translate: [ 'value', translate ] };
