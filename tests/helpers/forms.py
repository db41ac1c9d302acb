"""Form data the tests submit: valid data for each step of the bureaus' models
(processes/enterprise_service, ledger_matter, complaint_12369), in the shape their forms ask."""
from __future__ import annotations

# enterprise_service and the ledger_matter of each finding
VISIT = {"visit_date": "2026-03-02", "mode": "走访", "members": ["张明", "李华"],
         "needs": "希望指导污水处理设施提标改造", "notes": "企业生产正常"}
WATER = {"category": "水", "description": "雨污分流不彻底，雨水口有污水混入", "severity": "较重",
         "suggestion": "完成厂区雨污管网改造"}
AIR = {"category": "气", "description": "喷涂工序 VOCs 无组织排放", "severity": "一般",
       "suggestion": "加装集气罩和活性炭吸附装置"}
CHECK = {"check_date": "2026-03-03", "experts": ["王工"], "summary": "企业环境管理基本规范，发现两处问题",
         "findings": [WATER, AIR]}
NO_FINDINGS = {"check_date": "2026-03-03", "experts": ["王工"], "summary": "未发现问题", "findings": []}
RECTIFIED = {"measures": "已完成整改", "evidence": ["整改前.jpg", "整改后.jpg"],
             "completion_date": "2026-03-12", "responsible_person": "赵强"}
FOLLOW_UP = {"followup_date": "2026-04-02", "mode": "电话",
             "satisfaction": {"visit": 5, "health_check": 4, "rectification": 5, "overall": 5},
             "comments": "服务及时，问题基本解决"}
URGED = {"urge_date": "2026-04-20", "urge_mode": "电话催办", "urge_opinion": "请承办部门三日内答复"}
HANDOVER = {"department": "县自然资源局", "handover_mode": "交办", "sent_date": "2026-04-01",
            "answer_due_date": "2026-04-20", "content": "厂区用地性质需自然资源部门认定"}
ANSWER = {"answer_date": "2026-04-22", "answer_content": "已认定为工业用地，可按规划实施整改"}
# complaint_12369
INTAKE = {"received_date": "2026-05-06", "channel": "12369 热线", "real_name": True,
          "complainant_name": "陈女士", "complainant_phone": "13800000000", "category": "噪声",
          "description": "夜间车间噪声扰民，持续到凌晨", "enterprise_name": "某机械厂"}
INVESTIGATED = {"investigation_date": "2026-05-08", "investigators": ["刘洋", "孙磊"],
                "findings": "夜间 22 时后仍有冲压作业", "substantiated": "属实",
                "measures": "责令限期整改，夜间停止冲压作业"}
REPLY = {"reply_date": "2026-05-12", "reply_mode": "电话", "reply_content": "经查属实，已责令整改"}
CALLBACK = {"callback_date": "2026-05-20", "callback_mode": "电话", "result": "夜间已无冲压作业",
            "complainant_opinion": "噪声明显减轻", "satisfaction": "满意"}
