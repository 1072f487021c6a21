"""Sign-in attempts counted per user name and per client address over a sliding window.

Failures count against the user name (so a guesser cannot try many passwords on one account);
every attempt counts against the address (so one client cannot walk through many accounts). The
counts live in memory: one serving process guards itself; a restart forgets them.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from seamline.auth.errors import TooManyAttemptsError
from seamline.timeutil import now_ms


class LoginLimiter:
    def __init__(
        self,
        *,
        failures_per_user: int = 5,
        attempts_per_address: int = 20,
        window_s: float = 300.0,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.failures_per_user = failures_per_user
        self.attempts_per_address = attempts_per_address
        self.window_ms = int(window_s * 1000)
        self._clock = clock
        self._users: dict[str, deque[int]] = {}
        self._addresses: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def check(self, user: str, address: str) -> None:
        """Refuse (429) when either count is full; else count this attempt against the address."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            for scope, seen, limit in (
                ("user name", self._users.get(user.lower()), self.failures_per_user),
                ("client address", self._addresses.get(address), self.attempts_per_address),
            ):
                if seen is not None and len(seen) >= limit:
                    wait_ms = seen[0] + self.window_ms - now
                    raise TooManyAttemptsError(scope, max(1, math.ceil(wait_ms / 1000)))
            self._addresses.setdefault(address, deque()).append(now)

    def failed(self, user: str) -> None:
        with self._lock:
            self._users.setdefault(user.lower(), deque()).append(self._clock())

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._users.pop(user.lower(), None)

    def _prune(self, now: int) -> None:
        for table in (self._users, self._addresses):
            for key in list(table):
                seen = table[key]
                while seen and seen[0] <= now - self.window_ms:
                    seen.popleft()
                if not seen:
                    del table[key]
