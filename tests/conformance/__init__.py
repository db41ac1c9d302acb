"""Conformance suite: the third-party BPMN/DMN corpus (../shared/bpmn-corpus) against the engine."""
