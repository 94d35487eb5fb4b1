"""``python main.py gui --screenshots DIR``: every main screen, with synthetic demo data, as PNGs.

A throwaway demo profile (cheap key derivation, synthetic values only) is made in a
temporary folder, driven through the real screens at 1366x768 in English and
Ukrainian, and rendered to DIR/<lang>-<screen>.png.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from storage import Store, crypto, hlc
from storage.errors import WrongPassphrase
from sync.client import SyncState, normalise_server_url
from sync.errors import BundleFolderMissing, EnrollmentRefused
from sync.merge import merge_change
from sync.protocol import form_digest

from . import enroll, i18n
from .app import application, make_window
from .context import Prefs
from .errors import message_for
from .screens.unlock import UnlockScreen
from .screens.wizard import WizardScreen

SIZE = (1366, 768)
DEMO_PASSPHRASE = "demo passphrase for screenshots"
DEMO_OTHER_LAPTOP = "5e1f0a9c3b7d2e48"  # a synthetic device id, shaped like a real one

DEMO = [
    ("household_needs", {"consent": "yes", "assessment_date": "2026-03-02", "oblast": "UA63", "raion": "UA6312",
                         "hromada": "UA6312027", "settlement": "Vilkhivka", "displacement_status": "idp",
                         "months_displaced": 14, "hh_size": 3,
                         "members": [{"member_age": 41, "member_sex": "female", "member_disability": "no",
                                      "member_relation": "head"},
                                     {"member_age": 12, "member_sex": "male", "member_disability": "no",
                                      "member_relation": "child"},
                                     {"member_age": 8, "member_sex": "female", "member_disability": "yes",
                                      "member_relation": "child"}],
                         "priority_needs": "food shelter_repair", "shelter_condition": "light",
                         "followup_consent": "yes"}),
    ("household_needs", {"consent": "yes", "assessment_date": "2026-03-02", "oblast": "UA12", "raion": "UA1202",
                         "hromada": "UA1202001", "settlement": "Novooleksandrivka", "displacement_status": "returnee",
                         "hh_size": 5}),
    ("complaints_feedback", {"received_date": "2026-03-01", "channel": "hotline", "feedback_type": "question",
                             "urgency": "low"}),
    ("site_assessment", {"site_name": "Collective centre No. 4", "assessment_date": "2026-02-27"}),
]


def _wait(predicate, ms: int = 10000) -> None:
    """Run the event loop until ``predicate()`` holds (polled every 10 ms), at most ``ms``."""
    if predicate():
        return
    loop = QEventLoop()
    elapsed = QElapsedTimer()
    elapsed.start()
    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(lambda: loop.quit() if predicate() or elapsed.elapsed() > ms else None)
    poll.start()
    loop.exec()
    poll.stop()
    if not predicate():
        raise TimeoutError("a screen did not finish loading")


# Synthetic households for the Registry screen: one man written in two scripts, his twin
# brother (never paired), a day/month swap in an old transliteration, and a neighbour.
REGISTRY_HOUSEHOLDS = [
    {"external_ref": "N-0141", "head_name": "Шевченко Олександр Петрович", "dob": "1975-03-14",
     "phone": "+380671234567", "tax_number": "2746600071", "settlement": "Буча", "hromada": "Бучанська",
     "raion": "Бучанський", "oblast": "Київська", "hh_size": 4, "team": "north", "card_code": "7KQ4-M2X9P"},
    {"external_ref": "S-2207", "head_name": "Aleksandr Shevchenko", "dob": "1975-03-14",
     "phone": "+380671234567", "tax_number": "2746600071", "settlement": "Bucha", "hh_size": 3, "team": "south"},
    {"external_ref": "N-0142", "head_name": "Шевченко Андрій Петрович", "dob": "1975-03-14",
     "phone": "+380671234567", "settlement": "Буча", "hh_size": 2, "team": "north"},
    {"external_ref": "E-0310", "head_name": "Бондаренко Сергій Іванович", "dob": "1980-05-06",
     "phone": "+380501112233", "settlement": "Ірпінь", "hh_size": 5, "team": "east"},
    {"external_ref": "E-0388", "head_name": "Bondarenko Sergii", "dob": "1980-06-05",
     "phone": "+380501112233", "settlement": "Irpin", "hh_size": 5, "team": "east"},
    {"external_ref": "E-0391", "head_name": "Бондаренко Тетяна Іванівна", "dob": "1952-11-02",
     "phone": "+380501112233", "settlement": "Ірпінь", "hh_size": 1, "team": "east"},
]


def demo_published_form() -> dict:
    """A small form "published by the hub" (built in memory), with a repeat the enumerator adds to."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (["type", "name", "label::English (en)", "label::Українська (uk)"],
                ["text", "site", "Distribution point", "Пункт розподілу"],
                ["begin_repeat", "kit", "Kit handed over", "Виданий набір"],
                ["integer", "blankets", "Blankets", "Ковдри"],
                ["end_repeat"],
                ["image", "handover_photo", "Photo of the handover", "Фото видачі"]):
        ws.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "form_title_translation::Українська (uk)"])
    settings.append(["winter_kits", "2026.12.1", "Winter kits check", "Перевірка зимових наборів"])
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = buf.getvalue()
    return {"form_id": "winter_kits", "version": "2026.12.1", "title": "Winter kits check", "xlsx": xlsx, "media": {},
            "digest": form_digest(xlsx, {})}


