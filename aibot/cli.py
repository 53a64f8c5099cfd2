"""The `aibot` command: a thin veneer over the library.

Exit codes: 0 success, 1 something failed (see the printed problems), 2 usage or configuration
errors (click's convention for usage), 3 (`run --ci` only) the run is degraded: too few feeds
answered or the writer failed on every story, so nothing may be published, 4 another command
is working on the same site (see aibot.lock): nothing was done.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import shlex
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aibot import __version__
from aibot.config import Config, ConfigError, load_config_with_sources, require_feeds
from aibot.support.plural import counted
from aibot.support.progress import progress_reporter

if TYPE_CHECKING:
    from aibot.report import RunReport


def demo_config_path() -> Path:
    """The demo's config: examples/demo in a checkout, else the wheel's copy unpacked into the
    user's cache folder or $AIBOT_DEMO_DIR (aibot.support.bundled)."""
    from aibot.support.bundled import demo_config

    return demo_config()


def _config_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--demo",
        is_flag=True,
        help="Use the offline demo sample (examples/demo in a checkout, else unpacked into "
        "~/.cache/aibot/demo or $AIBOT_DEMO_DIR).",
    )(func)
    func = click.option(
        "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=None, envvar="AIBOT_CONFIG", show_envvar=True,
        help="Configuration file [default: ./aibot.yaml].",
    )(func)  # fmt: skip
    return func


def _load(config_path: Path | None, demo: bool, *, feeds_needed: bool = False) -> Config:
    """The configuration, or exit 2 naming the problem; with `feeds_needed` (commands that
    collect) a configuration listing no feed is one."""
    config = _load_with_sources(config_path, demo)[0]
    if feeds_needed:
        try:
            require_feeds(config)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    return config


def _load_with_sources(config_path: Path | None, demo: bool) -> tuple[Config, dict[str, str]]:
    path = demo_config_path() if demo else (config_path or Path("aibot.yaml"))
    try:
        return load_config_with_sources(path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _writer_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--writer", "backend", type=click.Choice(["auto", "claude", "extractive"]), default=None,
        help="Override writer.backend for this run.",
    )(func)  # fmt: skip


def _with_backend(config: Config, backend: str | None) -> Config:
    if backend is None:
        return config
    return dataclasses.replace(config, writer=dataclasses.replace(config.writer, backend=backend))


@contextlib.contextmanager
def _site_locked(config: Config, command: str) -> Iterator[None]:
    """Hold the site's lock (aibot.lock) while a command writes; exit 4 at once when another
    command holds it."""
    from aibot.support.lock import EXIT_BUSY, LockBusy, site_lock

    lock = site_lock(config.paths.cache, command)
    try:
        lock.acquire()
    except LockBusy as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    if lock.stale:
        click.echo(
            f"note: {lock.path} named {lock.stale}, which ended without letting it go "
            "(killed?); taken over",
            err=True,
        )
    try:
        yield
    finally:
        lock.release()


def _print_problems(problems: list[str]) -> None:
    for line in problems:
        click.echo(f"problem: {line}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aibot")
def main() -> None:
    """AiBot turns news feeds into a static news website.

    A run collects the configured feeds, extracts each new article, groups articles into stories,
    writes one post per story into content/posts/ and builds the site into site/.

    One command at a time per site: run, collect, cluster, write and build hold the lock file
    aibot.lock in the cache folder, and stop at once (exit code 4) when another command holds
    it, naming the file and the holder's pid; serve waits for it before each build.
    """


# True in the `aibot` program (console), where the process ends with the command; never in
# click's test runner, which runs many commands in one process.
_AS_PROGRAM = False


def console() -> None:
    """The `aibot` program (and `python -m aibot`): `main`, then out of the process without
    tearing the interpreter down. Freeing every module and object at exit takes 60-100 ms
    after a build (as long as a one-post build's own rendering); the exit handlers still run
    and the output is flushed. Tests drive `main` through click's runner, never this."""
    global _AS_PROGRAM
    _AS_PROGRAM = True
    try:
        main()
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:]):
        sys.exit(code)  # a thread still working: Python's own exit waits for it
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as Python does with sys.exit("message")
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


