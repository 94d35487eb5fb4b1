"""Forms published at the hub reach the team's laptops by sync and by USB, sealed at rest."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import forms
from sync import protocol
from sync.errors import FormNotPublished
from tests.unit.forms.xlsform import write_xlsform

ROOT = Path(__file__).resolve().parents[3]
SURVEY = [["type", "name", "label::English (en)", "label::Українська (uk)"],
          ["text", "site_name", "Site", "Місце"],
          ["select_one_from_file places.csv", "place", "Place", "Населений пункт"]]


def workbook(tmp_path: Path, version: str = "1", form_id: str = "site_check", places: str = "kyiv,Kyiv\n") -> Path:
    folder = tmp_path / f"{form_id}-{version}"
    folder.mkdir(exist_ok=True)
    (folder / "places.csv").write_text("name,label\n" + places, encoding="utf-8")
    return write_xlsform(folder / f"{form_id}.xlsx", SURVEY,
                         settings=[["form_id", "version", "form_title"], [form_id, version, "Site check"]])


def published(path: Path) -> protocol.PublishedForm:
    form = forms.load_form(path)
    media = {name: (path.parent / name).read_bytes() for name in form.media}
    return protocol.PublishedForm.make(form.form_id, form.version, form.title, path.read_bytes(), media)


def test_a_published_form_reaches_the_laptop_once(tmp_path, laptops, hub):
    a = laptops("a")
    path = workbook(tmp_path)
    assert hub.publish_form(published(path)) is True
    assert hub.publish_form(published(path)) is False  # the same files again: nothing to do
    r = a.sync_now()
    assert r.forms_changed
    [got] = a.store.published_form_files()
    assert (got["form_id"], got["version"], got["title"]) == ("site_check", "1", "Site check")
    assert got["xlsx"] == path.read_bytes() and got["media"] == {"places.csv": b"name,label\nkyiv,Kyiv\n"}
    form = forms.load_form_bytes(got["xlsx"], name="site_check.xlsx", media=got["media"])
    assert [c.name for c in form.question("place").choices] == ["kyiv"]
    assert a.sync_now().forms_changed is False
    # A laptop that holds the form is sent its catalogue entry but not its files again.
    _, reply = hub.reply_bundle(a.store.device_id, held_forms=a.store.published_forms())
    assert [e.form_id for e in reply.catalogue[1]] == ["site_check"] and reply.forms == []


def test_a_new_version_replaces_the_old_and_a_version_means_one_content(tmp_path, laptops, hub):
    a = laptops("a")
    hub.publish_form(published(workbook(tmp_path, "1")))
    a.sync_now()
    (tmp_path / "other").mkdir()
    with pytest.raises(FormNotPublished, match="Raise the version"):
        hub.publish_form(published(workbook(tmp_path / "other", "1", places="lviv,Lviv\n")))
    hub.publish_form(published(workbook(tmp_path, "2", places="lviv,Lviv\n")))
    assert a.sync_now().forms_changed
    [got] = a.store.published_form_files()
    assert got["version"] == "2" and got["media"]["places.csv"].endswith(b"lviv,Lviv\n")


def test_team_scope_and_withdrawal(tmp_path, laptops, hub):
    a, b = laptops("a", team="team-a"), laptops("b", team="team-b")
    hub.publish_form(published(workbook(tmp_path)), team="team-b")
    a.sync_now(); b.sync_now()
    assert a.store.published_forms() == {} and list(b.store.published_forms()) == ["site_check"]
    hub.publish_form(published(workbook(tmp_path, form_id="pdm_local")))  # every team
    a.sync_now()
    assert list(a.store.published_forms()) == ["pdm_local"]
    hub.withdraw_form("site_check", team="team-b")
    with pytest.raises(FormNotPublished, match="not published"):
        hub.withdraw_form("site_check", team="team-b")
    assert b.sync_now().forms_changed
    assert list(b.store.published_forms()) == ["pdm_local"]
    assert [(f["form_id"], f["team"]) for f in hub.published_forms()] == [("pdm_local", "*")]


def test_forms_travel_in_the_usb_return_bundle_and_an_older_catalogue_is_ignored(tmp_path, laptops, hub):
    a = laptops("a")
    hub.publish_form(published(workbook(tmp_path, "1")))
    old, _ = hub.reply_bundle(a.store.device_id)
    hub.publish_form(published(workbook(tmp_path, "2", places="odesa,Odesa\n")))
    new, _ = hub.reply_bundle(a.store.device_id)
    (tmp_path / "new.fbb").write_bytes(new)
    (tmp_path / "old.fbb").write_bytes(old)
    assert a.import_bundle(tmp_path / "new.fbb").forms_changed
    assert a.import_bundle(tmp_path / "old.fbb").forms_changed is False  # carried late: must not roll back
    [got] = a.store.published_form_files()
    assert got["version"] == "2"


def test_published_forms_are_sealed_on_the_laptop_and_at_the_hub(tmp_path, laptops, hub, make_store):
    canary = "Canaryvillage-Кенаркове"
    a = laptops("a")
    hub.publish_form(published(workbook(tmp_path, places=f"cv,{canary}\n")))
    a.sync_now()
    a.store.close()
    hub.close()
    needles = [canary.encode(), canary.encode("utf-16-le"), "Кенаркове".encode()]
    written = [p for p in (tmp_path / "a").rglob("*") if p.is_file()]
    written += [p for p in Path(hub.settings.data_dir).rglob("*") if p.is_file()]
    assert written
    for p in written:
        data = p.read_bytes()
        assert not any(n in data for n in needles), p


# --- the reply is checked strictly -------------------------------------------------------------
def _reply_with(entry: dict, package: dict | None = None) -> bytes:
    return json.dumps({"v": 1, "type": "reply", "acked": 0, "changes": [], "cursor": 0,
                       "catalogue": {"seq": 3, "forms": [entry]}, "forms": [package] if package else []}).encode()


def test_a_reply_whose_form_files_do_not_match_is_refused():
    good = protocol.PublishedForm.make("f1", "1", "T", b"workbook", {"a.csv": b"name\nx\n"})
    assert protocol.SyncReply.decode(_reply_with(good.entry(), good.package())).forms[0].xlsx == b"workbook"
    tampered = dict(good.package(), xlsx="d29ya2Jvb2w=")  # b"workbool": one letter changed
    with pytest.raises(protocol.ProtocolError, match="do not match their digest"):
        protocol.SyncReply.decode(_reply_with(good.entry(), tampered))
    escape = dict(good.package(), media={"../../.bashrc": "eA=="})
    with pytest.raises(protocol.ProtocolError, match="plain file name"):
        protocol.SyncReply.decode(_reply_with(good.entry(), escape))
    other = protocol.PublishedForm.make("f2", "1", "T", b"other", {})
    with pytest.raises(protocol.ProtocolError, match="does not list"):
        protocol.SyncReply.decode(_reply_with(good.entry(), other.package()))
    with pytest.raises(protocol.ProtocolError, match="form id"):
        protocol.SyncReply.decode(_reply_with(dict(good.entry(), form_id="../x")))


# --- the hub's commands --------------------------------------------------------------------------
def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_publish_form_commands(tmp_path):
    data = tmp_path / "hub"
    assert run("server", "init", "--data", str(data)).returncode == 0
    broken = write_xlsform(tmp_path / "broken.xlsx", [["type", "name", "label"], ["integr", "age", "Age"]],
                           settings=[["form_id", "version"], ["broken", "1"]])
    r = run("server", "publish-form", "--data", str(data), str(broken))
    assert r.returncode == 1 and "integr" in r.stderr and "Traceback" not in r.stderr
    path = workbook(tmp_path)
    r = run("server", "publish-form", "--data", str(data), str(path), "--team", "east")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"form_id": "site_check", "version": "1", "team": "east",
                                    "files": ["(workbook)", "places.csv"], "published": True}
    r = run("server", "forms", "--data", str(data))
    [row] = [json.loads(line) for line in r.stdout.splitlines()]
    assert (row["form_id"], row["team"], row["version"]) == ("site_check", "east", "1")
    r = run("server", "withdraw-form", "--data", str(data), "site_check")
    assert r.returncode == 1 and "not published to every team" in r.stderr
    assert run("server", "withdraw-form", "--data", str(data), "site_check", "--team", "east").returncode == 0
    assert run("server", "forms", "--data", str(data)).stdout == ""