def demo_list_form():
    """A form with a ranking and a field boundary (built in memory), for the list editors' shot."""
    import io

    import openpyxl

    from forms import load_form_bytes

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (["type", "name", "label::English (en)", "label::Українська (uk)"],
                ["rank need", "priorities", "Rank the household's needs", "Упорядкуйте потреби домогосподарства"],
                ["geoshape", "plot", "Boundary of the garden plot", "Межа присадибної ділянки"],
                ["geotrace", "route", "Safe route to the water point", "Безпечний шлях до точки водопостачання"]):
        ws.append(row)
    choices = wb.create_sheet("choices")
    for row in (["list_name", "name", "label::English (en)", "label::Українська (uk)"],
                ["need", "water", "Drinking water", "Питна вода"], ["need", "food", "Food", "Їжа"],
                ["need", "heating", "Heating", "Опалення"], ["need", "shelter", "Shelter repair", "Ремонт житла"]):
        choices.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append(["plots", "1", "Garden plots", "English (en)"])
    buf = io.BytesIO()
    wb.save(buf)
    return load_form_bytes(buf.getvalue(), name="plots.xlsx")


def _list_editors_shot(w, out: Path, lang: str) -> Path:
    """rank and geoshape/geotrace filled in part: a ranking, a shape and a line still one point short."""
    from .screens.form import FormScreen

    form = demo_list_form()
    screen = FormScreen(w.ctx, form, answers={"priorities": "heating water food shelter",
                                              "plot": "50.4501 30.5234 170 4; 50.4503 30.5241 171 3; "
                                                      "50.4497 30.5243 170 5; 50.4501 30.5234 170 4"})
    screen.lang_box.setCurrentIndex(max(0, screen.lang_box.findData("Українська (uk)" if lang == "uk" else "English (en)")))
    screen.resize(*SIZE)
    screen.show()
    route = screen.rows[("route", ())].points
    route.entry.setText("50.4505 30.5230")
    route.add_typed()
    route.entry.setText("504.509 30.5231")
    route.add_typed()  # refused in words; the typed point stays, to be corrected
    screen.rows[("priorities", ())].rank.view.setCurrentRow(0)
    screen.rows[("priorities", ())].rank.view.setFocus()
    path = _grab(screen, out, "form-rank-and-shapes", lang)
    screen.close()
    return path


