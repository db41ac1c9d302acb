"""The demo province (`sanfu demo`): its organisation, paired enterprises, the stories its
instances act out, and the form data the people type in. Plain data; engine.demo drives it
through the Engine API."""
from __future__ import annotations

from engine.org.creditcode import demo_credit_codes

# (code, name, level, parent, division of its enterprises' credit codes)
UNITS = [
    ("zj", "省生态环境厅", "province", None, "330000"),
    ("hz", "杭州市生态环境局", "city", "zj", "330100"),
    ("huz", "湖州市生态环境局", "city", "zj", "330500"),
    ("xh", "西湖区分局", "county", "hz", "330106"),
    ("xs", "萧山区分局", "county", "hz", "330109"),
    ("wx", "吴兴区分局", "county", "huz", "330502"),
    ("cx", "长兴县分局", "county", "huz", "330522"),
]
COUNTIES = [u[0] for u in UNITS if u[2] == "county"]

# stable code → (province name, city/county name)
SECTIONS = {
    "water": ("水生态环境处", "水环境科"),
    "air": ("大气环境处", "大气环境科"),
    "solid_waste": ("固体废物与化学品处", "固废科"),
    "eia": ("环评处", "环评科"),
    "enforcement": ("执法稽查总队", "执法大队"),
    "monitoring": ("监测处", "监测站"),
    "office": ("办公室", "办公室"),
}

# login suffix, sections, roles, sections led (分管)
_HEAD = ("staff", "section_head")
COUNTY_PEOPLE = [
    ("water", ("water",), ("staff",), ()), ("water2", ("water",), ("staff",), ()),
    ("water_head", ("water",), _HEAD, ()),
    ("air", ("air",), ("staff",), ()), ("air_head", ("air",), _HEAD, ()),
    ("waste", ("solid_waste",), ("staff",), ()), ("waste_head", ("solid_waste",), _HEAD, ()),
    ("eia", ("eia",), ("staff",), ()), ("eia_head", ("eia",), _HEAD, ()),
    ("enforce", ("enforcement",), ("staff",), ()), ("enforce_head", ("enforcement",), _HEAD, ()),
    ("monitor", ("monitoring",), ("staff",), ()), ("monitor_head", ("monitoring",), _HEAD, ()),
    ("office", ("office",), ("staff",), ()), ("office_head", ("office",), _HEAD, ()),
    ("leader", (), ("leader",), ("water", "air", "solid_waste", "monitoring")),
    ("leader2", (), ("leader",), ("eia", "enforcement", "office")),
    ("liaison", ("enforcement",), ("staff", "liaison"), ()),
    ("liaison2", ("enforcement",), ("staff", "liaison"), ()),
    ("expert", (), ("expert",), ()),
]
CITY_PEOPLE = [
    ("super", ("office",), ("staff", "supervisor"), ()),    # 督查室 (in the office)
    ("leader", (), ("leader",), tuple(SECTIONS)),
    ("liaison", ("enforcement",), ("staff", "liaison"), ()),
]
PROVINCE_PEOPLE = [  # full logins
    ("admin", ("office",), ("admin",), ()),
    ("designer", ("office",), ("designer",), ()),
    ("zj_super", ("office",), ("staff", "supervisor"), ()),
]
# 三员分立: besides `admin` (系统管理员), a security admin and an audit admin, each holding
# that one role and no business role. Listed last so everyone else keeps their name.
SEPARATE_ADMINS = [
    ("secadmin", (), ("security_admin",), ()),     # 安全管理员
    ("auditadmin", (), ("audit_admin",), ()),      # 审计管理员
]

_SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁沈"
_GIVEN = ["建国", "晓燕", "志强", "丽华", "海峰", "静", "伟", "敏", "俊杰", "雪梅", "国庆", "红英",
          "立新", "佳怡", "文斌", "秀兰", "宇航", "春燕", "浩然", "玉兰", "明辉", "婷婷", "永刚",
          "慧敏", "振华", "晨曦", "建军", "凤英", "子涵", "德明", "桂芳", "天宇", "亚萍", "鹏飞",
          "淑贞", "国栋", "梦琪"]


