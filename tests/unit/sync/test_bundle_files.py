"""A bundle file that is not there, or a stick that is not mounted, is named as such (typed errors)."""
from __future__ import annotations

import pytest

from sync.errors import BundleFileError, BundleFileMissing, BundleFolderMissing
from sync.files import read_bundle_file, write_atomically


def test_reading_names_a_missing_file_a_missing_folder_and_a_folder(tmp_path):
    with pytest.raises(BundleFileMissing) as err:
        read_bundle_file(tmp_path / "a.fbb")
    assert err.value.path == str(tmp_path / "a.fbb") and "There is no file at" in str(err.value)
    with pytest.raises(BundleFolderMissing) as err:
        read_bundle_file(tmp_path / "STICK" / "a.fbb")
    assert err.value.folder == str(tmp_path / "STICK") and "mounted" in str(err.value)
    with pytest.raises(BundleFileError) as err:
        read_bundle_file(tmp_path)
    assert err.value.kind == "is_folder" and type(err.value) is BundleFileError


def test_writing_into_a_missing_folder_writes_nothing(tmp_path):
    with pytest.raises(BundleFolderMissing) as err:
        write_atomically(tmp_path / "STICK" / "a.fbb", b"x")
    assert err.value.action == "write" and "nothing was written" in str(err.value)
    assert not (tmp_path / "STICK").exists()


def test_export_to_a_stick_that_is_not_mounted_is_refused_before_sealing(laptops, tmp_path, monkeypatch):
    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    monkeypatch.setattr(a, "_request_bundle", lambda *a_, **k: pytest.fail("sealed for a folder that is not there"))
    with pytest.raises(BundleFolderMissing):
        a.export_bundle(tmp_path / "media" / "STICK" / "a.fbb")
    assert a.store.pending_count() == 1


def test_a_folder_without_bundles_is_a_clear_refusal(tmp_path):
    from sync.errors import SyncError
    from sync.files import bundle_paths

    (tmp_path / "notes.txt").write_text("not a bundle")
    with pytest.raises(SyncError, match="holds no .fbb bundle"):
        bundle_paths([str(tmp_path)])
