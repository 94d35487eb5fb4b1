"""The profile room (storage/profile.py): users, passphrases, the recovery key, wipe.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import pytest

from storage import Store, crypto
from storage.errors import (
    ProfileExists,
    ProfileWiped,
    UnknownUser,
    UserExists,
    WrongPassphrase,
    WrongRecoveryKey,
)
from tests.conftest import PASSPHRASE
from tests.unit.storage.store_helpers import HOUSEHOLD, raw


def test_several_users_share_one_profile(store, tmp_path):
    store.add_user("Enumerator Two", "second synthetic passphrase", kdf=crypto.fast_kdf_for_tests())
    rid = store.save_record("household", HOUSEHOLD)
    store.close()
    s = Store.open(tmp_path / "profile")
    assert s.users() == ["Enumerator One", "Enumerator Two"]
    s.unlock("second synthetic passphrase")
    assert s.user_name == "Enumerator Two"
    assert s.get_record(rid).fields == HOUSEHOLD
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE, user="Enumerator Two")
    with pytest.raises(UnknownUser):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE, user="Nobody")
    with pytest.raises(UserExists):
        s.add_user("Enumerator Two", "another passphrase")
    s.close()


def test_changing_a_passphrase_rewraps_and_never_reencrypts(store, tmp_path):
    store.save_records("household", [HOUSEHOLD] * 3)
    bodies = raw(store, "SELECT id, body FROM records ORDER BY id")
    store.change_passphrase("Enumerator One", "a brand new passphrase", kdf=crypto.fast_kdf_for_tests())
    assert raw(store, "SELECT id, body FROM records ORDER BY id") == bodies
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE)
    s = Store.open(tmp_path / "profile")
    s.unlock("a brand new passphrase")
    assert len(list(s.list_records())) == 3
    s.close()


def test_recovery_key_opens_and_resets_a_forgotten_passphrase(store, tmp_path):
    rid = store.save_record("household", HOUSEHOLD)
    recovery = store.recovery_key
    store.close()
    s = Store.open(tmp_path / "profile")
    s.unlock_with_recovery_key(recovery)
    s.change_passphrase("Enumerator One", "remembered this time", kdf=crypto.fast_kdf_for_tests())
    s.close()
    s = Store.open(tmp_path / "profile")
    s.unlock("remembered this time")
    assert s.get_record(rid).fields == HOUSEHOLD
    s.close()


def test_a_recovery_key_of_another_profile_is_refused(make_store, tmp_path):
    make_store("a")
    b = make_store("b")
    with pytest.raises(WrongRecoveryKey):
        Store.open(tmp_path / "a").unlock_with_recovery_key(b.recovery_key)


def test_new_recovery_key_retires_the_old_one(store, tmp_path):
    old = store.recovery_key
    new = store.new_recovery_key()
    with pytest.raises(WrongRecoveryKey):
        Store.open(tmp_path / "profile").unlock_with_recovery_key(old)
    Store.open(tmp_path / "profile").unlock_with_recovery_key(new)


def test_create_refuses_an_existing_profile(store, tmp_path):
    with pytest.raises(ProfileExists):
        Store.create(tmp_path / "profile", user="x", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())


def test_wipe_crypto_erases(store, tmp_path):
    store.save_record("household", HOUSEHOLD)
    recovery = store.recovery_key
    keyring_bytes = (tmp_path / "profile" / "keyring.json").read_bytes()
    store.wipe()
    assert not (tmp_path / "profile" / "keyring.json").exists()
    with pytest.raises(ProfileWiped):
        Store.open(tmp_path / "profile")
    # Even an attacker who kept nothing but the database and knows the passphrase
    # and recovery key cannot get the data key back: it lived only in the keyring.
    assert keyring_bytes not in (tmp_path / "profile" / "store.db").read_bytes()
    del recovery


def test_check_passphrase_changes_nothing(store):
    from storage.errors import WrongPassphrase
    from tests.conftest import PASSPHRASE

    store.check_passphrase(store.user_name, PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="not changed"):
        store.check_passphrase(store.user_name, "another synthetic passphrase")
    assert store.unlocked


def test_files_are_private_to_the_owner(store, tmp_path):
    store.save_record("household", {"n": 1})
    for name in ("keyring.json", "store.db"):
        assert (tmp_path / "profile" / name).stat().st_mode & 0o077 == 0