@main.command()
@_config_options
@_writer_option
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option(
    "--ci", is_flag=True,
    help="For GitHub Actions: judge the run (exit 3 when degraded: nothing may be published), "
    "write the JSON report, and the job summary and step outputs when $GITHUB_STEP_SUMMARY and "
    "$GITHUB_OUTPUT are set.",
)  # fmt: skip
@click.option(
    "--report-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Where --ci writes the JSON report [default: <paths.cache>/run-report.json].",
)  # fmt: skip
def run(
    config_path: Path | None,
    demo: bool,
    backend: str | None,
    as_json: bool,
    ci: bool,
    report_file: Path | None,
) -> None:
    """Collect, cluster, write and build, then print the run report."""
    from aibot.pipeline import run as run_pipeline

    config = _with_backend(_load(config_path, demo, feeds_needed=True), backend)
    with _site_locked(config, "run"), progress_reporter() as progress:
        report = run_pipeline(config, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        click.echo(f"AiBot run — {config.source}")
        for line in report.lines():
            click.echo(line)
        index = config.paths.output / "index.html"
        if report.build_ok:
            click.echo(f"site: {index}")
    if ci:
        sys.exit(_judge_for_ci(config, report, report_file, quiet=as_json))
    sys.exit(0 if report.ok else 1)


def _judge_for_ci(
    config: Config, report: RunReport, report_file: Path | None, *, quiet: bool
) -> int:
    """`run --ci`: the verdict's lines (on stderr under --json) and the exit code."""
    from aibot.commands.ci import finish, workflow_error

    report_file = report_file or config.paths.cache / "run-report.json"
    verdict, code = finish(config, report, report_file=report_file)
    if verdict.writer_note:
        click.echo(f"note: {verdict.writer_note}", err=quiet)
    if verdict.degraded:
        click.echo(f"degraded: {verdict.reason}; nothing may be published", err=quiet)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            click.echo(workflow_error(f"degraded run: {verdict.reason}"))
    click.echo(f"report: {report_file}", err=quiet)
    return code


@main.command()
@_config_options
def collect(config_path: Path | None, demo: bool) -> None:
    """Fetch the feeds and the full text of new articles into the cache."""
    from aibot.collect.stage import collect_stage
    from aibot.pipeline import RunReport
    from aibot.store import Store

    config = _load(config_path, demo, feeds_needed=True)
    report = RunReport(started=datetime.now(UTC))
    with (
        _site_locked(config, "collect"),
        Store(config.cache_file) as store,
        progress_reporter() as progress,
    ):
        collect_stage(config, store, report, progress=progress)
    click.echo("\n".join([*report.lines()[:2], *(f"not news: {j}" for j in report.junk)]))
    _print_problems(report.problems)
    sys.exit(0 if report.feeds_ok or not report.feeds_failed else 1)


@main.command(name="cluster")
@_config_options
def cluster_command(config_path: Path | None, demo: bool) -> None:
    """Group collected articles into stories."""
    from aibot.cluster.stage import cluster_stage
    from aibot.pipeline import RunReport
    from aibot.store import Store

    config = _load(config_path, demo)
    report = RunReport(started=datetime.now(UTC))
    with _site_locked(config, "cluster"), Store(config.cache_file) as store:
        changed = cluster_stage(config, store, report)
        total = len(store.all_stories())
    merged = f", {report.stories_merged} merged into another" if report.stories_merged else ""
    click.echo(
        f"stories   {total} in all: {report.stories_new} new, "
        f"{report.stories_grown} with new sources{merged}"
        f"{f' (clustering: {report.clustering})' if report.clustering else ''}"
    )
    for line in (line for line in report.lines() if line.startswith("merged: ")):
        click.echo(line)
    for story in changed:
        click.echo(f"  {story.id}  {counted(len(story.article_ids), 'article')}  {story.title}")


@main.command()
@_config_options
@_writer_option
def write(config_path: Path | None, demo: bool, backend: str | None) -> None:
    """Write or refresh posts for stories that are ready."""
    from aibot.pipeline import RunReport, write_stage
    from aibot.store import Store

    config = _with_backend(_load(config_path, demo), backend)
    report = RunReport(started=datetime.now(UTC))
    with _site_locked(config, "write"), Store(config.cache_file) as store:
        write_stage(config, store, report)
    for line in report.lines():
        if line.startswith(("posts ", "model ")):
            click.echo(line)
    for note in report.notes:
        click.echo(f"note: {note}")
    _print_problems(report.problems)
    sys.exit(1 if report.problems else 0)


@main.command(short_help="Render content/posts into the site (no cache needed).")
@_config_options
@click.option("--drafts", is_flag=True, help="Also render posts marked draft: true.")
@click.option("--future", is_flag=True, help="Also render posts dated in the future.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
def build(config_path: Path | None, demo: bool, drafts: bool, future: bool, as_json: bool) -> None:
    """Render content/posts into the static site (the cache is not needed)."""
    from aibot.render import build_site
    from aibot.render.site import keep_until_exit
    from aibot.report import scheduled

    config = _load(config_path, demo)
    if _AS_PROGRAM:
        keep_until_exit()  # the process ends right after the build (see console)
    with _site_locked(config, "build"):
        report = build_site(config, drafts=drafts, future=future, background=True)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), indent=2, default=str))
    else:
        _print_problems(report.problems)
    if report.ok and not as_json:
        made = (
            "nothing changed"
            if report.unchanged
            else f"{report.rendered} made, {report.pages - report.rendered} kept"
        )
        click.echo(
            f"built {counted(report.posts, 'post')}, {counted(report.pages, 'page')} ({made}) in "
            f"{report.seconds:.2f} s:"
            f" {report.output / 'index.html'}"
        )
        if report.scheduled:
            left_out = scheduled(report.scheduled, report.next_scheduled)
            click.echo(f"{left_out}: left out until their date; --future builds them now")
    sys.exit(0 if report.ok and not report.problems else 1)


