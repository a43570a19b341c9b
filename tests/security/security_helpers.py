"""Helpers shared by the security tests."""

from __future__ import annotations

FIRE_AT_MS = 1_790_000_000_000
