"""Helpers for the hub console's tests: devices and submissions put straight into a real Hub,
web accounts, and a browser-like HTTP session (cookies, CSRF fields) over a live server."""
from __future__ import annotations

import http.cookiejar
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from sync.bundle import Identity
from sync.server.console import auth

PASSWORD = "synthetic password 1"


def uuid7_at(ms: int, n: int) -> str:
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (n & 0xFFF) << 64 | 0b10 << 62 | int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def add_device(hub, device_id: str, team: str) -> None:
    keys = Identity.generate().public().to_json()
    hub.db.execute("INSERT INTO devices (device_id, team, sign_key, box_key, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                   (device_id, team, keys["sign"], keys["box"], int(time.time() * 1000)))


_seqs: dict[str, int] = {}


def submit(hub, device_id: str, team: str, records: list[dict], *, form_id: str = "household_needs",
           at_ms: int | None = None, kind: str = "submission") -> list[str]:
    """Push finished submissions (field dicts) as the device's changes; returns their ids."""
    at_ms = at_ms or int(time.time() * 1000)
    changes, ids = [], []
    for i, fields in enumerate(records):
        seq = _seqs[device_id] = _seqs.get(device_id, 0) + 1
        rid = uuid7_at(at_ms + i, i)
        ids.append(rid)
        changes.append({"device_id": device_id, "seq": seq, "record_id": rid, "kind": kind, "form_id": form_id,
                        "form_version": "2026.11.1", "hlc": f"{((at_ms + i) << 16):016x}", "deleted": False, "bases": {},
                        "fields": fields})
    hub.push(device_id, team, changes)
    return ids


def edit(hub, device_id: str, team: str, rid: str, fields: dict, *, form_id: str = "household_needs") -> None:
    seq = _seqs[device_id] = _seqs.get(device_id, 0) + 1
    hub.push(device_id, team, [{"device_id": device_id, "seq": seq, "record_id": rid, "kind": "submission", "form_id": form_id,
                                "form_version": "2026.11.1", "hlc": f"{((int(time.time() * 1000) + 60_000) << 16) + seq:016x}",
                                "deleted": False, "bases": {}, "fields": fields}])


def add_user(hub, name: str, role: str, teams: list[str] | None = None, password: str = PASSWORD) -> None:
    auth.add_user(hub.db, name=name, role=role, teams=teams, password=password)


class Browser:
    """Cookies kept, redirects followed, forms' CSRF fields read back from the pages: what a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.last = ""

    def request(self, method: str, path: str, data: dict | None = None, *, raw: bytes | None = None,
                headers: dict | None = None) -> tuple[int, str, bytes, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else raw
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as resp:
                content = resp.read()
                return resp.status, resp.url, content, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read(), dict(exc.headers)

    def get(self, path: str):
        status, url, content, headers = self.request("GET", path)
        self.last = content.decode("utf-8", "replace")
        return status, url, self.last

    def post(self, path: str, data: dict):
        status, url, content, headers = self.request("POST", path, data)
        self.last = content.decode("utf-8", "replace")
        return status, url, self.last

    def csrf(self, page: str | None = None) -> str:
        m = re.search(r'name="csrf" value="([^"]*)"', page if page is not None else self.last)
        return m.group(1) if m else ""

    def login(self, name: str, password: str = PASSWORD):
        self.get("/console/login")
        return self.post("/console/login", {"name": name, "password": password, "csrf": self.csrf(), "next": "/console/"})

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


PROTECTION = "protection_followup"


def publish_sensitive_form(hub, folder) -> str:
    """Publish a small form with sensitive answers (a question, and a group of them) to every team."""
    from pathlib import Path

    import forms
    from sync.protocol import PublishedForm
    from tests.unit.forms.xlsform import write_xlsform

    head = ["type", "name", "label::English (en)", "label::Українська (uk)", "sensitive", "constraint"]
    survey = [head,
              ["select_one yn", "consent", "Consent given?", "Згоду надано?", "", ""],
              ["text", "settlement", "Settlement", "Населений пункт", "", ""],
              ["integer", "hh_size", "Household size", "Розмір домогосподарства", "no", ". > 0 and . < 30"],
              ["select_multiple need", "needs", "Needs", "Потреби", "", ""],
              ["text", "concern", "Protection concern", "Проблема захисту", "yes", ""],
              ["begin_group", "contact", "Contact", "Контакт", "true", ""],
              ["text", "phone", "Phone", "Телефон", "", ""],
              ["end_group", "", "", "", "", ""]]
    choices = [["list_name", "name", "label::English (en)", "label::Українська (uk)"],
               ["yn", "yes", "Yes", "Так"], ["yn", "no", "No", "Ні"],
               ["need", "food", "Food", "Їжа"], ["need", "water", "Water", "Вода"], ["need", "heating", "Heating", "Опалення"]]
    settings = [["form_id", "version", "form_title", "default_language", "form_title_translation::Українська (uk)"],
                [PROTECTION, "2026.12.1", "Protection follow-up", "English (en)", "Подальший супровід із захисту"]]
    path = write_xlsform(Path(folder) / f"{PROTECTION}.xlsx", survey, choices, settings)
    form = forms.load_form(path)
    hub.publish_form(PublishedForm.make(form.form_id, form.version, form.title, path.read_bytes(), {}))
    return form.form_id
