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
    [(_, form_id, text)] = data["recent"]
    assert form_id == "complaints_feedback"
    assert "2026-03-01" in text and "question" not in text
    english = describe(fields, form, "en")
    assert english != text and "2026-03-01" in english


def test_summary_shows_choice_labels_without_a_form_name(store):
    form = forms.load_form(resource_path("forms", "complaints_feedback.xlsx"))
    text = summary_text({"channel": "hotline", "_status": "x"}, form=form, lang="en")
    assert text and text != "hotline"
    assert summary_text({"channel": "hotline"}) == "hotline"  # no form: the code is all there is