def people() -> list[tuple[str, str, str, tuple, tuple, tuple, str]]:
    """(login, display name, unit, sections, roles, leads, phone) for everyone."""
    rows = [(login, "zj", s, r, ld) for login, s, r, ld in PROVINCE_PEOPLE]
    rows += [(f"{u}_{sfx}", u, s, r, ld) for u in ("hz", "huz") for sfx, s, r, ld in CITY_PEOPLE]
    rows += [(f"{u}_{sfx}", u, s, r, ld) for u in COUNTIES for sfx, s, r, ld in COUNTY_PEOPLE]
    rows += [(login, "zj", s, r, ld) for login, s, r, ld in SEPARATE_ADMINS]
    return [(login, _SURNAMES[i % 23] + _GIVEN[i % 37], unit, s, r, ld, f"1385{7100000 + i * 37:07d}")
            for i, (login, unit, s, r, ld) in enumerate(rows)]


# name, scale, type, 雄鹰行动, status; the first two and the last alternate liaison/leader
ENTERPRISES = {
    "xh": [("杭州之江热电有限公司", "大", "重点排污企业", True, "served"),
           ("杭州西溪食品有限公司", "中", "传统产业", False, "paired"),
           ("杭州转塘生物制药有限公司", "中", "战略性新兴产业", True, "paired"),
           ("杭州留下家具制造有限公司", "小", "传统产业", False, "paired"),
           ("杭州三墩环境科技有限公司", "小", "第三方治理企业", False, "added")],
    "xs": [("杭州萧山宏达印染有限公司", "大", "重点排污企业", True, "paired"),
           ("杭州瓜沥精细化工有限公司", "中", "重点排污企业", False, "paired"),
           ("杭州萧山万通汽车零部件有限公司", "大", "战略性新兴产业", True, "paired"),
           ("杭州义蓬纺织有限公司", "小", "传统产业", False, "paired"),
           ("杭州临浦电镀有限公司", "微", "重点排污企业", False, "paired")],
    "wx": [("湖州织里童装印花有限公司", "小", "传统产业", False, "served"),
           ("湖州八里店新材料科技有限公司", "中", "战略性新兴产业", True, "paired"),
           ("湖州东林造纸有限公司", "中", "重点排污企业", False, "paired"),
           ("湖州埭溪家具有限公司", "微", "传统产业", False, "paired"),
           ("湖州妙西环保工程有限公司", "小", "第三方治理企业", False, "added")],
    "cx": [("长兴煤山蓄电池有限公司", "大", "重点排污企业", True, "paired"),
           ("长兴和平热电有限公司", "中", "重点排污企业", False, "paired"),
           ("长兴夹浦纺织有限公司", "小", "传统产业", False, "paired"),
           ("长兴李家巷电镀有限公司", "小", "重点排污企业", False, "paired"),
           ("长兴泗安食品有限公司", "微", "传统产业", False, "added")],
}
# the city bureau pairs one of its counties' enterprises too: 扎堆服务 is flagged
ALSO_PAIRED_BY = [("hz", "xs", 2), ("huz", "cx", 0)]


def credit_codes(county: str) -> list[str]:
    division = next(u[4] for u in UNITS if u[0] == county)
    return demo_credit_codes(len(ENTERPRISES[county]), seed=2026, divisions=(division,))


