"""Files AiBot carries besides its code: the offline demo, and a site's GitHub files and lock.

The repository keeps them where a site keeps them (examples/demo/, .github/, the top folder's
requirements-lock.txt); the wheel carries the same files as the package data aibot/_demo,
aibot/_github and aibot/_locks (see pyproject.toml). In a checkout they are read from the
repository, so there is one copy of each.
"""

from __future__ import annotations

import os
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_IN_CHECKOUT = {"demo": Path("examples") / "demo", "github": Path(".github"), "locks": Path(".")}


def checkout() -> Path | None:
    """The source checkout AiBot runs from (editable install, PYTHONPATH); None when installed."""
    return _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else None


def checkout_folder(name: str) -> Path | None:
    """The folder `demo`, `github` or `locks` of the repository AiBot runs from; None when
    installed."""
    folder = _CHECKOUT / _IN_CHECKOUT[name]
    return folder if checkout() is not None and folder.is_dir() else None


def bundled(name: str) -> Traversable:
    """The folder `demo`, `github` or `locks`: the repository's own in a checkout, else the
    wheel's."""
    return checkout_folder(name) or files("aibot") / f"_{name}"


def user_cache() -> Path:
    """AiBot's folder in the user's cache: $XDG_CACHE_HOME/aibot, else ~/.cache/aibot."""
    if os.name == "nt":
        cache = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "aibot"


def demo_home() -> Path:
    """Where an installed AiBot unpacks its demo: $AIBOT_DEMO_DIR, else the user's cache."""
    if os.environ.get("AIBOT_DEMO_DIR"):
        return Path(os.environ["AIBOT_DEMO_DIR"])
    return user_cache() / "demo"


def demo_config() -> Path:
    """The demo's aibot.yaml. A checkout runs the demo in examples/demo. An installed AiBot (or
    any, when $AIBOT_DEMO_DIR is set) copies aibot.yaml and sample/ into demo_home() — never
    writing into site-packages — and runs it there, refreshing files an upgrade changed and
    leaving the demo's posts and site alone."""
    checkout = checkout_folder("demo")
    if checkout is not None and not os.environ.get("AIBOT_DEMO_DIR"):
        return checkout / "aibot.yaml"
    home = demo_home()
    demo = bundled("demo")
    for source, target in [(demo / "aibot.yaml", home / "aibot.yaml"),
                           *_walk(demo / "sample", home / "sample")]:  # fmt: skip
        data = source.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return home / "aibot.yaml"


def _walk(folder: Traversable, target: Path) -> list[tuple[Traversable, Path]]:
    """Every file under `folder` with where it goes under `target`."""
    found: list[tuple[Traversable, Path]] = []
    for item in folder.iterdir():
        if item.is_dir():
            found += _walk(item, target / item.name)
        else:
            found.append((item, target / item.name))
    return found
