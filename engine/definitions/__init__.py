"""BPMN/DMN/form files to deployed, versioned definitions: safe XML, structure checks, the parser,
deploy-time validation, the spec cache."""
