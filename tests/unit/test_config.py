"""Every SANFU_* setting is read in one place (engine/config.py)."""
from pathlib import Path

from engine import config


def test_defaults_need_no_environment():
    settings = config.from_environ({})
    assert settings.database_url is None and settings.database.endswith("instance/sanfu.db")
    assert settings.forms_dir == config.PROJECT_ROOT / "forms"        # the same for the CLI and the web
    assert settings.attachments_folder == settings.instance_path / "attachments"
    assert settings.session_cookie_secure is None and settings.proxy_fix_hops == 0


def test_the_environment_sets_each_one():
    settings = config.from_environ({
        "SANFU_DATABASE_URL": "postgresql+psycopg://u@h/db", "SANFU_INSTANCE_PATH": "/srv/sanfu",
        "SANFU_FORMS_DIR": "/srv/forms", "SANFU_ATTACHMENT_DIR": "/srv/files",
        "SANFU_ATTACHMENT_MAX_BYTES": "1024", "SANFU_SECRET_KEY": "k", "SANFU_SESSION_COOKIE_SECURE": "0",
        "SANFU_PROXY_FIX": "1"})
    assert settings.database == "postgresql+psycopg://u@h/db" and settings.instance_path == Path("/srv/sanfu")
    assert settings.forms_dir == Path("/srv/forms") and settings.attachments_folder == Path("/srv/files")
    assert settings.attachment_max_bytes == 1024 and settings.secret_key == "k"
    assert settings.session_cookie_secure is False and settings.proxy_fix_hops == 1


def test_the_engine_and_the_web_app_take_their_settings_from_it(tmp_path, monkeypatch):
    from engine.service import Engine
    from web import create_app
    monkeypatch.setenv("SANFU_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SANFU_ATTACHMENT_MAX_BYTES", "2048")
    engine = Engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert engine.attachment_dir == tmp_path / "files" and engine.attachment_max_bytes == 2048
    assert engine.forms_dir == config.FORMS_DIR
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
                      "ATTACHMENT_DIR": str(tmp_path / "web-files")})
    web_engine = app.extensions["sanfu"]
    assert web_engine.attachment_dir == tmp_path / "web-files" and web_engine.attachment_max_bytes == 2048
    engine.db.dispose()
    web_engine.db.dispose()