@main.command(short_help="Serve the site locally and rebuild it as you edit.")
@_config_options
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1; 0 picks a free one (the address is printed).",
)  # fmt: skip
@click.option("--no-build", is_flag=True, help="Serve site/ as it is: no build, no watching.")
def serve(config_path: Path | None, demo: bool, port: int, no_build: bool) -> None:
    """Build, serve the site on http://127.0.0.1:PORT/, and rebuild as posts, templates or
    settings change; open pages reload themselves after each rebuild. Ctrl+C stops."""
    from aibot.commands.serve import PortUnavailable, Preview, serve_forever

    config = _load(config_path, demo)
    try:
        if no_build:
            if not config.paths.output.is_dir():
                click.echo(
                    f"error: {config.paths.output} does not exist; run `aibot build` first",
                    err=True,
                )
                sys.exit(1)
            serve_forever(config.paths.output, port=port, announce=_say)
            return
        Preview(config, announce=_say).run(port)
    except PortUnavailable as exc:
        click.echo(
            f"error: {exc}; choose another with --port, or --port 0 for any free port", err=True
        )
        sys.exit(1)


def _say(line: str) -> None:
    """A line for a long-running command: written at once, even into a pipe or a log file."""
    print(line, flush=True)


@main.command(short_help="Validate the configuration and every post.")
@_config_options
def check(config_path: Path | None, demo: bool) -> None:
    """Validate the configuration and every post; list each problem with file and line.

    Errors (a post that cannot be read or published) exit with 1; warnings (a related slug that
    does not exist, an unknown key, a date in the future, a flagged draft) do not.
    """
    from aibot.posts.files import load_posts, post_warnings
    from aibot.posts.slugs import holders_file

    config = _load(config_path, demo, feeds_needed=True)
    posts, errors = load_posts(
        config.posts_dir, index=config.posts_index, holders=holders_file(config.paths.cache)
    )
    for error in errors:
        click.echo(f"error: {error}")
    warnings = _model_warnings(config) + post_warnings(posts)
    for warning in warnings:
        click.echo(f"warning: {warning}")
    click.echo(
        f"{config.source}: ok, {counted(len(config.feeds), 'feed')}; "
        f"{counted(len(posts), 'post')} ok, {len(errors)} with errors, "
        f"{counted(len(warnings), 'warning')}"
    )
    sys.exit(1 if errors else 0)


