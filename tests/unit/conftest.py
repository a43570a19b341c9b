"""Unit tests never touch the network: sockets are disabled for every test here."""

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _sockets_disabled():
    disable_socket()
    yield
    enable_socket()
