"""List routes page by page: `Page` is one answer, `items` follows `next_token` to the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list route: its items and the token of the next (None on the last)."""

    items: list[T]
    next_token: str | None


def items(fetch: Callable[[str | None], Page[T]], next_token: str | None = None) -> Iterator[T]:
    """Every item from the page `next_token` names (the first if None) to the last page.

    Pages are fetched lazily: a caller that stops early makes no further requests.
    """
    while True:
        page = fetch(next_token)
        yield from page.items
        if not page.next_token:
            return
        next_token = page.next_token
