"""Bounds on work in flight that a dead or slow host cannot exhaust, and one request per host.

:class:`Slots` bounds how much work runs at once, but a request still without an answer after
``park_after`` seconds stops counting (it is *parked*), and so does the server waiting on it, up to
``max_parked`` of them: a host that never answers keeps its socket until the timeout, but not a
slot the living servers need. Servers park only through a parked request, never by their own age,
so an overloaded process does not let every slow-because-queued server in at once. The parked
count is bounded, so nothing grows without limit.

:class:`HostGates` lets one request at a time reach each host, so a server's chain (well-known,
versions, transports) and a focus's probes ride one keep-alive connection with one TLS handshake
instead of opening parallel ones; it also bounds the load on any one host. It remembers hosts that
could not be connected to within the timeout, so later requests to them fail at once with the same
error instead of waiting again.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from foci_bot.urls import split_url

HostKey = tuple[str, str, int]  # scheme, host, port


#: Which work goes first when slots are scarce: lower first. The Checker numbers servers in the
#: order they start, so a started server's next request goes before a new server's first one and
#: servers finish in order instead of all together at the end (work shared in turns would make
#: every server wait for all the others).
PRIORITY: ContextVar[float] = ContextVar("foci_priority", default=0.0)


class Slots:
    def __init__(self, size: int, *, park_after: float | None, max_parked: int) -> None:
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []  # a heap
        self._order = itertools.count()
        self._park_after = park_after
        self._max_parked = max_parked
        self._parked = 0

    async def _acquire(self) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (PRIORITY.get(), next(self._order), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed to us as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            waiter = heapq.heappop(self._waiting)[2]
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[Hold]:
        """A slot until the block ends, or until it is parked: by ``park_after`` or by hand."""
        await self._acquire()
        held = Hold(self)
        if self._park_after is not None:
            held.timer = asyncio.get_running_loop().call_later(self._park_after, held.park)
        try:
            yield held
        finally:
            held.done = True
            if held.timer is not None:
                held.timer.cancel()
            if held.parked:
                self._parked -= 1
            else:
                self._release()


class Hold:
    """One held slot."""

    __slots__ = ("_slots", "done", "parked", "timer")

    def __init__(self, slots: Slots) -> None:
        self._slots = slots
        self.done = False  # a late park (from work outliving the hold) must not free a slot twice
        self.parked = False
        self.timer: asyncio.TimerHandle | None = None

    def park(self) -> None:
        """Stop counting against the slots (once), unless too many are parked already."""
        slots = self._slots
        if self.parked or self.done:
            return
        if slots._parked < slots._max_parked:
            self.parked = True
            slots._parked += 1
            slots._release()
            on_park = ON_PARK.get()
            if on_park is not None:
                on_park()
        elif slots._park_after is not None:  # look again later
            self.timer = asyncio.get_running_loop().call_later(slots._park_after, self.park)


#: Called when a request parks: the Checker parks the server that is waiting on it, so a dead
#: server stops holding a server slot, while servers that are merely queued keep theirs.
ON_PARK: ContextVar[Callable[[], None] | None] = ContextVar("foci_on_park", default=None)


class _Gate:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class HostGates:
    def __init__(self, silent_ttl: float) -> None:
        self._gates: dict[HostKey, _Gate] = {}
        self._silent: dict[HostKey, tuple[float, str]] = {}
        self._silent_ttl = silent_ttl
        # When the request now at a host began without a connection yet (one request per host at
        # a time, so one entry per host; removed when it connects or gives up).
        self._connecting: dict[HostKey, float] = {}

    @asynccontextmanager
    async def hold(self, key: HostKey) -> AsyncIterator[None]:
        """One request at a time per host; the gate is dropped when nobody uses it."""
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate()
        gate.users += 1
        try:
            async with gate.lock:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._gates[key]

    def silent(self, key: HostKey) -> str | None:
        """Why the host is known to be down, if a connection to it timed out lately."""
        entry = self._silent.get(key)
        if entry is None:
            return None
        if time.monotonic() > entry[0]:
            del self._silent[key]
            return None
        return entry[1]

    def connecting(self, key: HostKey) -> None:
        """A request to the host starts; it may reuse a connection (then :meth:`connected` follows
        at once) or have to make one."""
        self._connecting.setdefault(key, time.monotonic())

    def connected(self, key: HostKey) -> None:
        """The request has its connection, or gave up."""
        self._connecting.pop(key, None)

    def stalled(self, key: HostKey, after: float) -> bool:
        """Known to be down, or a request has waited ``after`` seconds for a connection to it: a
        host that answers gives a connection within a round trip or two, even under load."""
        if self.silent(key) is not None:
            return True
        began = self._connecting.get(key)
        return began is not None and time.monotonic() - began >= after

    def mark_silent(self, key: HostKey, detail: str) -> None:
        now = time.monotonic()
        if len(self._silent) > 4096:  # bounded: drop the expired ones first
            for stale in [k for k, (until, _) in self._silent.items() if until < now]:
                del self._silent[stale]
            while len(self._silent) > 4096:
                del self._silent[next(iter(self._silent))]  # the oldest
        self._silent[key] = (now + self._silent_ttl, detail)


class SilentHost(Exception):
    """The host could not be connected to within the timeout, lately (see :class:`HostGates`)."""


def host_key(url: str) -> HostKey:
    parts = split_url(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").rstrip(".").lower(),
        parts.port or (443 if scheme == "https" else 80),
    )


def small_tls_buffers(size: int = 16 * 1024) -> None:
    """Bound each TLS connection's read buffer: asyncio gives every one 256 KiB (CPython
    Lib/asyncio/sslproto.py, ``SSLProtocol.max_size``), written to at creation so it is resident at
    once: 1,000 connections are 250 MiB. The buffer only sizes each read from the socket (OpenSSL
    gathers a record across reads), and a TLS record is at most 16 KiB (RFC 8446 §5.1), so one
    record's worth loses nothing. Process-wide; called once by the HTTP client's module."""
    if getattr(asyncio.sslproto.SSLProtocol, "max_size", 0) > size:
        asyncio.sslproto.SSLProtocol.max_size = size
