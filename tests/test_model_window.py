"""Which window a `dbt build` confirms (the beacon_findings model), from vars and state."""

from __future__ import annotations

import datetime as dt

from beaconlake.pipeline import Window, model_window

D = dt.date(2026, 3, 2)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_the_run_vars_are_the_window() -> None:
    assert model_window(day(1), day(2), (day(0), day(5)), None) == Window(day(1), day(3))
    assert model_window(day(1), None, (day(0), day(5)), None) == Window(day(1), day(6))


def test_a_first_build_confirms_every_day() -> None:
    assert model_window(None, None, (day(0), day(5)), None) == Window(day(0), day(6))


def test_a_later_build_confirms_the_days_after_the_latest_window() -> None:
    latest = Window(day(0), day(3))
    assert model_window(None, None, (day(0), day(4)), latest) == Window(day(3), day(5))


def test_with_no_later_day_the_latest_window_is_confirmed_again() -> None:
    latest = Window(day(0), day(3))
    assert model_window(None, None, (day(0), day(2)), latest) == latest


def test_nothing_to_confirm() -> None:
    assert model_window(None, None, None, None) is None
    assert model_window(day(3), day(1), (day(0), day(5)), None) is None
    assert model_window(day(1), day(1), None, None) == Window(day(1), day(2))
