"""Page tokens and page collection (no AWS)."""

from __future__ import annotations

import pytest

from sundial.settings import reset_settings
from sundial.store.errors import InvalidPageToken
from sundial.store.pagination import collect_page, decode_token, encode_token

KEY = {"task_id": {"S": "01JD0000000000000000000000"}, "tenant": {"S": "acme"}}


@pytest.fixture(autouse=True)
def _fresh_settings():
    reset_settings()
    yield
    reset_settings()


def test_token_round_trips_within_its_scope():
    assert decode_token(encode_token(KEY, "tasks:acme"), "tasks:acme") == KEY


def test_token_is_opaque_url_safe_text():
    token = encode_token(KEY, "tasks:acme")
    assert "acme" not in token and all(c.isalnum() or c in "-_." for c in token)


def test_token_from_another_scope_is_rejected():
    with pytest.raises(InvalidPageToken):
        decode_token(encode_token(KEY, "tasks:acme"), "tasks:globex")


def test_token_signed_with_another_secret_is_rejected(monkeypatch):
    token = encode_token(KEY, "tasks:acme")
    monkeypatch.setenv("PAGINATION_SECRET", "rotated")
    reset_settings()
    with pytest.raises(InvalidPageToken):
        decode_token(token, "tasks:acme")


def test_edited_key_is_rejected():
    import base64
    import json

    _, mac = encode_token(KEY, "tasks:acme").split(".")
    forged_key = {**KEY, "task_id": {"S": "01JDZZZZZZZZZZZZZZZZZZZZZZ"}}
    body = base64.urlsafe_b64encode(json.dumps(forged_key).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidPageToken):
        decode_token(f"{body}.{mac}", "tasks:acme")


@pytest.mark.parametrize("bad", ["", ".", "a.b.c", "%%%.%%%", "é.é", "x" * 10_000])
def test_malformed_tokens_are_rejected(bad):
    with pytest.raises(InvalidPageToken):
        decode_token(bad, "tasks:acme")


def _item(n: int) -> dict:
    return {"k": {"N": str(n)}, "v": {"S": "x"}}


def _page(ns: list[int], last: int | None, scanned: int | None = None) -> dict:
    page: dict = {"Items": [_item(n) for n in ns], "ScannedCount": scanned or len(ns)}
    if last is not None:
        page["LastEvaluatedKey"] = {"k": {"N": str(last)}}
    return page


def test_page_with_an_extra_item_resumes_after_the_last_returned():
    items, key = collect_page([_page([1, 2, 3], last=3)], limit=2, key_names=["k"])
    assert items == [_item(1), _item(2)] and key == {"k": {"N": "2"}}


def test_exact_last_page_has_no_resume_key():
    pages = iter([_page([1, 2], last=2), _page([], last=None)])
    items, key = collect_page(pages, limit=2, key_names=["k"])
    assert len(items) == 2 and key is None


def test_sparse_filtered_pages_stop_after_max_scanned():
    pages = iter(
        [_page([], last=10, scanned=10), _page([11], last=20, scanned=10), _page([30], None)]
    )
    items, key = collect_page(pages, limit=5, key_names=["k"], max_scanned=20)
    assert items == [_item(11)] and key == {"k": {"N": "20"}}
