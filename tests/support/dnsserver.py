"""A real DNS server on loopback (dnslib, UDP and TCP) answering from a small zone.

Names it does not know get NXDOMAIN, so a check pointed at it (``--dns-server``) never asks the
machine's own resolver. Records are zone-file lines and may be replaced between tests.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer


@dataclass
class Zone(BaseResolver):  # type: ignore[misc]
    """Zone-file lines, e.g. ``_matrix-fed._tcp.a.test. 60 IN SRV 10 5 8448 fed.a.test.``."""

    lines: list[str] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, *lines: str) -> None:
        with self._lock:
            self.lines = list(lines)
            self.asked.clear()

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        with self._lock:
            self.asked.append((str(qname).rstrip(".").lower(), str(qtype)))
            records = [rr for line in self.lines for rr in RR.fromZone(line)]
        named = [rr for rr in records if rr.rname == qname]
        for rr in named:
            if QTYPE[rr.rtype] == qtype:
                reply.add_answer(rr)
        if not named:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class LoopbackDns:
    """UDP and TCP on one free port of 127.0.0.1; ``address`` is the ``--dns-server`` value."""

    def __init__(self) -> None:
        self.zone = Zone()
        self.port = _free_port_both()
        self._servers = [
            # dnslib logs every query to stdout by default, which would mix with the CLI's output.
            DNSServer(self.zone, port=self.port, address="127.0.0.1", tcp=tcp, logger=DNSLogger(logf=_quiet))
            for tcp in (False, True)
        ]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LoopbackDns:
        for server in self._servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()


def _quiet(_line: str) -> None:
    return None


def _free_port_both() -> int:
    """A port free for both UDP and TCP (bounded tries)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port for the DNS server")
