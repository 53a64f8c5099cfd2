"""The new site while a build makes it: a folder beside the last site, where every file whose key
is unchanged is a hard link to the last site's, and every other file is written anew.

The links come in one go (`cp -al`, which build_site starts while it reads the posts), or one by
one when that failed or the last site cannot be trusted. A file made again replaces its link,
never writes through it: the last site stays as it was until the new one is swapped in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from aibot.render.incremental import Manifest, digest
from aibot.render.pool import Job
from aibot.render.swap import link_file, remove_tree, write_new


class Staging:
    """The files of the new site and the key each was made from (for the next build's manifest),
    and how many of them were made this time (`rendered`) out of all of them (`pages`)."""

    def __init__(self, previous: Path, last: Manifest, inputs: str) -> None:
        self.out = previous  # set to the staging folder before rendering
        self.previous = previous  # the site on disk, whose unchanged files are reused
        self.last = last  # what the previous build made
        self.inputs = inputs  # render.incremental.inputs_key
        self.files: dict[str, str] = {}  # href -> key of every file this build makes
        self.pages = 0
        self.rendered = 0
        self._made_dirs: set[str] = set()
        # `cp -al` of the last site into the new one (see build_site), and whether it is done:
        # then every unchanged file is already in place, and a file made again is unlinked first.
        self.linking: subprocess.Popen[bytes] | None = None
        self.prelinked = False

    def await_links(self) -> None:
        """Wait for the last site's links (build_site starts them); if they failed, start from
        an empty folder, each unchanged file then linked as it is reused."""
        if self.linking is None:
            return
        linked = self.linking.wait() == 0
        self.linking = None
        if linked:
            self.prelinked = True
        elif self.out != self.previous:
            for child in self.out.iterdir():
                remove_tree(child) if child.is_dir() else child.unlink()

    def reuse(self, hrefs: list[str], key: str, *, with_inputs: bool = False) -> bool:
        """Record `hrefs` as made from `key` (with the inputs key, unless `with_inputs` says it
        has it); hard-link them from the last build when it made them from the same key (True),
        else leave them to be made (False)."""
        key = key if with_inputs else digest(self.inputs, key)
        for href in hrefs:
            self.files[href] = key
        if not all(self.last.files.get(href) == key for href in hrefs):
            return False
        if self.prelinked:  # already in place
            self.pages += len(hrefs)
            return True
        old, new = str(self.previous), str(self.out)
        try:
            for href in hrefs:
                link_file(f"{old}/{href}", f"{new}/{href}")
        except OSError:
            # Never leave a link to be written through: that would change the last site.
            for href in hrefs:
                (self.out / href).unlink(missing_ok=True)
            return False
        self.pages += len(hrefs)
        return True

    def to_make(self, jobs: list[Job]) -> list[Job]:
        """The pages of `jobs` whose keys changed; the others are kept from the last build."""
        self.await_links()
        if self.prelinked:  # the last build's pages are in place: those with the same key stay
            made = self.last.files
            todo = [job for job in jobs if made.get(job.href) != job.key]
            self.pages += len(jobs) - len(todo)
        else:
            todo = [job for job in jobs if not self.reuse([job.href], job.key, with_inputs=True)]
        self.pages += len(todo)
        self.rendered += len(todo)
        return todo

    def write_page(self, href: str, html: str) -> None:
        target = f"{self.out}/{href}"
        folder = os.path.dirname(target)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        if self.prelinked:  # a link to the last site's page: never written through
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        with open(target, "w", encoding="utf-8") as file:
            file.write(html)

    def write_output(self, href: str, text: str) -> None:
        """A feed, sitemap or robots.txt that write_outputs made this time."""
        self.files.setdefault(href, "")  # sitemaps are cheap: made every time, keyed by nothing
        target = self.out / href
        target.parent.mkdir(parents=True, exist_ok=True)
        write_new(target, text)

    def copy_static(self, templates: Path) -> None:
        """The theme's static files, then those of the site's own `templates` folder."""
        target = self.out / "static"
        if self.prelinked:  # copying over the links would write through them
            remove_tree(target)
        theme = resources.files("aibot") / "theme" / "static"
        with resources.as_file(theme) as folder:
            shutil.copytree(folder, target)
        own = templates / "static"
        if own.is_dir():
            shutil.copytree(own, target, dirs_exist_ok=True)
        for path in target.rglob("*"):  # listed, so a file deleted by hand is noticed
            if path.is_file():
                self.files.setdefault(path.relative_to(self.out).as_posix(), "")

    def remove_stale(self) -> None:
        """Delete the files the last site had and this one has not (a post or tag gone), and
        the folders that leaves empty."""
        folders = set()
        for href in self.last.files.keys() - self.files.keys():
            with contextlib.suppress(FileNotFoundError):
                (self.out / href).unlink()
            folders.update(Path(href).parents)
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            if folder.parts:
                with contextlib.suppress(OSError):  # not empty
                    (self.out / folder).rmdir()
