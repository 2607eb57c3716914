"""Every model module, imported in one place so Alembic autogenerate and create_all see all tables."""

import importlib

from plattform import DOMAINS


def import_all_models() -> None:
    """Import `plattform.<domain>.models` for every domain that has one."""
    for name in DOMAINS:
        try:
            importlib.import_module(f"plattform.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"plattform.{name}.models":
                raise
