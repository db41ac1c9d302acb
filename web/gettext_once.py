"""The templates' `_()` with the request's translations looked up once.

flask_babel's template callables look the translations up again for every `_()`: the domain,
the context, the locale and the catalogue cache, through Flask's context-local proxies each
time. A task page says `_()` about 200 times: the lookups were ~1 ms of its 20 ms (the demo
province, measured without a profiler). The locale is chosen once per request either way
(flask_babel keeps it for the request too), so the translations found first serve the whole
request.
"""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import get_translations

_KEY = "_sanfu_translations"


def translations():
    """The request's translations, found at its first `_()` and kept on the request itself (an
    app context can outlive several requests in tests); outside a request, flask_babel's own."""
    if not has_request_context():
        return get_translations()
    held = request.__dict__
    found = held.get(_KEY)
    if found is None:
        found = held[_KEY] = get_translations()
    return found


def init_app(app: Flask) -> None:
    """Replace flask_babel's template callables (installed by Babel(app)) with ones that use
    `translations()`; the same newstyle gettext, so escaping and %(name)s work as before."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