def _model_warnings(config: Config) -> list[str]:
    """A warning for each Claude model in use that the installed SDK lists as retiring."""
    from aibot.write.claude import DEFAULT_MODEL, DEFAULT_SMALL_MODEL, retirement_date

    if config.writer.backend == "extractive":  # no model is in use
        return []
    chosen = (
        ("writer.model", config.writer.model or DEFAULT_MODEL),
        ("writer.small_model", config.writer.small_model or DEFAULT_SMALL_MODEL),
    )
    return [
        f"{key}: {model} retires on {date} (the anthropic SDK's deprecation table); "
        'choose a newer model before then (docs/costs.md, "Which model")'
        for key, model in chosen
        if (date := retirement_date(model))
    ]


@main.command(short_help="Show what a rewrite of post SLUG would change.")
@_config_options
@_writer_option
@click.argument("slug")
def diff(config_path: Path | None, demo: bool, backend: str | None, slug: str) -> None:
    """Show what the pipeline would write for post SLUG against the file as it is now.

    For an edited post the pipeline never writes it: this is how an editor sees what a new
    version would bring and merges by hand. With the Claude writer this makes one model call.
    """
    import difflib

    from aibot.posts.files import is_edited, load_posts
    from aibot.posts.frontmatter import post_text
    from aibot.posts.slugs import holders_file
    from aibot.store import Store
    from aibot.write.base import WriterError
    from aibot.write.stage import choose_writer, regenerated_post

    config = _with_backend(_load(config_path, demo), backend)
    posts, _ = load_posts(
        config.posts_dir, index=config.posts_index, holders=holders_file(config.paths.cache)
    )
    post = next((p for p in posts if p.slug == slug), None)
    if post is None or post.path is None:
        click.echo(f"error: no readable post has the slug {slug!r} in {config.posts_dir}", err=True)
        sys.exit(1)
    if not config.cache_file.exists():
        click.echo("error: no cache yet (.aibot/); run `aibot run` first", err=True)
        sys.exit(1)
    try:
        writer = choose_writer(config)
        with Store(config.cache_file) as store:
            new, fresh = regenerated_post(config, store, post, writer)
    except (LookupError, WriterError) as exc:
        click.echo(f"error: {post.path}: {exc}", err=True)
        sys.exit(1)
    mine = post.path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    theirs = post_text(new).splitlines(keepends=True)
    name = str(post.path)
    click.echo(
        "".join(difflib.unified_diff(mine, theirs, f"{name} (now)", f"{name} (regenerated)")),
        nl=False,
    )
    state = "edited" if post.meta.get("locked") is not True and is_edited(post) else "unedited"
    if post.meta.get("locked"):
        state = "locked"
    click.echo(
        f"# {name}: {state}; its story has {counted(fresh, 'source')} the post does not cite yet; "
        f"writer {writer.name}",
        err=True,
    )


