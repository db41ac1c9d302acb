"""Scenarios on the designer's workbench: the shipped scenario files, and running one — shipped,
or uploaded with its models — for a designer, within a time limit, with what the diagram needs
(each model's XML and the elements the scenario visited, passed or failed)."""
from __future__ import annotations

import shutil
from pathlib import Path
from tempfile import TemporaryDirectory

from engine import access, config
from engine.errors import InvalidInput, NotFound, SanfuError
from engine.scenarios.format import Scenario, load_scenario, parse_scenario
from engine.scenarios.report import as_dict, element_marks
from engine.scenarios.runner import run_scenario

SHIPPED_SUFFIX = ".scenario.yaml"
UPLOAD_SUFFIXES = (".yaml", ".yml", ".bpmn", ".dmn", ".json")
MAX_FILES, MAX_FILE_BYTES = 20, 2 * 1024 * 1024
TIME_LIMIT_SECONDS = 60.0


def require_designer(engine, actor: str) -> None:
    with engine.uow(write=False) as uow:
        access.require_designer(uow.session, actor)


def shipped_scenarios(engine, actor: str) -> list[dict]:
    """Each processes/*.scenario.yaml: its file, title and models (or why it cannot be read)."""
    require_designer(engine, actor)
    out = []
    for path in sorted(config.PROCESSES_DIR.glob(f"*{SHIPPED_SUFFIX}")):
        try:
            scenario = load_scenario(path, forms_default=engine.forms_dir)
            out.append({"file": path.name, "name": scenario.name, "steps": len(scenario.steps),
                        "processes": [p.name for p in scenario.processes], "error": None})
        except SanfuError as err:
            out.append({"file": path.name, "name": path.name, "steps": 0, "processes": [], "error": str(err)})
    return out


def run_shipped(engine, actor: str, file_name: str, time_limit: float = TIME_LIMIT_SECONDS) -> dict:
    require_designer(engine, actor)
    shipped = {p.name: p for p in config.PROCESSES_DIR.glob(f"*{SHIPPED_SUFFIX}")}
    if file_name not in shipped:
        raise NotFound(f"没有名为 {file_name} 的场景文件 (no such shipped scenario)", code="scenario_not_found")
    return _run(load_scenario(shipped[file_name], forms_default=engine.forms_dir), time_limit)


def run_uploaded(engine, actor: str, files: list[tuple[str, bytes]], time_limit: float = TIME_LIMIT_SECONDS) -> dict:
    """A scenario file uploaded with the models and forms it names; a model it names but that was
    not uploaded is taken from the shipped processes. Nothing it names may lie outside the upload."""
    require_designer(engine, actor)
    files = _checked_upload(files)
    with TemporaryDirectory(prefix="sanfu-upload-") as tmp:
        folder = Path(tmp)
        forms = folder / "forms"
        shutil.copytree(engine.forms_dir, forms)  # the shipped forms, then any uploaded over them
        for name, content in files:
            (forms if name.endswith(".json") else folder).joinpath(name).write_bytes(content)
        [yaml_name] = [name for name, _ in files if name.endswith((".yaml", ".yml"))]
        text = _text(dict(files)[yaml_name], yaml_name)
        scenario = parse_scenario(text, folder / yaml_name, forms_default=forms)
        _keep_inside(scenario, folder)
        return _run(scenario, time_limit)


def _checked_upload(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    files = [(Path(name or "").name, content) for name, content in files if name]
    if not files:
        raise InvalidInput("请上传场景文件（.yaml）及其模型文件 (upload a scenario file)", code="scenario_upload")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件 (too many files)", code="scenario_upload")
    for name, content in files:
        if not name.endswith(UPLOAD_SUFFIXES) or name.startswith("."):
            raise InvalidInput(f"文件 {name} 不是场景、模型或表单文件（.yaml、.bpmn、.dmn、.json） "
                               "(not a scenario, model or form file)", code="scenario_upload")
        if len(content) > MAX_FILE_BYTES:
            raise InvalidInput(f"文件 {name} 超过 {MAX_FILE_BYTES // 1024 // 1024} MB (file too large)",
                               code="scenario_upload")
    if sum(name.endswith((".yaml", ".yml")) for name, _ in files) != 1:
        raise InvalidInput("请恰好上传一个场景文件（.yaml） (exactly one scenario file)", code="scenario_upload")
    return files


def _text(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"场景文件 {name} 不是 UTF-8 文本 (not UTF-8)", code="scenario_upload") from None


def _keep_inside(scenario: Scenario, folder: Path) -> None:
    """An uploaded scenario reads only what was uploaded with it (or a shipped model by name)."""
    root = folder.resolve()
    for i, path in enumerate(scenario.processes):
        if not path.is_relative_to(root):
            raise InvalidInput(f"模型文件 {path.name} 须与场景文件一起上传，不能引用其他位置 "
                               "(models must be uploaded with the scenario)", code="scenario_upload")
        if not path.exists() and (config.PROCESSES_DIR / path.name).is_file():
            scenario.processes[i] = config.PROCESSES_DIR / path.name
    if scenario.forms is not None and not Path(scenario.forms).resolve().is_relative_to(root):
        raise InvalidInput("表单目录须在上传的文件之内 (forms must be uploaded)", code="scenario_upload")


def _run(scenario: Scenario, time_limit: float) -> dict:
    result = run_scenario(scenario, time_limit=time_limit)
    diagrams = []
    for path in scenario.processes:
        if path.suffix == ".bpmn" and path.is_file():
            diagrams.append({"file": path.name, "xml": path.read_text(encoding="utf-8", errors="replace")})
    return {**as_dict(result), "file": Path(result.file).name, "marks": element_marks(result), "diagrams": diagrams}
