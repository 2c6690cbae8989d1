"""One headless Chromium per process for the PDFs, driven over its DevTools pipe.

Starting Chromium costs about a second a PDF; a run prints many in each worker. ``Browser``
starts one Chromium with ``--remote-debugging-pipe`` (the DevTools protocol as NUL-separated
JSON on its file descriptors 3 and 4: no port, no network) and prints each page in a tab of
its own: ``Page.navigate`` to the file, wait for its load event and its fonts, then
``Page.printToPDF`` with the page's CSS ``@page`` size and no header or footer, as the
command line's ``--print-to-pdf`` does. The flags are those of a one-off print (every host
unresolvable, a throwaway profile). ``current()`` is this process's browser, started on first
use and again if it died; it is closed when the process exits. Errors are ``BrowserError``
with what Chromium said.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..scratch import temp_name

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)  # a one-off print's flags too (build.to_pdf), less the pipe
TIMEOUT = 120.0  # seconds for one command (a print of a long report takes a few)
PRINT = {"preferCSSPageSize": True, "displayHeaderFooter": False, "printBackground": True}

_browser: Browser | None = None


class BrowserError(Exception):
    """Chromium did not answer, or answered a command with an error."""


class Browser:
    """A running Chromium and the two ends of its DevTools pipe."""

    def __init__(self, chromium: str) -> None:
        self.chromium = chromium
        self.profile = tempfile.mkdtemp(prefix=temp_name("chromium"))
        self.log = Path(self.profile) / "stderr.log"
        to_child, commands = os.pipe()  # we write commands; Chromium reads its fd 3
        replies, from_child = os.pipe()  # Chromium writes its fd 4; we read
        devnull = os.open(os.devnull, os.O_RDONLY)
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            # posix_spawn: no Python runs in the child, so this is safe beside other threads
            self.pid = os.posix_spawn(
                chromium,
                [
                    chromium,
                    *FLAGS,
                    "--remote-debugging-pipe",
                    f"--user-data-dir={self.profile}",
                    "about:blank",
                ],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, log, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                    (os.POSIX_SPAWN_DUP2, to_child, 3),
                    (os.POSIX_SPAWN_DUP2, from_child, 4),
                ],
            )
        finally:
            for fd in (to_child, from_child, devnull, log):
                os.close(fd)
        self.commands, self.replies = commands, replies
        self.buffer = b""
        self.next_id = 0
        self.exit_status: int | None = None

    def alive(self) -> bool:
        if self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = status
        return self.exit_status is None

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command and return its result, skipping the events in between."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.commands, data) :]
        except OSError as exc:
            raise BrowserError(f"Chromium closed its pipe ({exc}): {self.stderr()}") from None
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        """The next event ``event`` of ``session``."""
        while True:
            message = self._message()
            if message.get("method") == event and message.get("sessionId") == session:
                return message

    def _message(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.replies], [], [], max(0.0, left))
            chunk = os.read(self.replies, 1 << 20) if ready else b""
            if not chunk:
                why = "did not answer in time" if not ready else "closed its pipe"
                raise BrowserError(f"Chromium {why}: {self.stderr()}")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def print_pdf(self, html_path: Path, pdf_path: Path) -> None:
        """Print ``html_path`` to ``pdf_path`` in a new tab, closed afterwards."""
        with self.tab(html_path) as session:
            data = self.send("Page.printToPDF", PRINT, session=session)["data"]
        pdf_path.write_bytes(base64.b64decode(data))

    def evaluate(self, html_path: Path, expression: str) -> Any:
        """The value of JavaScript ``expression`` (a promise is awaited) in ``html_path``
        loaded in a new tab, closed afterwards; a thrown error is a ``BrowserError``."""
        with self.tab(html_path) as session:
            params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
            result = self.send("Runtime.evaluate", params, session=session)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    @contextlib.contextmanager
    def tab(self, html_path: Path) -> Iterator[str]:
        """A new tab's session with ``html_path`` loaded and its fonts ready; closed after."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            self.send("Page.enable", session=session)
            self.send("Page.navigate", {"url": html_path.resolve().as_uri()}, session=session)
            self.wait_for("Page.loadEventFired", session)
            self.send(
                "Runtime.evaluate",
                {"expression": "document.fonts.ready.then(() => true)", "awaitPromise": True},
                session=session,
            )
            yield session
        finally:
            with contextlib.suppress(BrowserError):
                self.send("Target.closeTarget", {"targetId": target})

    def stderr(self) -> str:
        try:
            return self.log.read_text(errors="replace").strip()[-400:]
        except OSError:
            return ""

    def close(self) -> None:
        for fd in (self.commands, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            for _ in range(50):
                if not self.alive():
                    break
                time.sleep(0.02)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        shutil.rmtree(self.profile, ignore_errors=True)


def current(chromium: str) -> Browser:
    """This process's browser, started on first use (and again if it died)."""
    global _browser
    if _browser is not None and (not _browser.alive() or _browser.chromium != chromium):
        _shutdown()
    if _browser is None:
        _browser = Browser(chromium)
        atexit.register(_shutdown)
    return _browser


def _shutdown() -> None:
    global _browser
    browser, _browser = _browser, None
    if browser is not None:
        browser.close()