FINDINGS = {
    "boiler_nox": ("气", "3 号锅炉脱硝系统氨逃逸偏高，NOx 小时浓度偶有超过超低排放限值", "较重",
                   "优化 SCR 喷氨控制，更换部分催化剂层"),
    "fly_ash": ("固废", "粉煤灰临时堆场未全封闭，部分区域无防扬散措施", "一般", "堆场加盖封闭并设喷淋抑尘"),
    "rain_sewer": ("水", "厂区雨污分流不彻底，2 号雨水排放口检出生产废水", "较重", "完成厂区雨污管网改造，雨水口加装切换阀"),
    "vocs": ("气", "发酵车间废气收集不完善，VOCs 无组织排放明显", "一般", "车间密闭负压收集，增设活性炭吸附装置"),
    "wastewater_online": ("水", "废水总排口在线监测数据与手工比对偏差超过 20%", "一般", "校准在线监测设备并建立比对台账"),
    "paint_sludge": ("固废", "喷漆废渣（HW12）与一般固废混放，危废台账不全", "较重", "分类贮存，完善危废管理台账和转移联单"),
    "grease_trap": ("水", "食堂和生产线隔油池清掏不及时，排口动植物油偏高", "一般", "按周清掏并做记录"),
    "sewer_connect": ("水", "印染废水预处理后纳管，管网接入点与市政规划冲突", "严重", "协调住建部门调整纳管接入方案"),
    "dyeing_odor": ("气", "定型机废气处理设施运行不正常，厂界异味明显", "较重", "更换静电油烟净化模块"),
    "chem_wastewater": ("水", "高盐废水预处理蒸发装置产能不足，部分废水超期贮存", "严重", "扩建 MVR 蒸发装置"),
    "hazwaste_store": ("固废", "危废仓库防渗层破损，需整体改造", "较重", "危废仓库整体翻建，纳入明年技改计划"),
    "noise": ("噪声", "空压机房夜间噪声超过厂界 2 类标准", "一般", "空压机房加装隔声门窗和消声器"),
    "plating_rinse": ("水", "电镀漂洗水回用率低，含铬废水处理站负荷超设计值", "较重", "增设逆流漂洗，扩容含铬废水处理单元"),
    "paper_wastewater": ("水", "制浆废水 COD 偶有超过纳管标准", "较重", "提升厌氧段处理能力，增加在线监控因子"),
    "boiler_dust": ("气", "生物质锅炉布袋除尘器破损，颗粒物排放浓度偏高", "较重", "更换滤袋并加装压差报警"),
    "sludge": ("固废", "造纸污泥脱水后露天堆放，渗滤液未收集", "一般", "建设污泥棚并收集渗滤液"),
    "printing_odor": ("气", "印花烘干废气无组织排放，周边居民反映异味", "一般", "烘干工段密闭收集，配套喷淋+活性炭处理"),
    "lead_waste": ("固废", "含铅废渣暂存超过一年，未及时委托有资质单位处置", "严重", "立即委托有资质单位转移处置"),
    "battery_water": ("水", "极板清洗废水含铅预处理设施 pH 控制不稳定", "较重", "加装自动加药和 pH 在线联锁"),
    "dyeing_water": ("水", "印花废水色度偏高，纳管前未达到预处理要求", "一般", "增加混凝沉淀和脱色工艺"),
}

COMPLAINTS = {  # real name?, category, what was reported, where
    "odor_night": (True, "气", "每天夜里十点以后小区周边有刺鼻化工异味，开窗无法入睡", "留下街道小和山附近"),
    "smoke": (True, "气", "工地旁露天焚烧建筑垃圾，黑烟飘进小区", "三墩镇绕城高速旁"),
    "noise_night": (True, "噪声", "化工厂夜间设备噪声很大，持续到凌晨两三点", "瓜沥镇工业园区东侧"),
    "river": (False, "水", "厂区外的河道出现白色泡沫并有异味，怀疑有企业偷排", "临浦镇浦阳江支流"),
    "printing": (True, "气", "印花厂烘干时有很重的油墨味", "织里镇大港路"),
    "sludge_dump": (True, "固废", "有人在村口空地倾倒污泥，下雨后流到农田里", "东林镇南山村"),
    "river_anon": (False, "水", "河里有死鱼，上游电镀厂附近的排口水发黄", "李家巷镇长兴港"),
    "garbage": (True, "其他", "小区生活垃圾三天没人清运，气味很大", "雉城街道某小区"),
    "noise_real": (True, "噪声", "热电厂蒸汽排空噪声很大，半夜突然响起", "和平镇城南村"),
}
COMPLAINANTS = ["陈女士", "刘先生", "张女士", "王先生", "赵女士", "周先生"]