@main.group(
    invoke_without_command=True, short_help="Show each feed's health; `feeds import` adds feeds."
)
@_config_options
@click.pass_context
def feeds(ctx: click.Context, config_path: Path | None, demo: bool) -> None:
    """Show each feed's health: last success, failures, last error, articles per day."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = (config_path, demo)
        return
    from aibot.commands.feeds_table import feed_health_rows

    config = _load(config_path, demo)
    rows = feed_health_rows(config)
    header = ("feed", "last success", "failures", "per day", "last error")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:4], widths, strict=True)]
        click.echo("  ".join([*cells, str(row[4])]).rstrip())
    broken = [r for r in rows if r[2] >= config.collect.broken_after]
    sys.exit(1 if broken else 0)


@feeds.command(name="import")
@_config_options
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def feeds_import(
    obj: tuple[Path | None, bool] | None, config_path: Path | None, demo: bool, opml_file: Path
) -> None:
    """Add the feeds of an OPML file to the configuration file, keeping its comments."""
    from aibot.collect.opml import OpmlError, import_opml

    group_path, group_demo = obj or (None, False)  # `aibot feeds -c FILE import …`
    given = click.get_current_context().get_parameter_source("config_path")
    if given is not click.core.ParameterSource.COMMANDLINE and group_path is not None:
        config_path = group_path
    config = _load(config_path, demo or group_demo)
    assert config.source is not None
    try:
        added, present = import_opml(opml_file, config.source)
    except OpmlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    _load(config.source, False)  # the result must still be a valid configuration
    click.echo(f"{config.source}: {counted(added, 'feed')} added, {present} already listed")


@main.command(short_help="Start a hand-written post titled TITLE.")
@_config_options
@click.argument("title")
@click.option("--slug", default="", help="The post's slug [default: made from the title].")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
def new(config_path: Path | None, demo: bool, title: str, slug: str, tags: tuple[str, ...]) -> None:
    """Start a hand-written post titled TITLE: content/posts/YYYY/<slug>.md, dated now, with
    valid front matter. The post is locked (the pipeline never rewrites it) and a draft until
    you set draft: false. An existing file or slug is never overwritten."""
    from aibot.commands.new_post import NewPostError, new_post

    config = _load(config_path, demo)
    try:
        path = new_post(config.posts_dir, title, slug=slug, tags=tags, index=config.posts_index)
    except NewPostError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{path}: a draft; write the text under the front matter, then set draft: false")


def _interactive() -> bool:
    """Whether `aibot init` may ask questions: someone is typing."""
    return sys.stdin.isatty()


@main.command(short_help="Create a new site in FOLDER.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="Site title [default: My News].")
@click.option(
    "--url",
    "base_url",
    help="The site's public address, site.base_url [default: https://example.org/].",
)
@click.option(
    "--feeds", "opml", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start with the feeds of this OPML file instead of six world news feeds.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option("-y", "--yes", is_flag=True, help="Ask nothing (nor does a run without a terminal).")
def init(
    folder: Path, title: str | None, base_url: str | None, opml: Path | None, force: bool, yes: bool
) -> None:
    """Create a new site in FOLDER: aibot.yaml (defaults commented out), content/posts/,
    templates/, .gitignore, requirements.txt (this AiBot: a git commit, or a wheel in vendor/),
    requirements-lock.txt, and the GitHub workflows that test and publish it.
    When one of these files exists already, nothing is written (unless --force)."""
    from aibot.collect.opml import OpmlError
    from aibot.commands.init_site import DEFAULT_TITLE, DEFAULT_URL, SiteExistsError, create_site
    from aibot.commands.site_install import SiteInstallError

    if not yes and _interactive():
        title = title or click.prompt("Site title", default=DEFAULT_TITLE)
        base_url = base_url or click.prompt("Public address (site.base_url)", default=DEFAULT_URL)
    title, base_url = title or DEFAULT_TITLE, base_url or DEFAULT_URL
    try:
        written = create_site(folder, title, base_url, opml, force=force)
    except SiteExistsError as exc:
        click.echo(f"error: these files exist (--force overwrites them): {exc}", err=True)
        sys.exit(1)
    except (ConfigError, OpmlError, SiteInstallError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created the site {title!r} in {folder}/ ({len(written)} files):")
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"""Next:
  cd {shlex.quote(str(folder))}
  aibot run --demo   # AiBot at work on its offline demo sample (writes nothing here)
  aibot run          # collect the feeds in aibot.yaml, write posts, build site/
  aibot serve        # read the site on http://127.0.0.1:8000/
