"""The console's Review page lists candidate duplicate households from the last hub run, side by
side, scoped to the user's teams; an administrator or a lead of both teams decides with a
CSRF-checked POST; the decision is audited and reaches the laptops (SQLite and PostgreSQL)."""
from __future__ import annotations

import html

import pytest

from console_helpers import Browser, add_user
from distributions import hub_cli, review
from rules import domain
from sync.server import duplicates, hub_decisions
from tests.integration.test_hub_decisions_http import _laptops

MASK = "••••••"


@pytest.fixture
def paired(make_store, live, tmp_path):
    north, south = _laptops(make_store, live, tmp_path)
    hub = live.hub
    hub_decisions.store_pairs(hub, hub_cli.hub_pairs(duplicates.households(hub)))  # what `server duplicates` keeps
    add_user(hub, "admin1", "admin")
    add_user(hub, "lead-north", "lead", ["north"])
    add_user(hub, "viewer-south", "viewer", ["south"])
    ids = {r.fields["external_ref"]: r.id for laptop in (north, south) for r in laptop.store.list_records("household")}
    return north, south, ids


def signed_in(live, name):
    b = Browser(live.url)
    assert b.login(name)[0] == 200
    return b


def pair_ids(page: str) -> set[tuple[str, str]]:
    import re

    return set(re.findall(r'name="a" value="([0-9a-f-]{36})">\s*<input type="hidden" name="b" value="([0-9a-f-]{36})"', page))


def test_the_review_page_shows_pairs_by_team_and_masks_what_it_must(live, paired):
    _, _, ids = paired
    status, _, page = signed_in(live, "admin1").get("/console/review")
    assert status == 200 and 'id="pair-count">3<' in page
    page = html.unescape(page)
    assert "Шевченко Олександр Петрович" in page and "Aleksandr Shevchenko" in page  # an admin sees both sides
    assert "names match across scripts" in page and "two teams" in page
    assert "+380671234567" not in page and "067 123 45 67" not in page and MASK in page  # phones masked for everyone
    assert pair_ids(page) == {(ids["N-1"], ids["N-4"]), (ids["N-1"], ids["S-7"]), (ids["N-4"], ids["S-7"])}

    # North's lead: every pair touching north; may decide only the pair within north; the other
    # team's answers and the reasons that quote them are not shown.
    status, _, page = signed_in(live, "lead-north").get("/console/review")
    page = html.unescape(page)
    assert 'id="pair-count">3<' in page and pair_ids(page) == {(ids["N-1"], ids["N-4"])}
    assert "Шевченко Олександр Петрович" in page and "Aleksandr Shevchenko" not in page and "Odesa" not in page
    assert "shown to those who work with both teams" in page
    assert "decided by an administrator or a lead of both teams" in page

    # South's viewer: the cross-team pairs only, north's side hidden, no form.
    status, _, page = signed_in(live, "viewer-south").get("/console/review")
    page = html.unescape(page)
    assert 'id="pair-count">2<' in page and pair_ids(page) == set() and "Шевченко" not in page
    assert "Aleksandr Shevchenko" in page
    events = [r for r in live.hub.db.execute("SELECT actor, detail FROM events WHERE event = 'web_review_page'")]
    assert ("viewer-south", "0 open conflict(s), 0 double distribution(s), 2 household pair(s) shown") in events


def test_deciding_in_the_console_is_checked_audited_and_reaches_the_laptops(live, paired):
    north, south, ids = paired
    hub = live.hub
    lead, viewer, admin = signed_in(live, "lead-north"), signed_in(live, "viewer-south"), signed_in(live, "admin1")
    within = {"a": ids["N-1"], "b": ids["N-4"], "verdict": "same", "keep": ids["N-1"], "reason": "typed twice"}
    across = {"a": ids["N-1"], "b": ids["S-7"], "verdict": "same", "keep": ids["N-1"], "reason": "moved south"}
    before = hub.db.execute("SELECT count(*) FROM changes")[0][0]
    lead.get("/console/review")
    assert lead.post("/console/review/households/decide", {**within, "csrf": "forged"})[0] == 403
    assert lead.post("/console/review/households/decide", {**across, "csrf": lead.csrf()})[0] == 403  # two teams
    viewer.get("/console/review")
    assert viewer.post("/console/review/households/decide", {**across, "csrf": viewer.csrf()})[0] == 403
    for bad in ({"verdict": "maybe"}, {"a": "not-an-id"}, {"keep": ids["S-7"]}, {"reason": ""}):
        assert lead.post("/console/review/households/decide", {**within, **bad, "csrf": lead.csrf()})[0] == 400, bad
    assert hub.db.execute("SELECT count(*) FROM changes")[0][0] == before  # nothing written
    refused = [d for (d,) in hub.db.execute("SELECT detail FROM events WHERE event = 'refused' AND actor = 'lead-north'")]
    assert any(d.startswith("duplicate decision") for d in refused)

    status, url, page = lead.post("/console/review/households/decide", {**within, "csrf": lead.csrf()})
    assert status == 200 and url.endswith("/console/review?decided=same#household-pairs") and "Decided: same." in page
    assert (ids["N-1"], ids["N-4"]) not in pair_ids(page)
    status, _, page = admin.get("/console/review")
    assert 'id="pair-count">2<' in page  # N-1/S-7 and N-4/S-7 are left
    status, _, page = admin.post("/console/review/households/decide", {**across, "csrf": admin.csrf()})
    assert status == 200 and 'id="pair-count">0<' in page  # N-4/S-7 is linked through N-1 now
    audit = [(a, d) for a, d in hub.db.execute("SELECT actor, detail FROM events WHERE event = 'hub_dedup_decision'")]
    assert [a for a, _ in audit] == ["lead-north", "admin1"]
    assert audit[1][1].endswith("same (north and south)")

    north.sync_now(); south.sync_now()
    assert north.store.get_record(ids["N-4"]).fields[domain.LINK_FIELD] == ids["N-1"]
    assert south.store.get_record(ids["S-7"]).fields[domain.LINK_FIELD] == ids["N-1"]
    assert [d["by"] for d in review.decisions(south.store)] == ["admin1"]
    assert sorted(d["by"] for d in review.decisions(north.store)) == ["admin1", "lead-north"]
    assert review.review_queue(north.store) == [] and review.review_queue(south.store) == []


def test_the_pairs_are_read_a_page_at_a_time(live, paired, monkeypatch):
    from sync.server.console.routes import duplicates as route

    _, _, ids = paired
    admin = signed_in(live, "admin1")
    hub_decisions.decide(live.hub, ids["N-1"], ids["N-4"], "different", "two men", actor="admin1")
    monkeypatch.setattr(route, "_PAGE", 1)  # the decided pair fills a page of its own
    page = admin.get("/console/review")[2]
    assert 'id="pair-count">2<' in page
    monkeypatch.setattr(route, "LIMIT", 1)
    page = admin.get("/console/review")[2]
    assert 'id="pair-count">1<' in page and pair_ids(page) == {(ids["N-1"], ids["S-7"])}  # the best one
