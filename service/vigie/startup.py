"""Starting without the store: open it, migrate, start the runtime, retrying with backoff.

``vigie serve`` answers from its first second: :class:`Startup` works in a background thread
until the runtime is up; meanwhile :attr:`Startup.reason` says why it is not ready (``/readyz``
answers 503 with it) and every failed attempt counts as a failed evaluation for the admins'
:class:`~vigie.notify.direct.EvaluationWatch`. Once the store answers, the services are installed
and the service is ready, without a restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from vigie.errors import StoreError
from vigie.notify.direct import EvaluationWatch
from vigie.runtime import Runtime

log = logging.getLogger(__name__)

Attempt = Callable[[], Runtime]


class Startup:
    def __init__(
        self,
        attempt: Attempt,
        on_ready: Callable[[Runtime], None],
        watch: EvaluationWatch | None = None,
        *,
        first_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
    ) -> None:
        self._attempt = attempt
        self._on_ready = on_ready
        self._watch = watch
        self._first_delay_s = first_delay_s
        self._max_delay_s = max_delay_s
        self._stopping = threading.Event()
        self.ready = threading.Event()
        self.reason = "starting"
        self.attempts = 0
        self.runtime: Runtime | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """A first attempt now (a reachable store is ready before the first request), then
        retries in the background."""
        if not self._try():
            self._thread = threading.Thread(target=self._retry, name="vigie-startup", daemon=True)
            self._thread.start()

    def _retry(self) -> None:
        delay = self._first_delay_s
        while not self._stopping.wait(delay):
            if self._try():
                return
            delay = min(delay * 2, self._max_delay_s)

    def _try(self) -> bool:
        self.attempts += 1
        try:
            runtime = self._attempt()
        except StoreError as exc:
            # the reason is for everyone (readyz): the store's own words stay in the log
            self.reason = "the store cannot be reached or refused the schema; retrying"
            log.warning("store unavailable at start, retrying",
                        extra={"error": str(exc), "attempt": self.attempts})  # fmt: skip
            if self._watch is not None:
                self._watch.failed()
            return False
        if self._stopping.is_set():
            runtime.stop()
            return True
        self.runtime = runtime
        self.reason = ""
        self._on_ready(runtime)
        self.ready.set()
        return True

    def stop(self) -> Runtime | None:
        """Stop retrying; the runtime, if it was started (the caller stops it)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        return self.runtime
