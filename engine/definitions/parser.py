"""The BPMN/DMN parser sanfu uses: SpiffWorkflow's own dialect, plus the engine's timer
events (engine clock, unquoted ISO, cron) and DMN decisions (FEEL unary tests, hit policies).

Camunda/Flowable attributes are read separately (dialects/camunda.py) and expressions are
translated to Python before this parser sees the XML, so it only ever parses one dialect.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD, SpiffBpmnParser

from engine.definitions.passthrough import PASSTHROUGH_PARSER_OVERRIDES, IgnoredDataStore
from engine.dialects import namespaces
from engine.dmn.spiff import BUSINESS_RULE_PARSER_OVERRIDE, DmnParserMixin
from engine.timers.event_definitions import TIMER_PARSER_OVERRIDES


class SanfuParser(DmnParserMixin, SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        **TIMER_PARSER_OVERRIDES,
        **BUSINESS_RULE_PARSER_OVERRIDE,
        **PASSTHROUGH_PARSER_OVERRIDES,
    }

    def __init__(self):
        # Schema validation happens earlier (engine.definitions.bundle) so that errors carry the
        # file, line and element in the engine's own terms.
        super().__init__(validator=None)

    def _add_data_stores(self, bpmn):
        for store in bpmn.iter(namespaces.bpmn("dataStore")):
            store_id = store.get("id")
            if store_id:
                self.data_stores[store_id] = IgnoredDataStore(store_id, store.get("name") or store_id)


_validator: BpmnValidator | None = None


def bpmn_validator() -> BpmnValidator:
    """The BPMN 2.0 XSD (with the spiffworkflow extension schema), loaded once."""
    global _validator
    if _validator is None:
        _validator = BpmnValidator(imports={"spiffworkflow": SPIFF_XSD})
    return _validator
