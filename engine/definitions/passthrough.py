"""Tasks whose work happens outside this engine.

A plain `bpmn:task` and a service task implemented in Java, by an expression or as a
Camunda external task pass straight through (as Camunda runs a plain task); the deploy
lists each such service task as a warning. Data stores are not persisted by the engine:
reads and writes through them do nothing (also a deploy warning).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser, SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask


class PassThroughTask(SpiffBpmnTask):
    """Runs as soon as it is reached: no inbox entry, no side effect."""


class SanfuServiceTaskParser(ServiceTaskParser):
    def create_task(self):
        if self.parse_extensions().get("serviceTaskOperator") is not None:
            raise ValidationException(
                "服务任务使用 SpiffWorkflow 连接器 (serviceTaskOperator)，本系统未配置连接器 "
                "(service connectors are not configured)", node=self.node, file_name=self.filename)
        return PassThroughTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class IgnoredDataStore(BpmnDataStoreSpecification):
    def get(self, my_task):
        pass

    def set(self, my_task):
        pass


PASSTHROUGH_PARSER_OVERRIDES = {
    full_tag("task"): (SpiffTaskParser, PassThroughTask),
    full_tag("serviceTask"): (SanfuServiceTaskParser, PassThroughTask),
}
