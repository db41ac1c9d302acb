"""`sanfu init` migrates any database URL SQLAlchemy accepts: percent-escapes in it (a password
with @ or %, a PostgreSQL Unix-socket host `?host=%2Fvar%2Frun%2Fpostgresql`, a folder with % in
its name) reach Alembic intact instead of breaking its configparser interpolation."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect

from engine.store.migrate import alembic_config, upgrade


def test_a_password_with_escapes_and_a_unix_socket_host_reach_alembic_as_written():
    url = "postgresql+psycopg://app:p%40ss%25word@/sanfu?host=%2Fvar%2Frun%2Fpostgresql"
    engine = create_engine(url)   # never connects
    try:
        config = alembic_config(engine)
        assert config.get_main_option("sqlalchemy.url") == engine.url.render_as_string(hide_password=False)
        assert engine.url.password == "p@ss%word" and engine.url.query["host"] == "/var/run/postgresql"
    finally:
        engine.dispose()


def test_a_database_in_a_folder_with_a_percent_sign_is_migrated(tmp_path):
    folder = tmp_path / "50%_done"
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / 'sanfu.db'}")
    try:
        upgrade(engine)
        assert "human_tasks" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
