"""A signed-in browser over loopback, for the loads and fault tests that read pages (the 督办看板,
the inbox): signs in once through the login form (its CSRF token, its session cookie), then GETs
pages with that cookie. Plain http.client, one connection per request as gunicorn's sync workers
answer; cookies are kept by hand, so a `Secure` session cookie works over plain loopback too."""
from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class SignInFailed(RuntimeError):
    pass


class SignedIn:
    def __init__(self, port: int, name: str, password: str, timeout: float = 30):
        self.port, self.name, self.password, self.timeout = port, name, password, timeout
        self.cookies: dict[str, str] = {}

    def sign_in(self) -> SignedIn:
        status, _headers, page = self.request("GET", "/login")
        token = _CSRF.search(page)
        if status != 200 or token is None:
            raise SignInFailed(f"GET /login answered {status} without a CSRF token")
        form = {"name": self.name, "password": self.password, "csrf_token": token.group(1)}
        status, _headers, _page = self.request("POST", "/login", urlencode(form).encode(),
                                               {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise SignInFailed(f"signing in as {self.name} answered {status}")
        return self

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        """(status, headers with lower-case names, body text) of a page; OSError or
        HTTPException when no answer came."""
        return self.request("GET", path)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", errors="replace")
            for value in answer.headers.get_all("Set-Cookie") or ():
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, text
        finally:
            conn.close()
