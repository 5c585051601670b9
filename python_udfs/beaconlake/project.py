"""The dbt project beaconlake ships with: where it is, and its vars (the one copy of every
default, in ``dbt_project.yml``), with the check every run's overrides pass before dbt starts.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beaconlake.errors import ConfigError

#: Environment variable naming the dbt project directory (default: the repository root).
PROJECT_DIR_ENV = "BEACONLAKE_PROJECT_DIR"
#: Vars holding a date (``YYYY-MM-DD``); the dbt macro date_var checks the same form.
DATE_VARS = ("start_date", "end_date", "min_event_date", "triage_as_of")
#: The models folder of the published marts, which ``dbt_project.yml`` gives a schema of their
#: own (``findings: +schema: ...``).
MARTS_FOLDER = Path("models", "findings")


def project_dir() -> Path:
    """The dbt project directory: ``$BEACONLAKE_PROJECT_DIR`` or the repository root."""
    configured = os.environ.get(PROJECT_DIR_ENV)
    root = Path(configured) if configured else Path(__file__).resolve().parents[2]
    if not (root / "dbt_project.yml").is_file():
        raise ConfigError(f"no dbt_project.yml in {root}; set {PROJECT_DIR_ENV}")
    return root


def project_vars() -> dict[str, Any]:
    """The ``vars:`` of the dbt project's ``dbt_project.yml``."""
    return dict(_project_yml(project_dir()).get("vars") or {})


@functools.cache
def _project_yml(root: Path) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load((root / "dbt_project.yml").read_text()))


def published_marts() -> frozenset[str]:
    """The published marts: the models of ``models/findings``, built in ``marts_schema``."""
    return _marts_of(project_dir())


@functools.cache
def _marts_of(root: Path) -> frozenset[str]:
    return frozenset(path.stem for path in (root / MARTS_FOLDER).glob("*.sql"))


def marts_schema(schema: str) -> str:
    """The schema the published marts live in when the target's schema is ``schema``: dbt's
    custom-schema rule, ``<schema>_<the folder's +schema>``."""
    project = _project_yml(project_dir())
    custom = project["models"][project["name"]][MARTS_FOLDER.name]["+schema"]
    return f"{schema}_{custom}"


def schema_of(schema: str, model: str) -> str:
    """The schema ``model`` lives in when the target's schema is ``schema``."""
    return marts_schema(schema) if model in published_marts() else schema


def parse_date(name: str, value: object) -> dt.date:
    """A ``YYYY-MM-DD`` date (a date object passes), or ConfigError naming ``name``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = str(value)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{name} must be a date YYYY-MM-DD, not {text!r}") from None


def check_vars(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A run's dbt var overrides, each checked against its default in ``dbt_project.yml``.

    An unknown name, text where the default is a number, a non-boolean where it is a boolean, or
    a date var that is not ``YYYY-MM-DD`` raises ConfigError with one line; dates come back as
    ``YYYY-MM-DD`` strings. So no value reaches dbt (and SQL) in a form its default does not have.
    """
    defaults = project_vars()
    checked: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in defaults:
            raise ConfigError(f"unknown dbt var {name!r} (see vars in dbt_project.yml)")
        default = defaults[name]
        if isinstance(default, list):
            raise ConfigError(f"var {name} is a fixed list, not a tunable (see dbt_project.yml)")
        if name in DATE_VARS:
            empty = value is None or value == ""
            checked[name] = None if empty else parse_date(f"var {name}", value).isoformat()
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"var {name} must be true or false, not {value!r}")
            checked[name] = value
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"var {name} must be a number, not {value!r}")
            checked[name] = value
        else:
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"var {name} must be text, not {value!r}")
            checked[name] = value
    return checked
