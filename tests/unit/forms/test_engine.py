"""Evaluating answers: relevance, required and constraint errors, calculations, repeats, incremental updates."""
from __future__ import annotations

import datetime as dt

import pytest

from forms import FormError, Session, evaluate, load_form
from forms.errors import UnknownQuestion
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label::English (en)", "label::Українська (uk)", "relevant", "constraint",
        "constraint_message::English (en)", "constraint_message::Українська (uk)", "required", "calculation",
        "choice_filter", "repeat_count", "default"]


def row(type_, name, label="", *, relevant=None, constraint=None, msg=None, required=None, calculation=None,
        choice_filter=None, repeat_count=None, default=None):
    return [type_, name, label, label and label + " (uk)", relevant, constraint, msg and msg[0], msg and msg[1],
            required, calculation, choice_filter, repeat_count, default]


CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Українська (uk)", "oblast"],
    ["yn", "yes", "Yes", "Так", None], ["yn", "no", "No", "Ні", None],
    ["oblast", "kh", "Kharkivska", "Харківська", None], ["oblast", "dp", "Dnipropetrovska", "Дніпропетровська", None],
    ["raion", "izium", "Iziumskyi", "Ізюмський", "kh"], ["raion", "chuh", "Chuhuivskyi", "Чугуївський", "kh"],
    ["raion", "pavl", "Pavlohradskyi", "Павлоградський", "dp"],
    ["needs", "food", "Food", "Їжа", None], ["needs", "shelter", "Shelter", "Житло", None],
]


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "hh.xlsx"
    write_xlsform(path, [
        HEAD,
        row("select_one yn", "consent", "Consent", required="yes"),
        row("begin_group", "main", "Main", relevant="${consent} = 'yes'"),
        row("select_one oblast", "oblast", "Oblast"),
        row("select_one raion", "raion", "Raion", choice_filter="oblast=${oblast}"),
        row("integer", "hh_size", "Household size", constraint=". >= 1 and . <= 30",
            msg=("Between 1 and 30", "Від 1 до 30"), required="yes"),
        row("begin_repeat", "members", "Members", repeat_count="${hh_size}"),
        row("integer", "age", "Age", constraint=". <= 120", required="yes"),
        row("calculate", "is_child", calculation="if(${age} < 18, 1, 0)"),
        row("end_repeat", ""),
        row("calculate", "children", calculation="sum(${is_child})"),
        row("select_multiple needs or_other", "needs", "Needs", relevant="${children} > 0"),
        row("date", "visit", "Visit date", constraint=". <= today()", default="2026-01-02"),
        row("end_group", ""),
        row("note", "thanks", "Thank you"),
        row("start", "start"), row("today", "today"), row("deviceid", "deviceid"), row("username", "username"),
    ], CHOICES, [["form_id", "version", "default_language", "instance_name"],
                 ["hh", "3", "English (en)", "concat('HH-', ${hh_size})"]])
    return load_form(path)


NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone.utc)


def session(form, answers=None, lang=None):
    return Session(form, answers, lang=lang, now=NOW, device_id="dev-1", username="enumerator")


def test_relevance_hides_and_clears_on_save(form):
    s = session(form, {"consent": "yes", "hh_size": 2, "members": [{"age": 30}, {"age": 5}]})
    assert s.visible("hh_size") and s.visible("age", index=(1,))
    assert s.record()["hh_size"] == 2
    s.set("consent", "no")
    assert not s.visible("hh_size") and not s.visible("age", index=(0,))
    rec = s.record()
    assert "hh_size" not in rec and "members" not in rec and rec["consent"] == "no"
    s.set("consent", "yes")  # answers come back: nothing typed is lost before saving
    assert s.record()["hh_size"] == 2


def test_required_and_constraint_errors_in_the_chosen_language(form):
    s = session(form, {"consent": "yes", "hh_size": 40}, lang="uk")
    errors = {(e.name, e.kind): e.message for e in s.errors()}
    assert errors[("hh_size", "constraint")] == "Від 1 до 30"
    s.set("hh_size", 1)
    errors = {(e.name, e.kind): e.message for e in s.errors()}
    assert errors[("age", "required")] == "Це обов'язкове питання."
    assert session(form, {"consent": "yes", "hh_size": 40}, lang="English (en)").errors()[0].message == "Between 1 and 30"


def test_constraints_are_not_checked_on_empty_answers(form):
    s = session(form, {"consent": "yes"})
    assert [(e.name, e.kind) for e in s.errors()] == [("hh_size", "required")]


def test_repeat_count_and_calculations_follow_answers(form):
    s = session(form, {"consent": "yes", "hh_size": 3})
    assert s.repeat_count("members") == 3
    s.set("age", 10, index=(0,))
    s.set("age", 40, index=(1,))
    s.set("age", 12, index=(2,))
    assert s.get("children") == 2 and s.visible("needs")
    s.set("age", 19, index=(0,))
    assert s.get("children") == 1
    s.set("hh_size", 1)
    assert s.repeat_count("members") == 1 and s.get("children") == 0 and not s.visible("needs")


