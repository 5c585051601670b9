"""Headless Chromium for tests: screenshots and the DOM after the page's scripts ran.

Tests that need a real browser call ``require_chromium()``: it skips them when no Chromium
binary is on the PATH (Debian: ``apt-get install chromium``), or fails them when
``BEACONLAKE_REQUIRE_CHROMIUM=1``. Each run uses a fresh profile folder and no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

REQUIRE_ENV = "BEACONLAKE_REQUIRE_CHROMIUM"
BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1400, 1000)
#: Seconds one browser run may take (a cold start on a busy 2-core machine takes a few).
TIMEOUT_S = 90


def chromium_binary() -> str | None:
    """The first Chromium-like browser on the PATH, or None."""
    return next((found for name in BINARIES if (found := shutil.which(name))), None)


def require_chromium() -> str:
    """The browser binary; without one the test skips, or fails under ``REQUIRE_ENV=1``."""
    binary = chromium_binary()
    if binary is None:
        reason = f"no Chromium binary on the PATH (tried {', '.join(BINARIES)})"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires one")
        pytest.skip(reason)
    return binary


def _run(binary: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        # left as written: each flag beside its value
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio",
            f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}", *args, url,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def screenshot(binary: str, url: str, png: Path) -> Path:
    """A PNG of the browser window (``WINDOW``) showing ``url``."""
    png.unlink(missing_ok=True)
    _run(binary, url, f"--screenshot={png}")
    if not png.is_file():
        raise AssertionError(f"Chromium wrote no screenshot of {url}")
    return png


def dump_dom(binary: str, url: str) -> str:
    """The page's DOM as HTML once it has loaded and its scripts have run."""
    return _run(binary, url, "--dump-dom").stdout


def colours(png: Path) -> Counter[tuple[int, ...]]:
    """How many pixels of the image have each RGB colour."""
    with Image.open(png) as image:
        pixels = image.convert("RGB").getcolors(maxcolors=image.width * image.height)
    if pixels is None:  # only with more colours than maxcolors, here every pixel
        raise AssertionError(f"{png}: more colours than pixels")
    return Counter({rgb: n for n, rgb in pixels if isinstance(rgb, tuple)})


def image_size(png: Path) -> tuple[int, int]:
    with Image.open(png) as image:
        return image.size