# Stories: (process, county, enterprise index or None, steps); each step (days ago, verb,
# user or None, *arguments), acted out in order on the frozen clock. The first two finish
# (with their own timer firing) before anything else starts; the rest leave work open.
# Days ago are calendar days, deadlines count working days: a story meant to be overdue
# starts long enough ago to be so across a 春节 or 国庆 week.
STORIES = [
    ("service", "xh", 0, [(75, "start", None), (74, "visit", None, "走访"),
                          (72, "check", None, ("boiler_nox", "fly_ash")), (66, "rectify", "xh_air"),
                          (65, "verify", "xh_air_head", "销号"), (64, "rectify", "xh_waste"),
                          (63, "verify", "xh_waste_head", "销号"), (32, "fire", None),
                          (31, "follow_up", None, 5)]),
    ("service", "wx", 0, [(88, "start", None), (87, "visit", None, "走访"), (85, "check", None, ()),
                          (54, "fire", None), (52, "follow_up", None, 4)]),
    # 五个一 at every stage
    ("service", "xh", 1, [(1, "start", None)]),
    ("service", "xs", 2, [(16, "start", None)]),                  # visit overdue
    ("service", "wx", 3, [(0, "start", None)]),
    ("service", "cx", 1, [(15, "start", None)]),                  # visit overdue
    ("service", "xh", 4, [(5, "start", None), (4, "visit", None, "电话")]),
    ("service", "wx", 1, [(4, "start", None), (3, "visit", None, "走访")]),
    ("service", "xh", 2, [(22, "start", None), (21, "visit", None, "走访"),
                          (20, "check", None, ("rain_sewer", "vocs")), (9, "rectify", "xh_air")]),
    ("service", "xh", 3, [(8, "start", None), (7, "visit", None, "走访"),
                          (6, "check", None, ("wastewater_online", "paint_sludge")),
                          (4, "claim", "xh_water", "rectify")]),
    ("service", "xs", 0, [(42, "start", None), (41, "visit", None, "走访"),
                          (40, "check", None, ("sewer_connect", "dyeing_odor")), (36, "rectify", "xs_water"),
                          (35, "verify", "xs_water_head", "交办"), (34, "rectify", "xs_air"),
                          (33, "hand_over", "xs_water", "杭州市萧山区住房和城乡建设局", -8, "交办"),
                          (32, "verify", "xs_air_head", "销号")]),
    ("service", "xs", 1, [(27, "start", None), (26, "visit", None, "走访"),
                          (25, "check", None, ("chem_wastewater", "hazwaste_store")),
                          (18, "rectify", "xs_waste"), (16, "verify", "xs_waste_head", "解释说明")]),
    ("service", "xs", 3, [(15, "start", None), (14, "visit", None, "视频"), (12, "check", None, ("noise",)),
                          (10, "rectify", "xs_air"), (9, "verify", "xs_air_head", "销号")]),
    ("service", "wx", 2, [(19, "start", None), (18, "visit", None, "走访"),
                          (17, "check", None, ("paper_wastewater", "boiler_dust", "sludge")),
                          (12, "rectify", "wx_water"), (11, "rectify", "wx_air"),
                          (8, "verify", "wx_air_head", "退回"), (5, "verify", "wx_water_head", "销号"),
                          (3, "claim", "wx_waste", "rectify")]),
    ("service", "wx", 4, [(47, "start", None), (46, "visit", None, "视频"), (45, "check", None, ())]),
    ("service", "cx", 0, [(33, "start", None), (32, "visit", None, "走访"),            # one 整改 overdue
                          (31, "check", None, ("lead_waste", "battery_water")), (28, "rectify", "cx_water")]),
    ("service", "cx", 2, [(11, "start", None), (10, "visit", None, "走访"), (9, "check", None, ("dyeing_water",)),
                          (5, "rectify", "cx_water2"), (2, "verify", "cx_water_head", "解释说明")]),
    # 一事一单 found outside a service (routine inspection, a complaint passed on)
    ("matter", "xh", 1, [(13, "start", "xh_water2", "grease_trap", "日常检查"), (10, "rectify", "xh_water2"),
                         (9, "verify", "xh_water_head", "退回")]),
    ("matter", "xs", 4, [(14, "start", "xs_water", "plating_rinse", "日常检查"), (10, "rectify", "xs_water2"),
                         (9, "verify", "xs_water_head", "交办"),
                         (8, "hand_over", "xs_water2", "杭州市萧山区经济和信息化局", 10, "会商")]),
    ("matter", "wx", 0, [(6, "start", "wx_air", "printing_odor", "信访转办"), (4, "rectify", "wx_air"),
                         (1, "verify", "wx_air_head", "交办")]),
    ("matter", "cx", 4, [(30, "start", "cx_water", "grease_trap", "日常检查"), (26, "rectify", "cx_water"),
                         (24, "verify", "cx_water_head", "销号")]),
    ("matter", "cx", 3, [(3, "start", "cx_water", "plating_rinse", "日常检查"), (2, "claim", "cx_water2", "rectify")]),
    # overdue 整改: the city's 督查 urges it, and the section has yet to sign for the urge (督办签收)
    ("matter", "xh", 2, [(40, "start", "xh_water", "grease_trap", "日常检查"), (8, "fire", None),
                         (7, "urge", "hz_super")]),
    # 12369
    ("complaint", "xh", None, [(0, "start", "xh_office")]),
    ("complaint", "xh", None, [(1, "start", "xh_office"), (1, "intake", "xh_office", "smoke")]),
    ("complaint", "xh", 2, [(4, "start", "xh_office_head"), (4, "intake", "xh_office_head", "odor_night"),
                            (4, "remit", "xh_office_head", True), (3, "claim", "xh_air", "investigate"),
                            (3, "transfer", "xh_air", "investigate", "enforcement")]),
    ("complaint", "xs", 1, [(3, "start", "xs_office"), (3, "intake", "xs_office", "noise_night"),
                            (3, "remit", "xs_office_head", True), (2, "claim", "xs_air", "investigate")]),
    ("complaint", "xs", 4, [(25, "start", "xs_office"), (25, "intake", "xs_office", "river"),
                            (24, "remit", "xs_office", True)]),             # investigation overdue
    ("complaint", "wx", 0, [(6, "start", "wx_office"), (6, "intake", "wx_office", "printing"),
                            (5, "remit", "wx_office_head", True), (2, "investigate", "wx_air")]),
    ("complaint", "wx", None, [(9, "start", "wx_office"), (9, "intake", "wx_office", "sludge_dump"),
                               (8, "remit", "wx_office_head", True), (5, "investigate", "wx_waste"),
                               (3, "reply", "wx_waste")]),
    ("complaint", "cx", 3, [(20, "start", "cx_office"), (20, "intake", "cx_office", "river_anon"),
                            (19, "remit", "cx_office_head", True), (15, "investigate", "cx_water"),
                            (13, "reply", "cx_water")]),
    ("complaint", "cx", None, [(8, "start", "cx_office"), (8, "intake", "cx_office", "garbage"),
                               (7, "remit", "cx_office_head", False), (7, "forward", "cx_office")]),
    ("complaint", "cx", 1, [(25, "start", "cx_office"), (25, "intake", "cx_office", "noise_real"),
                            (24, "remit", "cx_office_head", True), (20, "investigate", "cx_air"),
                            (18, "reply", "cx_air"), (16, "callback", "cx_office")]),
]

