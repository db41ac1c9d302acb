"""What the JSON API tests (/api/v1) share: an error response read and checked, and the
整改 data they complete a water matter with (one photo named, unlike forms.RECTIFIED)."""
from __future__ import annotations

RECTIFIED = {"measures": "完成雨污管网改造", "evidence": ["整改后.jpg"], "completion_date": "2026-03-12",
             "responsible_person": "赵强"}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and "Traceback" not in response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return error
