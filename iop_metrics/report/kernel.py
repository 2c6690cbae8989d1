"""A warm kernel: one Jupyter kernel per process, reused by every report that process renders.

Starting a kernel and importing the report stack (pandas, altair) costs seconds a report, and
a run renders many in each worker. ``render(..., warm=True)`` runs the notebook through the
papermill engine ``iop-warm`` (``ENGINE``), which executes it on this process's one kernel.
Before each notebook the kernel is made to look fresh (``fresh``, run inside it): changed
into the folder papermill was given, the user namespace cleared (IPython's ``%reset -f``, then
a garbage collection, so a database a report opened is closed; what survives it is frozen
out of later collections), the warnings filters and
their once-registries as they were when the kernel started, and the execution count back at 1.
What stays is only what holds no report's state: modules already imported and their
caches of the package's own SQL and templates. A report rendered warm equals one rendered cold
(metrics.json byte for byte, the HTML apart from its generation time; tests/test_kernel.py).
A kernel that died is replaced; the kernel is shut down when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
from typing import Any

ENGINE = "iop-warm"
KERNEL = "python3"
START_TIMEOUT = 60.0
FRESH = "__import__('iop_metrics.report.kernel', fromlist=['fresh']).fresh"  # binds no name
# What the notebook's first cells import, imported as the kernel starts (binding no name).
PRELOAD = [
    "__import__('iop_metrics.report.pages')",
    "__import__('iop_metrics.report.sections')",
    "__import__('iop_metrics.report.data')",
]

_kernel: WarmKernel | None = None


class WarmKernel:
    """One started kernel (``km``) and its client (``kc``), reset before each notebook."""

    def __init__(self, kernel_name: str = KERNEL) -> None:
        from jupyter_client.manager import KernelManager

        self.kernel_name = kernel_name
        self.km = KernelManager(kernel_name=kernel_name)
        # What the kernel prints on stderr (connection warnings) goes nowhere, as it does for
        # a cold report (build._kernel_noise_to); the notebook's own output is on iopub. The
        # kernel imports the report's modules as it starts (binding no name), while this
        # process goes on; the launch does not wait for it.
        self.km.start_kernel(
            stderr=subprocess.DEVNULL,
            # no IPython history: the execution count restarts for each report, and a
            # history database would print "Session/line number was not unique" into one
            extra_arguments=[
                "--HistoryManager.enabled=False",
                *(f"--IPKernelApp.exec_lines={line}" for line in PRELOAD),
            ],
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the kernel answers (the first time only)."""
        if self.ready:
            return
        try:
            self.kc.wait_for_ready(timeout=START_TIMEOUT)
        except RuntimeError:
            self.close()
            raise
        self.kc.allow_stdin = False
        self._run(f"{FRESH}(None)")
        self.ready = True

    def alive(self) -> bool:
        return bool(self.km.has_kernel and self.km.is_alive())

    def prepare(self, cwd: str) -> None:
        """Make the kernel look fresh for the next notebook, working in ``cwd``."""
        self.wait_ready()
        self._run(f"{FRESH}({cwd!r})")

    def _run(self, code: str) -> None:
        reply = self.kc.execute_interactive(
            code, silent=True, store_history=False, timeout=START_TIMEOUT, allow_stdin=False
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(
                f"the warm kernel could not be reset: {content.get('ename')}: "
                f"{content.get('evalue')}"
            )

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
            self.km.cleanup_resources()


def current(kernel_name: str = KERNEL) -> WarmKernel:
    """This process's warm kernel, started on first use (and again if it died); calling it
    early starts the kernel while the caller does other work (it waits only in ``prepare``)."""
    global _kernel
    if _kernel is not None and (not _kernel.alive() or _kernel.kernel_name != kernel_name):
        _shutdown()
    if _kernel is None:
        _kernel = WarmKernel(kernel_name)
        atexit.register(_shutdown)
    return _kernel


def _shutdown() -> None:
    global _kernel
    kernel, _kernel = _kernel, None
    if kernel is not None:
        # a kernel that died (why it is being replaced) may fail its shutdown; it is gone
        with contextlib.suppress(Exception):
            kernel.close()


_filters: list[Any] | None = None  # inside the kernel: the warnings filters it started with


def fresh(cwd: str | None) -> None:
    """Inside the kernel, before a notebook: clear what an earlier notebook left (see above)."""
    import gc
    import warnings

    from IPython import get_ipython

    global _filters
    if cwd is not None:  # first: the last report's folder is gone by now
        os.chdir(cwd)
    shell = get_ipython()
    if _filters is None:
        _filters = list(warnings.filters)
    shell.run_line_magic("reset", "-f")
    gc.collect()
    # What survives that is the kernel's own (modules, caches): frozen, so the collections of
    # the next report (IPython's reset collects too, the interpreter many times) skip it.
    gc.freeze()
    warnings.resetwarnings()  # also invalidates every module's registry of warnings shown
    warnings.filters[:] = _filters  # type: ignore[index]
    warnings.onceregistry.clear()  # type: ignore[attr-defined]
    shell.execution_count = 1


def engine() -> str:
    """Register the papermill engine that runs a notebook on ``current()``; its name."""
    from papermill.engines import papermill_engines

    if ENGINE not in papermill_engines._engines:
        papermill_engines.register(ENGINE, _engine_class())
    return ENGINE


def _engine_class() -> type:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.utils import merge_kwargs, remove_args

    class WarmEngine(NBClientEngine):  # type: ignore[misc]
        """NBClientEngine's execution on a kernel it does not own (so does not shut down)."""

        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            import logging

            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            kernel = current(kernel_name)
            kernel.prepare(os.getcwd())  # papermill has changed into the report's cwd
            client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
            client.kc = kernel.kc
            return client.execute()

    return WarmEngine