DEMO_ROUND = {
    "round_id": "WINTER-2026", "name": {"en": "Winter kits 2026", "uk": "Зимові набори 2026"},
    "start": "2026-11-01", "end": "2027-03-31", "eligibility": "${hh_size} >= 1",
    "items": [
        {"code": "FOOD", "label": {"en": "Food kit", "uk": "Продуктовий набір"}, "unit": "kit",
         "entitlement": "if(${hh_size} > 4, 2, 1)"},
        {"code": "BLANKET", "label": {"en": "Blanket", "uk": "Ковдра"}, "unit": "pcs", "entitlement": "${hh_size}"},
        {"code": "HYGIENE", "label": {"en": "Hygiene kit", "uk": "Гігієнічний набір"}, "unit": "kit",
         "entitlement": "if(${members_disabled} > 0, 1, 0)", "low_stock": 5},
    ],
}
# Synthetic households (no real person), each with a card code made from a fixed body.
DEMO_HOUSEHOLDS = [
    ("7KQ2M4XD", {"external_ref": "VLK-0012", "head_name": "Шевченко Олена Петрівна", "hh_size": 5, "members_disabled": 1,
                  "settlement": "Вільхівка", "hromada": "Вільхівська", "oblast": "Харківська", "dob": "1983-04-11"}),
    ("3PW8ZR6N", {"external_ref": "VLK-0047", "head_name": "Коваленко Сергій Іванович", "hh_size": 3, "members_disabled": 0,
                  "settlement": "Вільхівка", "hromada": "Вільхівська", "oblast": "Харківська", "dob": "1969-09-30"}),
    ("9TB4HJ2C", {"external_ref": "VLK-0103", "head_name": "Шевченко Іван Миколайович", "hh_size": 2, "members_disabled": 0,
                  "settlement": "Кутузівка", "hromada": "Вільхівська", "oblast": "Харківська", "dob": "1951-12-02"}),
    ("5MX7QD3K", {"external_ref": "VLK-0150", "head_name": "Shevchenko Oleksandr", "hh_size": 4, "members_disabled": 0,
                  "settlement": "Вільхівка", "hromada": "Вільхівська", "oblast": "Харківська", "dob": "1990-06-18"}),
]


def demo_card(body: str) -> str:
    from distributions.cards import check_symbol, format_code

    return format_code(body + check_symbol(body))


def make_demo_desk(store: Store) -> None:
    """A round with stock, four households with cards, and one served at another desk."""
    import datetime as dt
    import json

    from distributions import receipts, rounds, stock
    from sync.protocol import PublishedForm

    receipts.ensure_indexes(store)
    ids = [store.save_record("household", {**fields, "card_code": demo_card(body)}) for body, fields in DEMO_HOUSEHOLDS]
    rnd = rounds.parse_round(json.dumps(DEMO_ROUND).encode())
    p = PublishedForm.make(rnd.published_id, rnd.version, rnd.title(), b"", {rounds.FILE: rnd.source})
    seq = store._meta_int("forms_catalogue_seq", 0) + 1
    store.receive_forms(seq, {**store.published_forms(), p.form_id: p.digest},
                        [{"form_id": p.form_id, "version": p.version, "digest": p.digest, "title": p.title,
                          "xlsx": p.xlsx, "media": p.media}])
    for item, qty in (("FOOD", 120), ("BLANKET", 400), ("HYGIENE", 9)):
        stock.move(store, rnd, type_="receive", item=item, qty=qty, waybill="WB-2026-114")
    # Two households served earlier at another desk (as a sync brings its receipts).
    when = dt.datetime(2026, 11, 27, 9, 42, tzinfo=dt.timezone.utc)
    for hid in ids[2:]:
        household = store.get_record(hid)
        due = rounds.entitlement(rnd, household.fields)
        store.save_record("receipt", {"round": rnd.round_id, "household": hid,
                                      "hh_round": receipts.hh_round_key(rnd.round_id, hid), "items": due,
                                      "entitlement": due, "collector": "head", "desk": DEMO_OTHER_LAPTOP,
                                      "team": "kharkiv-2", "user": "Demo Desk Two", "at": when.isoformat()})
        when += dt.timedelta(minutes=3)


def demo_photo(width: int = 480, height: int = 320) -> bytes:
    """A synthetic picture (stacked boxes under a winter sky) as PNG, drawn without a camera or
    a person in it. Written by hand with zlib: the demo profile is made before any window."""
    import struct
    import zlib

    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            if y < height * 0.55:
                sky = 170 + y * 60 // height
                px = (sky - 40, sky - 10, 235)
            else:
                px = (205, 210, 215)  # snow
            for bx, by, bw, bh in ((90, 130, 105, 85), (210, 150, 110, 60), (225, 100, 80, 50)):
                if bx <= x < bx + bw and by <= y < by + bh:
                    edge = x in (bx, bx + bw - 1) or y in (by, by + bh - 1)
                    px = (90, 60, 30) if edge else (176, 132, 80)
            grain = (x * 7 + y * 13 + (x * y) % 11) % 9 - 4  # a little texture, as a camera's picture has
            row += bytes(min(255, max(0, c + grain)) for c in px)
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


