"""The local stack's API keys: the same key from one start to the next with a state
file, no pile-up of keys, and SUNDIAL_LOCAL_API_KEYS over whatever a state file holds."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest
from sundial_local.keys import LOCAL_TENANT, ensure_local_keys, key_file_for

from sundial.store import apikeys

REGION = "us-east-1"


@pytest.fixture
def keys_table(tables: dict[str, str]) -> Iterator[str]:
    apikeys.bind_keys_table(tables["KeysTable"], region=REGION)
    yield tables["KeysTable"]
    apikeys.unbind_keys_table()


def restart(tables: dict[str, str], state_file) -> None:
    """What a stop and a start do to the tables: nothing (the emulator keeps them, see
    test_local_durable.py); each test's ensure_local_keys call is the start."""


def test_with_a_state_file_every_start_prints_the_same_key_and_stores_no_new_one(
    tables, keys_table, tmp_path
):
    state_file = tmp_path / "state.json"
    first = ensure_local_keys({}, state_file)
    restart(tables, state_file)
    second = ensure_local_keys({}, state_file)
    restart(tables, state_file)
    third = ensure_local_keys({}, state_file)

    assert first == second == third
    ((key, tenant),) = first.items()
    assert tenant == LOCAL_TENANT and apikeys.find_key(key).tenant == LOCAL_TENANT
    assert len(apikeys.list_keys(LOCAL_TENANT)) == 1


def test_the_kept_key_is_readable_by_its_owner_only(tables, keys_table, tmp_path):
    state_file = tmp_path / "state.json"
    (key,) = ensure_local_keys({}, state_file)
    key_file = key_file_for(state_file)
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_kept_key_the_table_no_longer_holds_is_replaced_by_a_working_one(
    tables, keys_table, tmp_path
):
    state_file = tmp_path / "state.json"
    (old,) = ensure_local_keys({}, state_file)
    apikeys.revoke_key(apikeys.find_key(old).key_id)

    (new,) = ensure_local_keys({}, state_file)

    assert new != old and not apikeys.find_key(new).revoked
    assert key_file_for(state_file).read_text().strip() == new


def test_without_a_state_file_each_start_makes_a_fresh_key(tables, keys_table):
    assert ensure_local_keys({}, None) != ensure_local_keys({}, None)


def test_configured_keys_win_over_the_keys_a_state_file_restores(tables, keys_table, tmp_path):
    state_file = tmp_path / "state.json"
    ensure_local_keys({"sdl_shared-key": "alpha"}, state_file)
    restart(tables, state_file)

    keys = ensure_local_keys({"sdl_shared-key": "beta", "sdl_other": "gamma"}, state_file)

    assert keys == {"sdl_shared-key": "beta", "sdl_other": "gamma"}
    assert apikeys.find_key("sdl_shared-key").tenant == "beta"
    assert apikeys.find_key("sdl_other").tenant == "gamma"
    assert not key_file_for(state_file).exists()  # no generated key was needed


def test_replace_is_refused_for_a_generated_key(tables, keys_table):
    with pytest.raises(ValueError, match="raw_key"):
        apikeys.create_key("acme", replace=True)


def test_a_key_dropped_from_the_configuration_no_longer_opens_its_old_tenant(
    tables, keys_table, tmp_path
):
    state_file = tmp_path / "state.json"
    (generated,) = ensure_local_keys({}, state_file)
    ensure_local_keys({"sdl_first": "alpha", "sdl_moved": "alpha"}, state_file)
    restart(tables, state_file)

    keys = ensure_local_keys({"sdl_moved": "beta", "sdl_second": "gamma"}, state_file)

    assert keys == {"sdl_moved": "beta", "sdl_second": "gamma"}
    assert apikeys.find_key("sdl_first").revoked  # dropped: alpha's no more
    assert apikeys.find_key(generated).revoked  # the stack prints configured keys only
    assert apikeys.find_key("sdl_moved").tenant == "beta"
    assert not apikeys.find_key("sdl_second").revoked


def test_keys_made_through_the_api_outlive_a_change_of_configuration(tables, keys_table, tmp_path):
    own, _ = apikeys.create_key("alpha", description="ci")
    ensure_local_keys({"sdl_first": "alpha"}, tmp_path / "state.json")
    ensure_local_keys({}, tmp_path / "state.json")
    assert not apikeys.find_key(own).revoked
    assert apikeys.find_key("sdl_first").revoked