VERDICTS = {
    "销号": {"decision": "销号", "opinion": "现场核查整改到位，佐证材料齐全，同意销号"},
    "退回": {"decision": "退回", "opinion": "整改佐证不足：缺少整改后监测报告，请补充后重新提交"},
    "解释说明": {"decision": "解释说明", "opinion": "短期内无法完成",
             "explanation": "需整体技改，企业已列入明年投资计划；已向企业书面说明，期间加强日常管理并按月报送运行记录"},
    "交办": {"decision": "交办", "opinion": "超出本局职责，需相关部门协调解决"},
}


# --------------------------------------------------------------------------- form data

def visit(day: str, mode: str, members: list[str], enterprise: str) -> dict:
    return {"visit_date": day, "mode": mode, "members": members,
            "needs": f"{enterprise}希望环保部门指导治理设施提标改造，并提前告知排污许可证延续要求",
            "notes": "企业生产经营正常，主要负责人陪同" if mode == "走访" else f"{mode}沟通，企业环保负责人参加"}


def health_check(day: str, experts: list[str], keys) -> dict:
    findings = [dict(zip(("category", "description", "severity", "suggestion"), FINDINGS[k])) for k in keys]
    summary = f"企业环境管理总体规范，发现 {len(findings)} 处问题" if findings else "企业环境管理规范，未发现问题"
    return {"check_date": day, "experts": experts, "summary": summary, "findings": findings}


