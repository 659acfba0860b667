"""Fixtures of the workspace tests: a DNS server on the loopback, and a NAVER WORKS Admin login."""

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.workspaces.factories import ADMIN_PASSWORD


class LocalDnsServer:
    """Answers TXT questions over UDP from `zone` ({name: [value, ...]}); NXDOMAIN for any other name."""

    def __init__(self) -> None:
        self.zone: dict[str, list[str]] = {}
        self.questions: list[str] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "LocalDnsServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, address = self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True)
            self.questions.append(name)
            if name in self.zone:
                records = [f'"{value}"' for value in self.zone[name]]  # one TXT record per value
                response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", *records))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            self.socket.sendto(response.to_wire(), address)


@pytest.fixture
def dns_server():
    with (
        LocalDnsServer() as server,
        override_settings(WORKS_DNS_RESOLVERS=["127.0.0.1"], WORKS_DNS_PORT=server.port, WORKS_DNS_TIMEOUT=2.0),
    ):
        yield server


@pytest.fixture
def works_login():
    """Log `account_id` in to NAVER WORKS Admin through the login page; returns the client."""

    def log_in(account_id: str, password: str = ADMIN_PASSWORD, client: Client | None = None) -> Client:
        client = client or Client()
        response = client.post(reverse("workspaces:login"), {"account_id": account_id, "password": password})
        assert response.status_code == 302, response.content.decode()
        return client

    return log_in
