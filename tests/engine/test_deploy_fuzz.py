"""No input makes deploy fail with anything but a clear refusal: mutated real models."""
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from engine.errors import SanfuError
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.paths import FORMS, PROCESSES

SOURCE = (PROCESSES / "demo_visit.bpmn").read_bytes()
NOISE = st.sampled_from(["", "x", "${", "${a.b()}", "__import__('os')", "P3D", "R/PT1H", "-1", "水",
                         "<", "&amp;", "0 0 * * * ?", "true", "'", "\x00"])


def mutate(seed: int, kind: int, noise: str) -> bytes:
    rng = random.Random(seed)
    if kind == 0:  # truncate
        return SOURCE[: rng.randrange(len(SOURCE))]
    root = etree.fromstring(SOURCE)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    target = rng.choice(elements[1:])
    if kind == 1 and target.getparent() is not None:
        target.getparent().remove(target)
    elif kind == 2 and target.attrib:
        del target.attrib[rng.choice(sorted(target.attrib))]
    elif kind == 3 and target.attrib:
        target.set(rng.choice(sorted(target.attrib)), noise.replace("\x00", ""))
    else:
        target.text = noise.replace("\x00", "")
    return etree.tostring(root)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    engine.add_user("designer", roles=("designer",))
    return engine


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), kind=st.integers(0, 4), noise=NOISE)
def test_mutated_models_deploy_or_are_refused_clearly(engine, tmp_path_factory, seed, kind, noise):
    path = tmp_path_factory.mktemp("m") / "mutant.bpmn"
    path.write_bytes(mutate(seed, kind, noise))
    try:
        engine.deploy([path], "designer")
    except SanfuError as err:
        message = str(err)
        assert message and "\n" not in message and "Traceback" not in message
        assert message.startswith("mutant.bpmn") or "mutant.bpmn" in message