To publish it with GitHub Actions and Pages, see docs/publishing.md in AiBot's documentation.""")


@main.command(name="config", short_help="Print every setting in effect and where it came from.")
@_config_options
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_command(config_path: Path | None, demo: bool, as_json: bool) -> None:
    """Print every setting in effect and where it came from: default, file, or the AIBOT_*
    environment variable that set it."""
    from aibot.commands.config_docs import yaml_value
    from aibot.config import config_sections

    config, sources = _load_with_sources(config_path, demo)
    rows = []
    for section in config_sections():
        for f in dataclasses.fields(getattr(config, section)):
            key, value = f"{section}.{f.name}", getattr(getattr(config, section), f.name)
            rows.append((key, value, sources.get(key, "default")))
    rows += [(f"feeds[{i}]", feed, sources["feeds"]) for i, feed in enumerate(config.feeds)]
    if as_json:
        settings = []
        for key, value, source in rows:
            value = str(value) if isinstance(value, Path) else value
            setting = {"key": key, "value": value, "source": source}
            if source not in ("default", "file"):
                setting |= {"source": "environment", "variable": source}
            settings.append(setting)
        click.echo(json.dumps({"file": str(config.source), "settings": settings}, indent=2,
                              default=dataclasses.asdict))  # fmt: skip
        return
    click.echo(f"# {config.source}")
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        where = source if source in ("default", "file") else f"environment: {source}"
        click.echo(f"{key.ljust(width)}  {yaml_value(value)}  ({where})")


@main.command()
@_config_options
@click.option("--runs", default=10, show_default=True, help="Runs listed in the cost ledger.")
@click.option("--json", "as_json", is_flag=True, help="Print the last run and the ledger as JSON.")
def report(config_path: Path | None, demo: bool, runs: int, as_json: bool) -> None:
    """Print the last run's report and the cost ledger of model calls."""
    from aibot.report import RunReport
    from aibot.store import Store

    config = _load(config_path, demo)
    if not config.cache_file.exists():
        click.echo("no run recorded yet")
        sys.exit(1)
    with Store(config.cache_file) as store:
        last = store.last_run()
        by_run = store.ledger_by_run(runs)
        total = store.ledger_total()
    if last is None and not total["calls"]:
        click.echo("no run recorded yet")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"last_run": last, "ledger": by_run, "total": total}, indent=2))
        return
    if last is not None:
        click.echo(f"last run {last['started']}")
        click.echo("\n".join(RunReport.from_dict(last).lines()))
        click.echo("")
    click.echo("\n".join(ledger_table(by_run, total)))


def ledger_table(by_run: list[dict[str, Any]], total: dict[str, Any]) -> list[str]:
    """The cost ledger as a text table, newest run first, then the total of every run."""
    if not total["calls"]:
        return ["cost ledger: no model calls yet (the extractive writer costs nothing)"]
    rows = [("run started (UTC)", "calls", "input", "cached", "output", "cost (US$)", "models")]
    for run in by_run:
        rows.append((
            str(run["started"])[:16].replace("T", " "), f"{run['calls']}",
            f"{run['input_tokens'] + run['cache_write_tokens']:,}", f"{run['cache_read_tokens']:,}",
            f"{run['output_tokens']:,}", f"{run['cost']:.4f}",
            str(run["models"]) + (f" ({run['batch_calls']} batched)" if run["batch_calls"] else ""),
        ))  # fmt: skip
    rows.append((
        f"all {counted(total['runs'], 'run')}", f"{total['calls']}",
        f"{total['input_tokens'] + total['cache_write_tokens']:,}",
        f"{total['cache_read_tokens']:,}", f"{total['output_tokens']:,}",
        f"{total['cost']:.4f}", "",
    ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["cost ledger (tokens; priced from writer.prices, batched calls at half price)"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines
