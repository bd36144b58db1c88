"""Fixtures for the client's tests: a real `p402 serve`, one not started yet, a fake."""

import pytest
from client_servers import FakeP402, LocalP402, free_port

from p402.client import Recorder


@pytest.fixture
def p402_server(tmp_path):
    server = LocalP402(tmp_path / "data", free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def p402_stopped(tmp_path):
    """A server not started yet: its port is chosen, nothing listens there."""
    server = LocalP402(tmp_path / "data", free_port())
    yield server
    server.stop()


@pytest.fixture
def fake_p402():
    servers = []

    def start(statuses=()):
        servers.append(FakeP402(list(statuses)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def captured(fake_p402):
    """A Recorder whose events are kept in a list instead of being sent."""
    recorder = Recorder(fake_p402().url, "key", spill_dir=None)
    events: list[dict] = []
    recorder._sender.submit = events.append
    yield recorder, events
    recorder.close()
