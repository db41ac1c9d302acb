"""Hostile XML is refused before anything is expanded or fetched."""
import pytest

from engine.definitions.xmlsafe import MAX_BYTES, MAX_DEPTH, parse_xml
from engine.errors import DefinitionError

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE x SYSTEM "http://example.invalid/evil.dtd"><x/>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS, EXTERNAL_DTD])
def test_dtd_payloads_are_refused_without_expansion(payload):
    with pytest.raises(DefinitionError) as err:
        parse_xml(payload, "evil.bpmn")
    message = str(err.value)
    assert message.startswith("evil.bpmn:2") and "DOCTYPE" in message
    assert "root:" not in message  # /etc/passwd content never appears


def test_oversized_file_is_refused_before_parsing():
    big = b"<a>" + b"x" * (MAX_BYTES + 1) + b"</a>"
    with pytest.raises(DefinitionError, match="文件过大"):
        parse_xml(big, "big.bpmn")


def test_deep_nesting_is_refused_with_line():
    deep = b"<a>\n" + b"<b>" * (MAX_DEPTH + 5) + b"</b>" * (MAX_DEPTH + 5) + b"</a>"
    with pytest.raises(DefinitionError, match="嵌套过深") as err:
        parse_xml(deep, "deep.bpmn")
    assert err.value.line == 2


def test_malformed_xml_names_file_and_line():
    with pytest.raises(DefinitionError) as err:
        parse_xml(b"<a>\n<b>\n</a>", "broken.bpmn")
    assert err.value.file == "broken.bpmn" and err.value.line == 3
    assert "malformed" in str(err.value)


def test_well_formed_document_parses():
    root = parse_xml('<a xmlns="urn:x"><b id="水">文本</b></a>', "ok.bpmn")
    assert root[0].get("id") == "水" and root[0].text == "文本"


def test_empty_file_is_refused():
    with pytest.raises(DefinitionError, match="文件为空"):
        parse_xml(b"  \n", "empty.bpmn")
