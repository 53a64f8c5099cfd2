"""Shared fixtures: a private copy of the demo, a loopback file server, a CLI runner, AiBot's
user cache for the run, the wheel and venv of tests/system/test_wheel.py."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from aibot.cli import main
from aibot.commands import site_install
from tests.helpers.wheel import Packaging, built_wheel, locked_venv

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A fresh copy of examples/demo (config + sample) in a temporary folder."""
    target = tmp_path / "demo"
    target.mkdir()
    shutil.copy(DEMO / "aibot.yaml", target / "aibot.yaml")
    shutil.copytree(DEMO / "sample", target / "sample")
    return target


@pytest.fixture(scope="session")
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG_CACHE_HOME for the whole run, never the user's own: the wheel `aibot init` builds
    of this checkout is kept there, so only the first init of the run builds it. Tests pass it
    to the `aibot` processes they start (not to pip: it would lose its own cache)."""
    return tmp_path_factory.mktemp("user-cache")


@pytest.fixture(scope="session", autouse=True)
def _wheels_kept_in_the_run_s_cache(user_cache: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(site_install, "user_cache", lambda: user_cache / "aibot")
        yield


@pytest.fixture(scope="session")
def wheel_and_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packaging]:
    """AiBot's wheel and a fresh venv holding requirements-lock.txt, each made in a thread."""
    with ThreadPoolExecutor(2) as threads:
        yield Packaging(
            threads.submit(built_wheel, tmp_path_factory.mktemp("wheel")),
            threads.submit(locked_venv, tmp_path_factory.mktemp("venv") / "venv"),
        )


@pytest.fixture(scope="session", autouse=True)
def _wheel_and_venv_started_with_the_first_test(request: pytest.FixtureRequest) -> None:
    """When the run includes tests/system/test_wheel.py, `wheel_and_venv` starts with the first
    test: a minute or more of pip, mostly waiting on the disk and the package index, that then
    runs alongside the other tests instead of before the wheel tests."""
    if any(item.path.name == "test_wheel.py" for item in request.session.items):
        request.getfixturevalue("wheel_and_venv")


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under `folder`."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def file_server() -> Iterator[callable]:
    """Start a loopback HTTP server for a folder: `base_url = file_server(folder)`."""
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def demo_articles(tmp_path_factory: pytest.TempPathFactory):
    """The demo sample collected once: (articles in time order, {article id: story label})."""
    import json

    from aibot.collect.stage import collect
    from aibot.config import load_config
    from aibot.store import Store

    folder = tmp_path_factory.mktemp("demo-articles")
    shutil.copy(DEMO / "aibot.yaml", folder / "aibot.yaml")
    shutil.copytree(DEMO / "sample", folder / "sample")
    config = load_config(folder / "aibot.yaml")
    with Store(config.cache_file) as store:
        report = collect(config, store)
        assert not report.problems, report.problems
        articles = store.unclustered_articles()
    labels = json.loads((folder / "sample" / "labels.json").read_text())
    prefix = (folder / "sample").resolve().as_uri() + "/"
    return articles, {a.id: labels[a.url.removeprefix(prefix)] for a in articles}


def feeds_over_http(demo: Path, base: str, allow_private: bool, extra: Sequence[dict] = ()) -> Path:
    """Point the demo's feeds (plus `extra` ones) at a loopback server holding sample/; return
    the config file."""
    config_file = demo / "aibot.yaml"
    raw = yaml.safe_load(config_file.read_text())
    for feed in raw["feeds"]:
        feed["url"] = base + feed["url"].removeprefix("sample/")
    raw["feeds"] += list(extra)
    raw["collect"]["allow_private_hosts"] = allow_private
    config_file.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config_file


def script_module(path: str) -> ModuleType:
    """A script of the repository (`examples/…`, `benchmarks/…`: not packages) as a module,
    loaded once and named after its file."""
    name = Path(path).stem
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / path)
        assert spec is not None and spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


anthropic_stub = script_module("examples/anthropic_stub.py")


@pytest.fixture
def claude_api() -> Iterator[tuple[object, str]]:
    """The stub Messages API on 127.0.0.1: (StubAPI, base URL)."""
    with anthropic_stub.serving() as served:
        yield served


@pytest.fixture(scope="module")
def gate() -> Iterator[Any]:
    """The demo's sample on a loopback server whose requests a test can hold (the lock and
    crash tests): a `tests.helpers.crash.Gate`, which imports from this module."""
    from tests.helpers.crash import Gate

    served = Gate(DEMO / "sample")
    yield served
    served.close()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`--numprocesses=auto`: a worker per core and one more, to use the time that tests spend
    waiting for a subprocess, a server or the browser."""
    return (os.cpu_count() or 1) + 1
