"""Rewrite migrations/versions/0001_initial.py from the models (before the first release only).

Until Codecut ships, the schema is one migration. Run this after changing a model:
    .venv/bin/python scripts/regenerate_initial_migration.py
"""

from __future__ import annotations

import pathlib
import tempfile

from alembic import command

from codecut.db import alembic_config, create_db_engine

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "migrations" / "versions" / "0001_initial.py"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/empty.sqlite3")
        config = alembic_config(engine)
        config.set_main_option("script_location", str(ROOT / "migrations"))
        command.revision(config, "initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    generated = next((ROOT / "migrations" / "versions").glob("0001_*.py"))
    generated.rename(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
