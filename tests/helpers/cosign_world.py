"""加签 objects for the authorization matrix's world (tests/web/authz_world.py)."""
from __future__ import annotations

from tests.helpers.forms import RECTIFIED

MATTER = {"source": "日常检查", "category": "水", "description": "雨水口有污水混入（加签）", "severity": "一般",
          "suggestion": "完成雨污分流改造"}


def pending_cosign(engine, enterprise_id: int) -> dict:
    """A standalone 西湖 water matter, rectified by xh_water1, whose 科长审核 xh_water_head has
    asked xh_water1 to co-sign first (前加签): `cosign` waits for xh_water1's signature."""
    instance = engine.start("ledger_matter", "xh_water1", {**MATTER, "enterprise_id": enterprise_id})["id"]
    [rectify] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == instance]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    [verify] = [t for t in engine.tasks("xh_water_head") if t["instance_id"] == instance]
    if verify["assignee"] is None:
        engine.claim(verify["id"], "xh_water_head")
    cosign = engine.add_cosigner(verify["id"], "xh_water_head", "xh_water1", "before", note="请核对整改佐证")
    return {"cosign": cosign["id"], "cosigned_task": verify["id"]}
