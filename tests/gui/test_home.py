"""Lists name records the way their form does, with choice labels, never bare codes."""
from __future__ import annotations

import forms
from gui.context import SUBMISSION_KIND
from gui.screens.home import describe, load_home, summary_text
from resources import resource_path


def test_records_are_named_by_the_forms_instance_name_in_the_chosen_language(store):
    form = forms.load_form(resource_path("forms", "complaints_feedback.xlsx"))
    fields = {"feedback_type": "question", "received_date": "2026-03-01", "channel": "hotline"}
    store.save_record(SUBMISSION_KIND, fields, form_id="complaints_feedback", form_version=form.version)
    data = load_home(store, lambda form_id: form, "uk")
    [(_, form_id, text, _changed, _state)] = data["recent"]
    assert form_id == "complaints_feedback"
    assert "2026-03-01" in text and "question" not in text
    english = describe(fields, form, "en")
    assert english != text and "2026-03-01" in english


def test_summary_shows_choice_labels_without_a_form_name(store):
    form = forms.load_form(resource_path("forms", "complaints_feedback.xlsx"))
    text = summary_text({"channel": "hotline", "_status": "x"}, form=form, lang="en")
    assert text and text != "hotline"
    assert summary_text({"channel": "hotline"}) == "hotline"  # no form: the code is all there is


def test_recent_records_show_their_last_change_and_state(store):
    """Home, like the Records screen, shows when a record last changed (not when it was
    made) and whether it is waiting to sync or synced."""
    import time

    form = forms.load_form(resource_path("forms", "complaints_feedback.xlsx"))
    rid = store.save_record(SUBMISSION_KIND, {"channel": "hotline"}, form_id="complaints_feedback",
                            form_version=form.version)
    made = load_home(store, lambda form_id: form, "en")["recent"][0]
    assert made[0] == rid and made[4] == "waiting"
    time.sleep(1.1)
    store.edit_record(rid, {"channel": "email"})
    [(_, _, _, changed, state)] = load_home(store, lambda form_id: form, "en")["recent"]
    assert changed >= made[3] + 1 and state == "waiting"
    store.acknowledge(store.last_seq())  # the hub confirmed them
    [(_, _, _, _, state)] = load_home(store, lambda form_id: form, "en")["recent"]
    assert state == "synced"