def rectified(day: str, person: str) -> dict:
    return {"measures": "已督促企业按整改建议完成整改，现场复核设施运行正常", "completion_date": day,
            "evidence": ["整改前照片.jpg", "整改后照片.jpg", "第三方监测报告.pdf"], "responsible_person": person}


def urged(day: str) -> dict:
    return {"urge_date": day, "urge_mode": "书面督办", "urge_opinion": "整改已超期，请责任科室三日内办结并报告进展"}


def handover(day: str, department: str, due: str, mode: str) -> dict:
    return {"department": department, "handover_mode": mode, "sent_date": day, "answer_due_date": due,
            "content": "该事项涉及其他部门职责，请研究提出意见并函复", "contact": "综合科 0571-82660000"}


def follow_up(day: str, rating: int) -> dict:
    return {"followup_date": day, "mode": "走访",
            "satisfaction": {"visit": 5, "health_check": rating, "rectification": rating, "overall": rating},
            "comments": "联络员服务热情，问题整改指导到位" if rating >= 5 else "整改指导到位，希望审批再提速"}


def intake(day: str, key: str, n: int, enterprise: tuple[int, str] | None) -> dict:
    real_name, category, description, location = COMPLAINTS[key]
    data = {"received_date": day, "channel": ("12369 热线", "12369 网络举报平台", "微信")[n % 3],
            "real_name": real_name, "category": category, "description": description, "location": location}
    if real_name:
        data.update(complainant_name=COMPLAINANTS[n % len(COMPLAINANTS)],
                    complainant_phone=f"1396{8200000 + n * 7919:07d}")
    if enterprise:
        data.update(enterprise_id=enterprise[0], enterprise_name=enterprise[1])
    return data


def remit(in_remit: bool) -> dict:
    return {"in_remit": True} if in_remit else {"in_remit": False, "basis": "生活垃圾清运属城市管理（综合行政执法）部门职责"}


def forward(day: str) -> dict:
    return {"department": "长兴县综合行政执法局", "forwarded_date": day, "complainant_informed": True,
            "notes": "已电话告知投诉人转送情况"}


def investigation(day: str, people: list[str]) -> dict:
    return {"investigation_date": day, "investigators": people, "substantiated": "属实",
            "findings": "现场检查情况与投诉反映基本一致，已固定证据",
            "measures": "责令立即停止违法行为并限期整改，依法立案查处"}


def reply(day: str, real_name: bool) -> dict:
    return {"reply_date": day, "reply_mode": "电话" if real_name else "网络平台",
            "reply_content": "经现场调查，投诉反映问题属实，已责令限期整改并立案查处"}


def callback(day: str) -> dict:
    return {"callback_date": day, "callback_mode": "电话", "result": "企业已完成整改，复查未再发现问题",
            "complainant_opinion": "问题已解决，感谢及时处理", "satisfaction": "满意"}
