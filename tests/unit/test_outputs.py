"""rules/outputs.py: where a readable file may go, and that it lands owner-only, whole or not at all."""
from __future__ import annotations

import os
import stat

import pytest

from rules import outputs


class Refused(Exception):
    pass


def check(out, protected, **kw):
    return outputs.checked_destination(out, protected, error=Refused, refusal="keep it outside", **kw)


def test_a_file_beside_the_protected_folder_is_accepted(tmp_path):
    (tmp_path / "profile").mkdir()
    assert check(tmp_path / "pairs.csv", tmp_path / "profile") == tmp_path / "pairs.csv"


@pytest.mark.parametrize("where", ["profile/pairs.csv", "profile/sub/deeper/pairs.csv"])
def test_inside_the_protected_folder_is_refused_at_any_depth(tmp_path, where):
    (tmp_path / "profile" / "sub" / "deeper").mkdir(parents=True)
    with pytest.raises(Refused, match="keep it outside"):
        check(tmp_path / where, tmp_path / "profile")


def test_a_symlink_into_the_protected_folder_is_seen_through(tmp_path):
    (tmp_path / "profile").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "profile")
    with pytest.raises(Refused, match="keep it outside"):
        check(tmp_path / "link" / "pairs.csv", tmp_path / "profile")
    # and the protected folder named through a link too
    with pytest.raises(Refused, match="keep it outside"):
        check(tmp_path / "profile" / "pairs.csv", tmp_path / "link")


def test_a_sibling_whose_name_starts_like_the_protected_folder_is_not_inside(tmp_path):
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile-exports").mkdir()
    assert check(tmp_path / "profile-exports" / "a.csv", tmp_path / "profile")


def test_missing_folder_a_folder_and_an_unwritable_folder_say_what_to_do(tmp_path):
    with pytest.raises(Refused, match="does not exist"):
        check(tmp_path / "nowhere" / "a.csv", None)
    with pytest.raises(Refused, match="it is a folder; give a file name"):
        check(tmp_path, None)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # root writes anywhere: the check has nothing to refuse
        assert check(locked / "a.csv", None, writable=True)
    else:
        with pytest.raises(Refused, match="not writable"):
            check(locked / "a.csv", None, writable=True)


def test_text_lands_owner_only_and_replaces_the_old_file_whole(tmp_path):
    out = tmp_path / "pairs.csv"
    out.write_text("old")
    os.chmod(out, 0o644)
    with outputs.owner_only_text(out) as f:
        f.write("ref_a,ref_b\n")
        assert out.read_text() == "old"  # nothing visible until the block ends
    assert out.read_text() == "ref_a,ref_b\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        with outputs.owner_only_path(out) as tmp:
            assert stat.S_IMODE(tmp.stat().st_mode) == 0o600
            tmp.write_bytes(b"half")
            raise OSError(28, "disk full")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_a_writer_that_widens_the_mode_is_narrowed_again(tmp_path):
    out = tmp_path / "book.xlsx"
    with outputs.owner_only_path(out) as tmp:
        tmp.write_bytes(b"x")
        os.chmod(tmp, 0o666)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
