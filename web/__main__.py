"""`python -m web --host 127.0.0.1 --port 8000`: the web application on Flask's development
server (plain HTTP, so session cookies are not marked Secure unless --secure-cookies).
Production runs under gunicorn behind TLS: see the README ("### Production")."""
from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description="sanfu 三服务 web application")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--debug", action="store_true", help="Flask debug mode (reloader, debugger)")
    parser.add_argument("--secure-cookies", action="store_true",
                        help="mark session cookies Secure (when served over HTTPS)")
    args = parser.parse_args(argv)
    if args.secure_cookies:
        os.environ["SANFU_SESSION_COOKIE_SECURE"] = "1"
    else:
        os.environ.setdefault("SANFU_SESSION_COOKIE_SECURE", "0")
    from . import create_app
    app = create_app()
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=args.debug, threaded=True)


if __name__ == "__main__":
    main()
