"""Worker processes that end with the process that started them."""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent(parent: int) -> None:
    """Call first thing in a pool worker: on Linux, the kernel kills the worker when `parent`
    (the pid that started the pool) ends. Without it, a run killed by SIGKILL or the OOM killer
    leaves its workers waiting for work for ever, each holding its memory. Elsewhere, nothing."""
    if sys.platform != "linux":
        return
    import ctypes  # in the worker only: ~3 ms of every command's start otherwise

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no C library to call: the worker lives as before
        return
    if os.getppid() != parent:  # the parent ended before the call above took effect
        os._exit(1)
