"""DMN inside SpiffWorkflow: the parser mixin and the businessRuleTask spec and parser.

`DmnParserMixin` + `BUSINESS_RULE_PARSER_OVERRIDE` make a SpiffBpmnParser keep every
decision of the added DMN files (engine.dmn) and run business rule tasks through
engine.dmn.evaluate instead of Spiff's DMNEngine.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from engine.dialects.namespaces import decision_ref, vendor_attr
from engine.dmn.evaluate import DecisionResult, DecisionSet
from engine.dmn.model import MAP_MODES, parse_dmn
from engine.errors import DefinitionError, ScriptError


class BusinessRuleDefinitionError(DefinitionError, ValidationException):
    """A DefinitionError raised while Spiff parses a businessRuleTask.

    SpiffWorkflow's TaskParser re-wraps every exception except ValidationException into a
    ValidationException whose message is the repr; being both keeps our message intact.
    """

    def __init__(self, reason: str, **where):
        DefinitionError.__init__(self, reason, **where)
        self.id, self.name = self.element_id or '', self.element_name or ''
        self.file_name = self.file or ''


class DecisionEngine:
    """What a business rule task holds instead of Spiff's DMNEngine: `result(task)`."""

    def __init__(self, decisions: DecisionSet, decision_id: str):
        self.decisions, self.decision_id = decisions, decision_id

    def result(self, task) -> dict:
        return self.decisions.evaluate(self.decision_id, task)

    def outcome(self, task) -> DecisionResult:
        return self.decisions.outcome(self.decision_id, task)


class DmnParserMixin:
    """For `class SanfuParser(DmnParserMixin, SpiffBpmnParser)`: decisions by id from any
    decision of any added DMN file, evaluated by this module instead of Spiff's DMNEngine."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = DecisionSet()

    def add_dmn_xml(self, node, filename=None):
        """Parse (and keep) every decision of the file; errors are DefinitionError."""
        self.decisions.add(parse_dmn(node, filename), filename)

    def get_engine(self, decision_ref, node):
        """Called while a businessRuleTask is parsed: resolve its decision (and DRG)."""
        where = {'element_id': node.get('id'), 'element_name': node.get('name')}
        if not decision_ref:
            raise DefinitionError("业务规则任务没有引用决策: 请设置 camunda:decisionRef 或 "
                                  "spiffworkflow:calledDecisionId (no decision reference)", **where)
        if decision_ref not in self.decisions:
            known = ', '.join(self.decisions.ids()) or '无'
            raise DefinitionError(f"业务规则任务引用的决策 '{decision_ref}' 不存在, 已部署的决策: "
                                  f"{known} (decision not found)", **where)
        self.decisions.check_requirements(decision_ref)
        return DecisionEngine(self.decisions, decision_ref)

    def _find_dependencies(self, process):
        super()._find_dependencies(process)
        self.dmn_dependencies.discard(None)  # a task without a reference is reported above


class SanfuBusinessRuleTask(BusinessRuleTaskMixin, SpiffBpmnTask):
    """A business rule task: merges the decision's variables into task data, or, with a
    camunda:resultVariable, stores the result there mapped as camunda:mapDecisionResult."""

    def __init__(self, wf_spec, name, dmnEngine, result_variable=None,
                 map_decision_result=None, **kwargs):
        super().__init__(wf_spec, name, dmnEngine, **kwargs)
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result or 'resultList'

    def _run_hook(self, my_task):
        """Spiff's version wraps our ScriptError into a WorkflowTaskException and
        DeepMerges lists item by item; here errors stay ours and outputs replace."""
        try:
            outcome = self.dmnEngine.outcome(my_task)
            if self.result_variable:
                my_task.data[self.result_variable] = outcome.mapped(self.map_decision_result)
            else:
                my_task.data.update(outcome.variables())
        except ScriptError as err:
            raise ScriptError(f"业务规则任务 '{self.bpmn_name or self.bpmn_id}': {err}") from err
        return super(BusinessRuleTaskMixin, self)._run_hook(my_task)


class SanfuBusinessRuleTaskParser(SpiffTaskParser):
    """Reads the decision reference from spiffworkflow:calledDecisionId or the Camunda
    (Activiti/Flowable) attributes decisionRef, resultVariable, mapDecisionResult."""

    def create_task(self):
        try:
            mode = _stripped(vendor_attr(self.node, 'mapDecisionResult'))
            if mode is not None and mode not in MAP_MODES:
                raise DefinitionError(f"mapDecisionResult {mode!r} 无效, 应为 "
                                      f"{'/'.join(MAP_MODES)} (invalid mapDecisionResult)",
                                      element_id=self.bpmn_id, element_name=self.node.get('name'))
            engine = self.process_parser.parser.get_engine(self.get_decision_ref(self.node),
                                                           self.node)
        except DefinitionError as err:
            raise BusinessRuleDefinitionError(
                err.reason, file=err.file or self.filename, element_id=err.element_id,
                element_name=err.element_name) from None
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec, self.bpmn_id, dmnEngine=engine,
            result_variable=_stripped(vendor_attr(self.node, 'resultVariable')), map_decision_result=mode,
            prescript=extensions.get('preScript'), postscript=extensions.get('postScript'),
            **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node) -> str | None:
        return decision_ref(node)


def _stripped(value: str | None) -> str | None:
    return (value or '').strip() or None


BUSINESS_RULE_PARSER_OVERRIDE = {
    full_tag('businessRuleTask'): (SanfuBusinessRuleTaskParser, SanfuBusinessRuleTask),
}
