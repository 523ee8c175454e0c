"""Garbage collection for a build: what lives until the end is frozen, not walked again and again; under
``-j``, what must be collected is collected while a worker writes, not on the way to the end.

A build keeps most of what it makes until it ends (the texts and data, the environment, the domain's
records), and each of CPython's full collections walks all of it. In a clean build of this site they
took 0.4 s of 3.2 (counted with ``gc.callbacks``); Sphinx and the theme alone, 0.13 s. ``gc.freeze()``
moves every object alive into a permanent generation that collections skip:

- once the inputs are loaded, and once every page is read;
- in each worker process that ``-j`` forks, as it starts: the worker inherits the parent's heap (under
  ``-j auto`` that includes every page resolved so far) and would otherwise walk all of it in its first
  full collection (0.07–0.1 s per worker on this site, measured with ``gc.callbacks``); what the worker
  inherited is freed when it exits, so it has nothing to collect there.

The price is that cyclic garbage alive at those moments is never freed, which a build process can
afford: it ends with the build (sphinx-autobuild runs each build as a new process, and so do
``make html`` and the tests that build the site; a few tests of the core build small projects inside
the pytest process, where the frozen garbage of those builds stays until pytest ends).

Under ``-j``, the main process resolves each chunk of pages and forks a worker to write it; the chunk's
doctrees are garbage once that worker is done. Left alone, they were freed by one full collection in
the next page the main process renders (the general index, 0.1 s, after the last worker, so on the way
to the end of the build). Collected right after each writing worker is forked, that work overlaps the
worker's writing. Only while writing: other forks (sphinx-sitemap's manager, the readers) come when the
main process has work of its own to do.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from sphinx.application import Sphinx

_fork_hooks_registered = False  # os.register_at_fork: once per process, however many builds it runs
_writing = False  # whether the main process is in the writing phase (forks are then writing workers)


def freeze_survivors(app: Sphinx, *args: Any) -> None:
    gc.freeze()


def _collect_if_writing() -> None:
    if _writing:
        gc.collect()


def _set_writing(value: bool) -> Any:
    def handler(app: Sphinx, *args: Any) -> None:
        global _writing
        _writing = value

    return handler


def setup(app: Sphinx) -> None:
    global _fork_hooks_registered
    if not _fork_hooks_registered:
        os.register_at_fork(after_in_child=gc.freeze, after_in_parent=_collect_if_writing)
        _fork_hooks_registered = True
    app.connect("builder-inited", freeze_survivors, priority=900)  # after the inputs are loaded (500)
    app.connect("env-updated", freeze_survivors, priority=900)  # every page read, and merged under -j
    app.connect("builder-inited", _set_writing(False), priority=0)  # a new build in this process begins
    app.connect("write-started", _set_writing(True))
    # First of the finishing steps: a failed -W build stops at priority 1 (site/patches.py).
    app.connect("build-finished", _set_writing(False), priority=0)