def test_incremental_evaluation_touches_only_dependents(form):
    s = session(form, {"consent": "yes", "hh_size": 2, "members": [{"age": 1}, {"age": 2}]})
    before = s.evaluations
    touched = s.set("oblast", "kh")
    assert touched == ["oblast"] and s.evaluations == before  # nothing depends on it but the lazy filter
    touched = s.set("age", 30, index=(1,))
    # children goes from 2 to 1: needs is re-evaluated and stays visible, so needs_other,
    # which depends only on needs, is left alone (evaluation stops where nothing changed).
    assert set(touched) == {"age", "is_child", "children", "needs"}
    assert "hh_size" not in touched and "visit" not in touched
    touched = s.set("age", 40, index=(0,))  # no child left: needs hides, and that reaches needs_other
    assert set(touched) == {"age", "is_child", "children", "needs", "needs_other"}
    assert not s.visible("needs") and not s.visible("needs_other")


def test_cascading_choice_filter(form):
    s = session(form, {"consent": "yes", "oblast": "kh"})
    assert [c.name for c in s.choices("raion")] == ["izium", "chuh"]
    s.set("oblast", "dp")
    assert [c.name for c in s.choices("raion")] == ["pavl"]
    s.set("raion", "izium")
    assert [e.kind for e in s.errors() if e.name == "raion"] == ["type"]


def test_types_are_coerced_and_bad_input_is_an_error_not_a_crash(form):
    s = session(form, {"consent": "yes", "hh_size": "3"})
    assert s.get("hh_size") == 3
    s.set("hh_size", "three")
    assert [e.kind for e in s.errors() if e.name == "hh_size"] == ["type"]
    s.set("visit", "2030-01-01")
    assert [e.kind for e in s.errors() if e.name == "visit"] == ["constraint"]
    s.set("hh_size", 1)
    s.set("age", 4, index=(0,))
    s.set("needs", ["food", "other", "food"])
    assert s.get("needs") == "food other"


def test_or_other_adds_a_specify_question(form):
    s = session(form, {"consent": "yes", "hh_size": 1, "members": [{"age": 3}], "needs": "other"})
    assert s.visible("needs_other")
    s.set("needs", "food")
    assert not s.visible("needs_other")


def test_defaults_metadata_and_instance_name(form):
    s = session(form, {"consent": "yes", "hh_size": 2})
    rec = s.record(finalise=True)
    assert rec["visit"] == "2026-01-02"
    assert rec["today"] == "2026-11-22" and rec["deviceid"] == "dev-1" and rec["username"] == "enumerator"
    assert rec["start"].startswith("2026-11-22T10:00")
    assert s.instance_name() == "HH-2"


def test_unknown_questions_and_instances_are_refused(form):
    with pytest.raises(UnknownQuestion, match="nope"):
        session(form, {"nope": 1})
    s = session(form, {"consent": "yes", "hh_size": 1})
    with pytest.raises(UnknownQuestion):
        s.set("age", 3, index=(5,))
    with pytest.raises(FormError):
        s.add_repeat("members")  # the form sets the count


def test_summary_is_what_forms_fill_prints(form):
    out = evaluate(form, {"consent": "yes", "hh_size": 1, "members": [{"age": 7}]}, lang="uk")
    assert out["valid"] and out["fields"]["members"] == [{"age": 7, "is_child": 1}]
    assert out["calculated"]["children"] == 1 and "age[1]" in out["visible"]


def test_free_repeats_add_and_remove(tmp_path):
    path = write_xlsform(tmp_path / "r.xlsx", [
        HEAD, row("begin_repeat", "kids", "Kids"), row("text", "kid", "Kid"), row("end_repeat", ""),
        row("calculate", "n", calculation="count(${kids})"),
    ])
    s = Session(load_form(path))
    for name in ("A", "B", "C"):
        inst = s.add_repeat("kids")
        s.set("kid", name, index=inst)
    s.remove_repeat("kids", 1)
    assert s.record()["kids"] == [{"kid": "A"}, {"kid": "C"}]


def test_a_shrinking_repeat_count_forgets_the_removed_entries(form):
    s = session(form, {"consent": "yes", "hh_size": 3, "members": [{"age": 30}, {"age": 40}, {"age": 9}]})
    assert s.get("children") == 1
    s.set("hh_size", 2)
    s.set("hh_size", 3)
    assert s.get("age", index=(2,)) == "" and s.get("children") == 0  # nobody inherits a former entry


def test_entries_lost_by_names_answered_entries_and_changes_nothing(form):
    s = session(form, {"consent": "yes", "hh_size": 4, "members": [{"age": 30}, {}, {"age": 9}, {}]})
    before = (dict(s.raw), dict(s.counts), s.record())
    assert s.entries_lost_by("hh_size", 1) == {("members", ()): [2]}   # entry 2 and 4 hold nothing
    assert s.entries_lost_by("hh_size", 0) == {("members", ()): [0, 2]}
    assert s.entries_lost_by("hh_size", 3) == {} and s.entries_lost_by("hh_size", 12) == {}
    # Hiding the count hides the entries, and they go: that is asked about too.
    assert s.entries_lost_by("consent", "no") == {("members", ()): [0, 2]}
    assert (dict(s.raw), dict(s.counts), s.record()) == before