def make_demo_photo_record(store: Store) -> str:
    """A finished 'Winter kits check' with a photo of the handover (sealed attachment parts)."""
    from exporting import save_submission
    from forms import Session, load_form_bytes
    from forms.finalise import finalised

    published = demo_published_form()
    form = load_form_bytes(published["xlsx"], name="winter_kits.xlsx", media={})
    s = Session(form, {"site": "Вільхівка, school gym"}, device_id=store.device_id, username=store.user_name or "")
    k = s.add_repeat("kit")
    s.set("blankets", 4, index=k)
    s.attach("handover_photo", demo_photo(), "handover.png")
    return save_submission(store, finalised(s))


def make_demo_profile(directory: Path) -> None:
    store, _ = Store.create(directory, user="Demo Enumerator", passphrase=DEMO_PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    make_demo_desk(store)  # first, so the hub has it all: only the edit below waits to sync
    synced = max((c.seq for c in store.pending_changes()), default=0)
    ids = [store.save_record("submission", fields, form_id=form_id, form_version="2026.11.1") for form_id, fields in DEMO]
    store.save_record("draft", {"received_date": "2026-03-03", "channel": "in_person"}, form_id="complaints_feedback",
                      form_version="2026.11.1")
    store.add_user("Demo Team Lead", DEMO_PASSPHRASE + " 2", kdf=crypto.fast_kdf_for_tests())
    store.acknowledge(synced + len(ids))  # the hub has the records as first saved ...
    store.edit_record(ids[0], {"months_displaced": 15})  # ... and not this edit yet
    # One value that lost a concurrent edit from another (synthetic) laptop, for the conflicts list.
    rec = store.get_record(ids[0])
    ours = rec.clocks["settlement"].split("@")[0]
    older = hlc.encode(hlc.decode(ours) - (60_000 << 16))
    store.apply_changes([{"device_id": DEMO_OTHER_LAPTOP, "seq": 1, "record_id": ids[0], "kind": "submission",
                          "hlc": older, "fields": {"settlement": "Vilkhivka village"}, "author": "Demo Team Lead",
                          "form_id": "household_needs",
                          "form_version": "2026.11.1"}], merge=merge_change)
    # ... and a later edit from that laptop, which it made having seen ours.
    rec = store.get_record(ids[0])
    seen = rec.clocks["hh_size"]
    later = hlc.encode(hlc.decode(seen.split("@")[0]) + (90_000 << 16))
    store.apply_changes([{"device_id": DEMO_OTHER_LAPTOP, "seq": 2, "record_id": ids[0], "kind": "submission",
                          "hlc": later, "fields": {"hh_size": 4}, "bases": {"hh_size": seen}, "author": "Demo Team Lead",
                          "form_id": "household_needs", "form_version": "2026.11.1"}], merge=merge_change)
    published = demo_published_form()
    store.receive_forms(2, {**store.published_forms(), published["form_id"]: published["digest"]}, [published])
    make_demo_photo_record(store)
    from distributions import registry

    registry.ensure_indexes(store)
    store.save_records("household", [{**h, "import_key": "ref:" + h["external_ref"]} for h in REGISTRY_HOUSEHOLDS])
    store.close()


def _grab(window, out: Path, name: str, lang: str) -> Path:
    for _ in range(3):  # a wrapped label that grows takes a few passes of layout to settle
        QCoreApplication.processEvents()
    path = out / f"{lang}-{name}.png"
    window.grab().save(str(path))
    return path


def _grab_photo_views(w, out: Path, lang: str) -> list[Path]:
    from .context import form_or_none
    from .media_view import ImageDialog
    from .record_view import RecordDialog

    with w.ctx.tasks.store_lock:
        record = next(r for r in w.store.list_records("submission", form_id="winter_kits"))
        history = w.store.audit_entries(record.id)
    form = form_or_none(w.ctx, "winter_kits")
    dialog = RecordDialog(record, history, form, lang, w.store.device_id,
                          "Перевірка зимових наборів" if lang == "uk" else "Winter kits check", parent=w, ctx=w.ctx)
    dialog.show()
    tile = dialog.files.tiles[0]
    _wait(lambda: tile.thumbnail is not None)
    QCoreApplication.processEvents()
    shots = [out / f"{lang}-record-photo.png", out / f"{lang}-photo-view.png"]
    dialog.grab().save(str(shots[0]))
    tile.larger.click()
    _wait(lambda: isinstance(getattr(tile, "dialog", None), ImageDialog))
    QCoreApplication.processEvents()
    tile.dialog.grab().save(str(shots[1]))
    tile.dialog.close()
    dialog.close()
    return shots


def _camera_shots(w, out: Path, lang: str) -> list[Path]:
    """A photo from the laptop's camera: the live picture with the camera chooser, then the still
    with Use this photo / Retake. The picture comes from a source that shows the demo photo
    (gui/camera.py: StillSource); no camera is used."""
    import sys

    from PySide6.QtGui import QImage

    from .camera import CameraDialog, StillSource, camera_problem, multimedia_loaded

    if getattr(sys, "frozen", False) and not multimedia_loaded():
        # packaging/build.sh runs these in the package: the camera's modules must have been kept.
        raise RuntimeError("this package has no camera modules (QtMultimedia): see build.spec")
    camera_problem()  # and Qt's multimedia plugin asked for the cameras (none where this runs)

    source = StillSource(QImage.fromData(demo_photo(640, 480)), ["Integrated Camera", "USB 2.0 Camera"])
    dialog = CameraDialog(source, parent=w)
    dialog.show()
    shots = [_grab(dialog, out, "camera", lang)]
    dialog.take()
    _wait(lambda: dialog.pages.currentIndex() == 1)
    shots.append(_grab(dialog, out, "camera-still", lang))
    dialog.reject()
    dialog.deleteLater()
    return shots


def _registration_form_shots(w, out: Path, lang: str) -> list[Path]:
    """The built-in registration form filled in for a man already on the list, then the question it asks."""

    form = w.open_form("household_registration")
    form.lang_box.setCurrentIndex(max(0, form.lang_box.findData("Українська (uk)" if lang == "uk" else "English (en)")))
    for name, inst, value in (("consent", (), "yes"), ("consent_date", (), "2026-11-27"),
                              ("consent_purpose", (), "registration"), ("head_name", (), "Bondarenko Serhii"),
                              ("head_dob", (), "1980-06-05"), ("phone", (), "+380501112233"), ("doc_type", (), "none"),
                              ("oblast", (), "UA63"), ("raion", (), "UA6314"), ("hromada", (), "UA6314003"),
                              ("settlement", (), "Зміїв"), ("hh_size", (), "1")):
        form.on_answered(name, inst, value)
        form.rows[(name, inst)].load_value()
    form.scroll.ensureWidgetVisible(form.rows[("head_dob", ())], 0, 200)
    shots = [_grab(w, out, "registration-form", lang)]
    assert not form.session.errors(), form.session.errors()
    form.on_finalise_clicked()
    shots.append(_grab_likely_duplicate(form, out, "registration-likely-duplicate", lang))
    w.close_form()
    return shots


def _grab_likely_duplicate(parent, out: Path, name: str, lang: str) -> Path:
    """The question a registration asks about a likely duplicate, once it shows; answered "Do not register"."""
    from PySide6.QtWidgets import QMessageBox

    _wait(lambda: parent.findChild(QMessageBox, "likelyDuplicate") is not None)
    box = parent.findChild(QMessageBox, "likelyDuplicate")
    QCoreApplication.processEvents()
    path = out / f"{lang}-{name}.png"
    box.grab().save(str(path))
    box.done(QMessageBox.StandardButton.No)
    return path

def render_all(out: Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    app = application()
    shots: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in i18n.LANGUAGES:
            i18n.install(app, lang)
            # first run
            Prefs(Path(tmp) / f"new-{lang}").language = lang
            w = make_window(Path(tmp) / f"new-{lang}", kdf=crypto.fast_kdf_for_tests())
            w.resize(*SIZE)
            w.show()
            wiz = w.centralWidget()
            assert isinstance(wiz, WizardScreen)
            wiz.name.setText("Olena K.")
            wiz.pass1.setText("three calm words")
            wiz.pass2.setText("three calm words")
            shots.append(_grab(w, out, "wizard", lang))
            wiz.recovery.setText("R7QK-2MZD-XW9A-HT4R-PL3N-8VCE-J5TB-GK")  # an illustration, not a key
            wiz.pages.setCurrentIndex(1)
            shots.append(_grab(w, out, "wizard-recovery-key", lang))
            # Enrolling: an address typed without http://, and a code the hub did not accept.
            wiz.pages.setCurrentIndex(2)
            wiz.url.setText("hub.example:8765")
            wiz.code.setText("K7QP-3MZD-XW9A-HT4R")
            wiz.enroll_error.setText(enroll.failure_text(EnrollmentRefused("unknown code"),
                                                         normalise_server_url(wiz.url.text())))
            wiz.code.setFocus()
            shots.append(_grab(w, out, "wizard-enroll-wrong-code", lang))
            w.close()
            # an existing profile
            profile = Path(tmp) / f"demo-{lang}"
            make_demo_profile(profile)
            Prefs(profile).language = lang
            w = make_window(profile, kdf=crypto.fast_kdf_for_tests())
            w.resize(*SIZE)
            w.show()
            _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
            unlock = w.centralWidget()
            unlock.passphrase.setText("not the passphrase")
            unlock.on_unlock_clicked()
            _wait(lambda: unlock.failures == 1)
            shots.append(_grab(w, out, "unlock", lang))
            # A forgotten passphrase: the recovery key, then a new passphrase (here still too short).
            unlock.on_use_recovery_clicked()
            unlock.key.setText("R7QK-2MZD-XW9A-HT4R-PL3N-8VCE-J5TB-GK")  # an illustration, not a key
            shots.append(_grab(w, out, "unlock-recovery-key", lang))
            unlock.show_page(unlock.NEW_PASSPHRASE)
            unlock.new_pass.setText("short")
            shots.append(_grab(w, out, "unlock-new-passphrase", lang))
            unlock.new_pass.clear()
            unlock.key.clear()
            unlock.show_page(unlock.PASSPHRASE)
            unlock.passphrase.setText(DEMO_PASSPHRASE)
            unlock.user.setCurrentIndex(0)
            unlock.on_unlock_clicked()
            _wait(lambda: hasattr(w, "home") and w.home.recent.count() >= 4 and w.home.drafts.count() == 1
                  and "winter_kits" in w.home.form_buttons)
            w.ctx.loop.stop()
            w.ctx.sync_state.emit(SyncState("up_to_date", "", time.time() - 600, 2))
            shots.append(_grab(w, out, "home", lang))
            form = w.open_form("household_needs")
            for name, value in (("consent", "yes"), ("assessment_date", "2026-03-04"), ("oblast", "UA63"),
                                ("raion", "UA6312"), ("settlement", "Vilkhivka"), ("displacement_status", "idp"),
                                ("months_displaced", "200"), ("hh_size", "0")):
                form.on_answered(name, (), value)
                form.rows[(name, ())].load_value()
            form.on_finalise_clicked()
            form.scroll.ensureWidgetVisible(form.rows[("hh_size", ())], 0, 200)
            shots.append(_grab(w, out, "form-with-errors", lang))
            # The keyboard on a drop-down, as Enter or Tab leaves it: in view, with its focus frame.
            w.activateWindow()
            form.rows[("raion", ())].focus()
            shots.append(_grab(w, out, "form-keyboard", lang))
            shots.append(_list_editors_shot(w, out, lang))
            w.show_screen("records")
            _wait(lambda: w.records.model.rowCount() == 3)  # two records and the draft the form left
            w.records.table.selectRow(0)
            shots.append(_grab(w, out, "records", lang))
            # The first household's record, with its history (an edit here, one from another laptop).
            from .record_view import RecordDialog

            model = w.records.model
            row = next(i for i in range(model.rowCount())
                       if "Vilkhivka" in model.index(i, 2).data() and model.record_id(i) not in model.rows.drafts)
            w.records.table.selectRow(row)
            w.records.on_view_clicked()
            _wait(lambda: w.records.findChild(RecordDialog) is not None)
            dialog = w.records.findChild(RecordDialog)
            QCoreApplication.processEvents()
            path = out / f"{lang}-record-view.png"
            dialog.grab().save(str(path))
            shots.append(path)
            dialog.close()
            # A record with a photo: its thumbnail in the record view, then the photo larger.
            shots += _grab_photo_views(w, out, lang)
            shots += _camera_shots(w, out, lang)
            # The registry: a search across scripts, then the review queue with its first pair.
            w.show_screen("registry")
            reg = w.registry
            _wait(lambda: reg.index is not None)
            reg.search.setText("Олександр Шевченко")
            reg.run_search()
            _wait(lambda: reg.results.rowCount() == 3)  # the man in two scripts, and a namesake from the desk's list
            _wait(lambda: bool(reg.detail.toPlainText()))
            shots.append(_grab(w, out, "registry-search", lang))
            reg.tabs.setCurrentIndex(1)
            _wait(lambda: reg.queue_list.count() == 2)
            reg.pick_verdict("same")
            reg.reason.setText("Той самий РНОКПП, перевірено за телефоном" if lang == "uk"
                               else "one tax number; checked by phone")
            shots.append(_grab(w, out, "registry-review", lang))
            reg.pick_verdict(None)
            reg.reason.clear()
            reg.tabs.setCurrentIndex(0)
            # Registering someone already on the list (in Latin this time): the likely duplicate is asked about.

            from .screens.registry import RegisterDialog

            reg.on_register_clicked()
            dialog = reg.findChild(RegisterDialog)
            for name, value in (("head_name", "Bondarenko Serhii"), ("dob", "05.06.1980"), ("phone", "050 111 22 33"),
                                ("settlement", "Irpin")):
                dialog.edits[name].setText(value)
            dialog.submit(confirm=False)
            shots.append(_grab_likely_duplicate(dialog, out, "registry-likely-duplicate", lang))
            dialog.reject()
            shots += _registration_form_shots(w, out, lang)
            w.show_screen("sync")
            _wait(lambda: w.sync_screen.table.rowCount() == 1)
            w.sync_screen.path.setText("/media/usb/laptop-07.fbb")
            # Mid-import, as the worker reports it: the stage in words and a determinate bar.
            w.sync_screen._start()
            w.sync_screen.on_progress("applying", 1600, 4000)
            shots.append(_grab(w, out, "sync-usb-progress", lang))
            w.sync_screen._stop()
            w.sync_screen.on_exported([(Path("/media/usb/laptop-07.fbb"), 12)])
            w.ctx.sync_state.emit(SyncState("offline", "The server does not answer.", time.time() - 7200, 12))
            shots.append(_grab(w, out, "sync-usb-conflicts", lang))
            w.ctx.sync_state.emit(SyncState("syncing", "", time.time() - 7200, 12))
            shots.append(_grab(w, out, "sync-syncing", lang))
            # A stick that is not mounted.
            w.sync_screen.path.setText("/media/usb/laptop-07.fbb")
            w.sync_screen.on_bundle_failed(BundleFolderMissing("/media/usb/laptop-07.fbb", "read"))
            shots.append(_grab(w, out, "sync-usb-not-mounted", lang))
            # The desk: a card scanned (entitled), then saved; a card already served; a name typed.
            w.show_screen("desk")
            desk = w.desk
            _wait(lambda: desk.round is not None and desk.summary is not None)
            for text, name in ((demo_card(DEMO_HOUSEHOLDS[0][0]), "desk-entitled"),
                               (demo_card(DEMO_HOUSEHOLDS[2][0]), "desk-already-received"),
                               ("Shevchenko", "desk-name-search")):
                if name == "desk-already-received":
                    saved = len(desk.timings)
                    desk.on_scan_return()  # Return on the empty line: the household above is recorded
                    _wait(lambda: len(desk.timings) > saved)
                desk.scan.setText(text)
                desk.on_scan_return()
                _wait(lambda: desk.pending is not None or desk.matches_list.count() > 0)
                shots.append(_grab(w, out, name, lang))
            desk.clear()
            # The Desk's tools: the cards dialog as it opens, and a PDM sample drawn.
            desk.on_print_cards()
            _wait(lambda: desk.tool is not None and desk.tool.isVisible())
            path = out / f"{lang}-desk-print-cards.png"
            desk.tool.grab().save(str(path))
            shots.append(path)
            desk.tool.reject()
            desk.on_pdm_sample()
            tool = desk.tool
            _wait(lambda: tool.isVisible())
            with tempfile.TemporaryDirectory() as scratch:
                tool.file.setText(str(Path(scratch) / "pdm-sample.csv"))
                tool.percent.setValue(50.0)
                tool.on_run()
                _wait(lambda: not tool.running and bool(tool.result.text()))
                QCoreApplication.processEvents()
                path = out / f"{lang}-desk-pdm-sample.png"
                tool.grab().save(str(path))
                shots.append(path)
            tool.reject()
            w.show_screen("settings")
            _wait(lambda: bool(w.settings.recovery.text()))
            shots.append(_grab(w, out, "settings", lang))
            # A wrong current passphrase: said beside the passphrase fields.
            w.settings.pass_message.setText(message_for(WrongPassphrase("")))
            shots.append(_grab(w, out, "settings-passphrase-error", lang))
            w.close()
        i18n.install(app, "en")
    QApplication.processEvents()
    return shots
