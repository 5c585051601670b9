"""The confirmation's tunables: dbt vars, with their one copy of defaults in ``dbt_project.yml``.

``beaconlake run`` and ``beaconlake confirm`` read them from the project's ``vars:`` with the
run's ``--var`` overrides on top; the ``beacon_findings`` dbt Python model gets them from its
config, which dbt renders from the same vars (``--vars`` included). Library callers that pass
nothing get the project's defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from beaconlake.errors import ConfigError
from beaconlake.project import project_vars


@dataclass(frozen=True)
class Settings:
    """Tunables of the confirmation and of severity (see ``dbt_project.yml`` for each)."""

    #: The beat rule's gap (seconds): a query at most this long after the previous one joins its
    #: beat, as the SQL beat models merge them.
    beat_merge_seconds: float
    confirm_min_periodicity: float
    severity_low_min_score: float
    severity_medium_min_score: float
    severity_high_min_score: float
    new_domain_days: float

    @classmethod
    def from_vars(cls, values: Mapping[str, Any]) -> Settings:
        """The tunables from a mapping of dbt vars (other vars are ignored)."""
        parsed: dict[str, float] = {}
        for field in fields(cls):
            if field.name not in values:
                raise ConfigError(f"dbt var {field.name} is not set (see dbt_project.yml)")
            try:
                parsed[field.name] = float(values[field.name])
            except (TypeError, ValueError):
                raise ConfigError(
                    f"dbt var {field.name} must be a number, not {values[field.name]!r}"
                ) from None
        return cls(**parsed)

    @property
    def severity_floors(self) -> dict[str, float]:
        """Lowest score of each severity before adjustments (info below the first)."""
        return {
            "low": self.severity_low_min_score,
            "medium": self.severity_medium_min_score,
            "high": self.severity_high_min_score,
        }

    @property
    def new_domain_seconds(self) -> float:
        return self.new_domain_days * 86_400


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's tunables with a run's var overrides on top."""
    if not overrides:
        return _defaults()
    return Settings.from_vars({**project_vars(), **overrides})


@functools.cache
def _defaults() -> Settings:
    return Settings.from_vars(project_vars())