def test_dynamic_default_and_translated_or_other(tmp_path):
    path = write_xlsform(tmp_path / "d.xlsx", [
        HEAD, row("date", "when", "When", default="today()"),
        row("select_one yn or_other", "pick", "Pick"),
    ], CHOICES)
    s = Session(load_form(path), now=NOW, lang="uk")
    assert s.get("when") == dt.date(2026, 11, 22) and not s.errors()
    q = s.form.question("pick")
    assert q.choices[-1].label("Українська (uk)") == "Інше"
    assert s.form.question("pick_other").label("Українська (uk)") == "Уточніть інше."


@pytest.mark.parametrize("seed", range(6))
def test_incremental_evaluation_matches_a_full_recompute(form, seed):
    # Early cutoff must never leave anything stale: after every change, evaluating the whole
    # form again from the same answers finds exactly what the incremental pass left.
    import random

    rng = random.Random(seed)
    s = session(form, {"consent": "yes", "hh_size": 2})
    for _ in range(120):
        step = rng.random()
        if step < 0.15:
            s.set("consent", rng.choice(["yes", "no", ""]))
        elif step < 0.35:
            s.set("hh_size", rng.choice([0, 1, 2, 3, 4, ""]))
        elif step < 0.75 and s.repeat_count("members"):
            s.set("age", rng.choice([3, 17, 18, 40, ""]), index=(rng.randrange(s.repeat_count("members")),))
        elif step < 0.9:
            s.set("needs", rng.choice(["food", "food other", "other", ""]))
        else:
            s.set("oblast", rng.choice(["kh", "dp", ""]))
        state = (dict(s.relevant), dict(s.calculated), dict(s.counts), dict(s.raw))
        s._recompute(s.graph.order)  # everything, no cutoff
        assert (dict(s.relevant), dict(s.calculated), dict(s.counts), dict(s.raw)) == state


def test_labels_and_hints_show_current_values(tmp_path):
    f = load_form(write_xlsform(tmp_path / "notes.xlsx", [
        ["type", "name", "label::English (en)", "label::Українська (uk)", "hint::English (en)", "calculation"],
        ["integer", "size", "Size", "Розмір", None, None],
        ["begin_repeat", "people", "People", "Люди", None, None],
        ["integer", "age", "Age of person ${pos}", "Вік особи ${pos}", "Between 0 and 120; household of ${size}", None],
        ["calculate", "pos", None, None, None, "position(..)"],
        ["end_repeat", None, None, None, None, None],
        ["calculate", "adults", None, None, None, "count(${age}[. >= 18])"],
        ["note", "summary", "${adults} adult(s) of ${size}", "Дорослих: ${adults} з ${size}", None, None],
    ]))
    s = Session(f, {"size": 3, "people": [{"age": 40}, {"age": 9}, {"age": 70}]}, lang="uk", now=NOW)
    assert s.label("summary") == "Дорослих: 2 з 3"
    assert s.label("age", index=(1,)) == "Вік особи 2"  # seen from its own repeat entry
    s.set("age", 19, index=(1,))
    assert s.label("summary") == "Дорослих: 3 з 3"  # computed when asked: never stale
    assert s.hint("age", index=(0,)) == "Between 0 and 120; household of 3"
    assert s.summary()["notes"] == {"summary": "Дорослих: 3 з 3"}
    s.set("size", "")
    assert s.label("summary") == "Дорослих: 3 з "


def test_a_label_naming_a_missing_field_is_refused_at_import(tmp_path):
    path = write_xlsform(tmp_path / "bad.xlsx", [
        ["type", "name", "label::English (en)", "label::Українська (uk)"],
        ["integer", "size", "Size", "Розмір"],
        ["note", "n", "Size ${size}", "Розмір ${sise}"],
    ])
    with pytest.raises(FormError) as info:
        load_form(path)
    assert [(i.row, i.column) for i in info.value.issues] == [(3, "label::Українська (uk)")]
    assert "${sise}" in str(info.value)


def test_the_record_to_save_remembers_form_id_and_version(form):
    s = session(form, {"consent": "yes", "hh_size": 1, "members": [{"age": 30}]})
    fresh = s.to_save()
    assert (fresh["kind"], fresh["form_id"], fresh["form_version"]) == ("submission", "hh", "3")
    assert fresh["fields"]["hh_size"] == 1 and "id" not in fresh
    # Editing a record filled with an older version keeps what it was filled with.
    edited = s.to_save({"id": "rec-1", "kind": "submission", "form_id": "hh", "form_version": "2", "clocks": {}})
    assert (edited["id"], edited["form_version"]) == ("rec-1", "2") and "clocks" not in edited
    assert s.to_save({"id": "rec-2", "form_id": None})["form_id"] == "hh"  # missing: filled in
