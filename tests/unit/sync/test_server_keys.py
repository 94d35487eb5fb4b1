"""Several server processes on one database (issue 19, item 2): the key file is made once even
when processes start together on an empty folder, and a process whose key file is not the one
the database's values were sealed with stops at start with a clear message."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.server.hub import KEYS_FILE, ServerKeys, ServerKeysMismatch
from sync_helpers import make_hub

ROOT = Path(__file__).resolve().parents[3]

_START = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from sync.server.hub import ServerKeys
start = float(sys.argv[3])
while time.time() < start:
    pass
keys = ServerKeys.load_or_create(Path(sys.argv[2]))
print(keys.server_id, keys.check_value())
"""


def test_processes_starting_together_on_an_empty_folder_all_end_with_the_same_keys(tmp_path):
    for attempt in range(3):
        folder = tmp_path / f"data{attempt}"
        start = time.time() + 2.0  # every process is spinning on the clock by then
        procs = [subprocess.Popen([sys.executable, "-c", _START, str(ROOT), str(folder), str(start)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
        seen = {out.strip() for out, _ in outs}
        on_disk = ServerKeys.load_or_create(folder)
        assert seen == {f"{on_disk.server_id} {on_disk.check_value()}"}
        assert [p.name for p in folder.iterdir()] == [KEYS_FILE]  # no temporary file left behind
        assert (folder / KEYS_FILE).stat().st_mode & 0o077 == 0


def test_a_process_with_another_key_file_is_stopped_at_start(tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_hub(tmp_path / "first", db)
    first.new_enroll_code("north")
    first.close()
    with pytest.raises(ServerKeysMismatch) as err:
        make_hub(tmp_path / "second", db)
    message = str(err.value)
    assert first.server_id in message and KEYS_FILE in message and "nothing was changed" in message
    assert "\n" not in message
    (tmp_path / "third").mkdir()
    (tmp_path / "third" / KEYS_FILE).write_bytes((tmp_path / "first" / KEYS_FILE).read_bytes())
    same = make_hub(tmp_path / "third", db)  # the same key file copied: starts
    same.close()


def test_a_database_from_before_the_record_is_checked_against_a_sealed_value(tmp_path, laptops, hub):
    a = laptops("a")
    a.store.save_record("household", {"members": 3})
    a.sync_now()
    hub.db.execute("DELETE FROM server_identity")  # as a database migrated from 0009 is
    db = f"sqlite:///{hub.settings.data_dir / 'server.db'}"
    with pytest.raises(ServerKeysMismatch):
        make_hub(tmp_path / "other", db)
    assert not hub.db.execute("SELECT 1 FROM server_identity")  # nothing was claimed by the wrong keys
    again = make_hub(hub.settings.data_dir)  # its own keys claim it
    assert again.db.execute("SELECT server_id FROM server_identity")[0][0] == hub.server_id
    again.close()


def test_copied_keys_read_the_same_file(tmp_path):
    keys = ServerKeys.load_or_create(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / KEYS_FILE).write_text((tmp_path / "a" / KEYS_FILE).read_text())
    assert ServerKeys.load_or_create(tmp_path / "b").check_value() == keys.check_value()
    assert json.loads((tmp_path / "a" / KEYS_FILE).read_text())["server_id"] == keys.server_id
