"""Desk: distribution day, one household after another, from the keyboard.

A card scanner is a keyboard that types the card's code and presses Return, so the
whole screen works from one field that keeps the keyboard:

1. Scan a card (or type its code, a phone, a document number, or the head's name)
   and press Return: the household, what it is entitled to, and a verdict show.
2. Press Return again on the empty field: the receipt is saved. That is one key
   after the scan. Escape clears the household without saving.

A household already served this round, not on the team's list, or not eligible is
refused in large red words, naming the first receipt (when, which desk, who
collected). A name finds every household whose head is called like that, in any
script; choose one with the arrow keys and Return. Every look-up and save runs on
the store worker; the screen measures each and shows the software time from the
scan's Return to the receipt saved.

All of this is local: the desk works the same with no network, and sync carries the
receipts when a connection returns.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from distributions import desk as D
from distributions import receipts, stock
from distributions.desk_errors import (
    AlreadyReceived, DistributionError, HouseholdNotFound, NotEntitled, RoundError, StockError,
)
from distributions.errors import InvalidCardCode
from distributions.rounds import Round, held_rounds

from ..context import Context
from ..focus import tab_in_layout_order
from ..i18n import tr
from ..workers import give_way
from .desk_tools import CardsDialog, PdmDialog

OK_STYLE = "background: #e3f4e1; border: 2px solid #2e7d32; color: #1b4d1f; border-radius: 6px; padding: 8px;"
STOP_STYLE = "background: #fde7e9; border: 2px solid #b00020; color: #7a0014; border-radius: 6px; padding: 8px;"
INFO_STYLE = "background: #eef2f7; border: 1px solid #8a9bb0; color: #222; border-radius: 6px; padding: 8px;"
LOW_STOCK = 10  # shown as running low at or below this, unless the round's item sets its own mark
REFRESH_MS = 400  # counts after a sync: gathered once the burst of changes has passed
RECENT = 15  # receipts listed as recorded at this desk, newest first


@dataclass
class Pending:
    """The household on screen, waiting for Return."""

    household: object  # storage.Record
    lookup: receipts.Lookup
    verdict: str
    started: float  # perf_counter at the scan's Return
    lookup_ms: float


def load_desk(store) -> dict:
    """On the store worker: the rounds this laptop holds and its team."""
    receipts.ensure_indexes(store)
    return {"rounds": held_rounds(store), "team": receipts.current_team(store, None)}


def read_new_receipts(store) -> None:
    """After a sync (on its thread, ``Context.after_sync``): bring the stock sums and counts up to
    date with the receipts it brought (10,000 from a big merge: 0.2-0.7 s), so that the first
    receipt saved after the sync does not read them while the household waits."""
    stock.held_receipts(store)


def look_up_line(store, rnd: Round, team: str | None, text: str | None = None, household_id: str | None = None,
                 refresh_names: bool = True) -> dict:
    """On the store worker: one line (or a household chosen from a list) to a verdict.
    A refusal is counted in the audit log here, as ``distribute`` counts it."""
    D.still_held(store, rnd)
    try:
        if household_id is not None:
            households, matches = [D.household(store, household_id)], []
        else:
            found = D.find(store, text or "", refresh_names=refresh_names)
            households, matches = found.households, found.matches
    except (HouseholdNotFound, InvalidCardCode) as exc:
        D.log_refusal(store, rnd.round_id, type(exc).__name__)
        raise
    if matches or len(households) > 1:
        if not matches:
            matches = [D.NameMatch(h.id, str(h.fields.get("external_ref") or h.id), str(h.fields.get("head_name") or ""),
                                   str(h.fields.get("dob") or ""), str(h.fields.get("settlement") or ""), 0.0)
                       for h in households]
        return {"matches": matches}
    household = households[0]
    found = receipts.look_up(store, rnd, household, team=team, today=D.today())
    verdict = D.verdict(found)
    if verdict != D.SERVE:
        D.log_refusal(store, rnd.round_id, verdict)
    return {"household": household, "lookup": found, "verdict": verdict}


def save_receipt(store, rnd: Round, team: str | None, household_id: str, items: dict | None, reason: str | None,
                 proxy_name: str | None, proxy_doc: str | None) -> dict:
    """On the store worker: record the receipt (every check again, in one transaction)."""
    D.still_held(store, rnd)
    household = D.household(store, household_id)
    try:
        rid, _warnings = receipts.record_receipt(store, rnd, household, team=team, items=items, reason=reason,
                                                 proxy_name=proxy_name, proxy_doc=proxy_doc)
    except (AlreadyReceived, NotEntitled) as exc:
        D.log_refusal(store, rnd.round_id, type(exc).__name__)
        raise
    return {"receipt": D.recent_receipt(store, store.get_record(rid)), "balances": stock.store_balances(store, rnd)}


def local_time(stamp: str | None, with_date: bool = True) -> str:
    """A receipt's UTC stamp in this laptop's time, the way people read a clock."""
    try:
        t = dt.datetime.fromisoformat(str(stamp)).astimezone()
    except (TypeError, ValueError):
        return str(stamp or "?")
    return t.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def error_text(exc: BaseException) -> str:
    """A desk error in the person's language (the English sentence names ids only)."""
    if isinstance(exc, InvalidCardCode):
        return tr("This card code is mistyped: check the card, or type its code again.")
    if isinstance(exc, HouseholdNotFound):
        return tr("No registered household has this card, phone, document number or name.")
    if isinstance(exc, AlreadyReceived):
        return tr("Refused: this household has just received this round at another desk.")
    if isinstance(exc, NotEntitled):
        return tr("Refused: this household is not entitled to these quantities in this round.")
    if isinstance(exc, RoundError):
        return tr("This round is no longer open on this laptop: the hub withdrew it. Nothing was saved.")
    if isinstance(exc, StockError):
        return tr("Not enough stock for this receipt. Record a delivery or a transfer first.")
    if isinstance(exc, DistributionError):
        return tr("This receipt cannot be saved: {reason}").format(reason=str(exc))
    return tr("Something went wrong; nothing was saved. Try again.")


class DeskScreen(QWidget):
    saved = Signal(str)  # receipt id

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("desk")
        self.rounds: dict[str, Round] = {}
        self.team: str | None = None
        self.pending: Pending | None = None
        self.matches: list[D.NameMatch] = []
        self.seq = 0             # the latest look-up; older results are dropped
        self.confirm_when_ready = False
        self.looking = False     # a look-up is on the store worker
        self.saving = False
        self.names_stale = True  # households may have changed since the name index was read (a sync)
        self.summary: D.Summary | None = None
        self.timings: list[dict] = []  # per saved receipt: lookup_ms, save_ms, scan_to_saved_ms
        self.tool = None  # the cards or PDM dialog last opened
        self._build()
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh_summary)
        ctx.records_changed.connect(self.on_records_changed)
        ctx.forms_changed.connect(self.load)
        if read_new_receipts not in ctx.after_sync:
            ctx.after_sync.append(read_new_receipts)
        self.load()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        title = QLabel(tr("Distribution desk"))
        title.setObjectName("screenTitle")
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel(tr("Round:")))
        self.round_box = QComboBox()
        self.round_box.setObjectName("deskRound")
        self.round_box.setAccessibleName(tr("Round"))
        self.round_box.currentIndexChanged.connect(self.on_round_changed)
        top.addWidget(self.round_box)
        self.team_label = QLabel()
        self.team_label.setObjectName("deskTeam")
        top.addWidget(self.team_label)
        # Before the day and after it (a team lead's cards, a monitoring officer's sample).
        self.cards_button = QPushButton(tr("Print cards…"))
        self.cards_button.setObjectName("deskPrintCards")
        self.cards_button.setToolTip(tr("Household cards with QR codes, for the households of this round that have "
                                        "no card yet"))
        self.cards_button.clicked.connect(self.on_print_cards)
        top.addWidget(self.cards_button)
        self.pdm_button = QPushButton(tr("PDM sample…"))
        self.pdm_button.setObjectName("deskPdmSample")
        self.pdm_button.setToolTip(tr("Post-distribution monitoring: a random sample of the households served"))
        self.pdm_button.clicked.connect(self.on_pdm_sample)
        top.addWidget(self.pdm_button)
        lay.addLayout(top)

        self.scan = QLineEdit()
        self.scan.setObjectName("deskScan")
        self.scan.setAccessibleName(tr("Card, phone, document or name"))
        self.scan.setPlaceholderText(tr("Scan the card, or type a card code, phone, document number or name"))
        self.scan.setMaxLength(D.MAX_QUERY)
        font = QFont(self.scan.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.scan.setFont(font)
        self.scan.returnPressed.connect(self.on_scan_return)
        lay.addWidget(self.scan)
        self.hint = QLabel(tr("Return: find the household. Return again on the empty line: record the receipt. "
                              "Esc: clear."))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)

        body = QHBoxLayout()
        left = QVBoxLayout()
        self.verdict = QLabel()
        self.verdict.setObjectName("deskVerdict")
        self.verdict.setWordWrap(True)
        big = QFont(self.verdict.font())
        big.setPointSizeF(big.pointSizeF() * 1.35)
        big.setBold(True)
        self.verdict.setFont(big)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left.addWidget(self.verdict)
        self.household = QLabel()
        self.household.setObjectName("deskHousehold")
        self.household.setWordWrap(True)
        larger = QFont(self.household.font())
        larger.setPointSizeF(larger.pointSizeF() * 1.2)
        self.household.setFont(larger)
        self.household.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left.addWidget(self.household)

        self.matches_list = QListWidget()
        self.matches_list.setObjectName("deskMatches")
        self.matches_list.setAccessibleName(tr("Households with this name"))
        self.matches_list.itemActivated.connect(self.on_match_chosen)
        self.matches_list.hide()
        left.addWidget(self.matches_list, 1)

        self.items_box = QGroupBox(tr("Hand over"))
        self.items_grid = QGridLayout(self.items_box)
        self.spins: dict[str, QSpinBox] = {}
        left.addWidget(self.items_box)
        self.reason = QLineEdit()
        self.reason.setObjectName("deskReason")
        self.reason.setPlaceholderText(tr("Reason for handing over less than the entitlement"))
        self.reason.setMaxLength(receipts.MAX_TEXT)
        self.reason.setAccessibleName(tr("Reason"))
        self.reason.returnPressed.connect(self.confirm)
        left.addWidget(self.reason)
        proxy = QHBoxLayout()
        self.proxy = QCheckBox(tr("Collected by a proxy"))
        self.proxy.setObjectName("deskProxy")
        self.proxy.toggled.connect(self.on_proxy_toggled)
        proxy.addWidget(self.proxy)
        self.proxy_name = QLineEdit()
        self.proxy_name.setObjectName("deskProxyName")
        self.proxy_name.setPlaceholderText(tr("Proxy's name"))
        self.proxy_name.setMaxLength(receipts.MAX_TEXT)
        self.proxy_name.setAccessibleName(tr("Proxy's name"))
        self.proxy_name.returnPressed.connect(self.confirm)
        self.proxy_doc = QLineEdit()
        self.proxy_doc.setObjectName("deskProxyDoc")
        self.proxy_doc.setPlaceholderText(tr("Proxy's document number"))
        self.proxy_doc.setMaxLength(receipts.MAX_TEXT)
        self.proxy_doc.setAccessibleName(tr("Proxy's document number"))
        self.proxy_doc.returnPressed.connect(self.confirm)
        proxy.addWidget(self.proxy_name, 1)
        proxy.addWidget(self.proxy_doc, 1)
        left.addLayout(proxy)
        buttons = QHBoxLayout()
        self.record_button = QPushButton(tr("Record receipt (Return)"))
        self.record_button.setObjectName("deskRecord")
        self.record_button.clicked.connect(self.confirm)
        self.clear_button = QPushButton(tr("Clear (Esc)"))
        self.clear_button.setObjectName("deskClear")
        self.clear_button.clicked.connect(self.clear)
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        self.status = QLabel()
        self.status.setObjectName("deskStatus")
        self.status.setWordWrap(True)
        left.addWidget(self.status)
        left.addStretch(1)
        body.addLayout(left, 3)

        right = QVBoxLayout()
        counts_box = QGroupBox(tr("This round"))
        cl = QVBoxLayout(counts_box)
        self.counts = QLabel()
        self.counts.setObjectName("deskCounts")
        self.counts.setWordWrap(True)
        cl.addWidget(self.counts)
        self.doubles = QLabel()
        self.doubles.setObjectName("deskDoubles")
        self.doubles.setWordWrap(True)
        self.doubles.setStyleSheet(STOP_STYLE)
        self.doubles.hide()
        cl.addWidget(self.doubles)
        right.addWidget(counts_box)
        stock_box = QGroupBox(tr("Stock"))
        sl = QVBoxLayout(stock_box)
        self.stock = QLabel()
        self.stock.setObjectName("deskStock")
        self.stock.setWordWrap(True)
        self.stock.setTextFormat(Qt.TextFormat.RichText)
        sl.addWidget(self.stock)
        right.addWidget(stock_box)
        recent_box = QGroupBox(tr("Recorded at this desk"))
        rl = QVBoxLayout(recent_box)
        self.recent = QListWidget()
        self.recent.setObjectName("deskRecent")
        self.recent.setAccessibleName(tr("Recorded at this desk"))
        self.recent.setWordWrap(True)
        self.recent.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rl.addWidget(self.recent, 1)
        void_row = QHBoxLayout()
        self.void_reason = QLineEdit()
        self.void_reason.setObjectName("deskVoidReason")
        self.void_reason.setPlaceholderText(tr("Reason for voiding the selected receipt"))
        self.void_reason.setMaxLength(receipts.MAX_TEXT)
        self.void_reason.setAccessibleName(tr("Reason for voiding"))
        self.void_reason.returnPressed.connect(self.on_void_clicked)
        self.void_button = QPushButton(tr("Void receipt"))
        self.void_button.setObjectName("deskVoid")
        self.void_button.clicked.connect(self.on_void_clicked)
        void_row.addWidget(self.void_reason, 1)
        void_row.addWidget(self.void_button)
        rl.addLayout(void_row)
        right.addWidget(recent_box, 1)
        body.addLayout(right, 2)
        lay.addLayout(body, 1)

        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.clear,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.scan.installEventFilter(self)
        self.show_idle()
        self.on_proxy_toggled(False)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        # Up and Down in the scan field move through a list of households found by name.
        from PySide6.QtCore import QEvent

        if obj is self.scan and event.type() == QEvent.Type.KeyPress and self.matches_list.isVisible():
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.matches_list.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
                self.matches_list.setCurrentRow(max(0, min(self.matches_list.count() - 1, row)))
                return True
        return False

    # -- rounds ------------------------------------------------------------------------------
    def load(self) -> None:
        if self.ctx.store is None:
            return
        self.ctx.run(load_desk, self.on_loaded, self.on_failed, owner=self)

    def on_loaded(self, data: dict) -> None:
        self.rounds, self.team = data["rounds"], data["team"]
        current = self.round_box.currentData()
        self.round_box.blockSignals(True)
        self.round_box.clear()
        lang = self.ctx.prefs.language
        for rid, rnd in sorted(self.rounds.items()):
            self.round_box.addItem(f"{rnd.title(lang)} ({rid})", rid)
        if current in self.rounds:
            self.round_box.setCurrentIndex(self.round_box.findData(current))
        self.round_box.blockSignals(False)
        self.team_label.setText(tr("Team: {team}").format(team=self.team) if self.team else "")
        if current not in self.rounds:
            self.on_round_changed()
            if current is not None:  # it was open here: say why it went
                self.show_message(tr("The hub withdrew round {round}: it can no longer be served here, and nothing "
                                     "more was saved for it.").format(round=current), STOP_STYLE)
        else:
            self.refresh_summary()

    @property
    def round(self) -> Round | None:
        return self.rounds.get(self.round_box.currentData())

    def on_round_changed(self, _index: int = 0) -> None:
        self.clear()
        rnd = self.round
        self.cards_button.setEnabled(rnd is not None)
        self.pdm_button.setEnabled(rnd is not None)
        while self.items_grid.count():
            w = self.items_grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.spins = {}
        if rnd is None:
            self.show_idle()
            self.counts.setText("")
            self.stock.setText("")
            self.recent.clear()
            return
        lang = self.ctx.prefs.language
        for k, item in enumerate(rnd.items):
            label = QLabel(f"{item.name(lang)} ({item.unit})")
            spin = QSpinBox()
            spin.setObjectName(f"deskQty_{item.code}")
            spin.setAccessibleName(item.name(lang))
            spin.setRange(0, 0)
            label.setBuddy(spin)
            self.items_grid.addWidget(label, k, 0)
            self.items_grid.addWidget(spin, k, 1)
            self.spins[item.code] = spin
        self.items_grid.setColumnStretch(0, 1)
        tab_in_layout_order(self)  # the quantities were built after the buttons below them
        self.refresh_summary()
        self.focus_scan()

    # -- tools -------------------------------------------------------------------------------
    def on_print_cards(self) -> None:
        if self.round is not None:
            self.open_tool(CardsDialog(self.ctx, self.round, self.team, self))

    def on_pdm_sample(self) -> None:
        if self.round is not None:
            self.open_tool(PdmDialog(self.ctx, self.round, self))

    def open_tool(self, dialog) -> None:
        self.tool = dialog
        dialog.finished.connect(lambda _r: (dialog.deleteLater(), self.focus_scan()))
        dialog.open()

    # -- scanning ------------------------------------------------------------------------------
    def on_scan_return(self) -> None:
        text = self.scan.text().strip()
        if not text:
            if self.matches_list.isVisible() and self.matches_list.currentItem() is not None:
                self.on_match_chosen(self.matches_list.currentItem())
            else:
                self.confirm()
            return
        self.scan.clear()
        self.look_up(text=text)

    def on_match_chosen(self, item: QListWidgetItem) -> None:
        self.look_up(household_id=item.data(Qt.ItemDataRole.UserRole))
        self.focus_scan()

    def look_up(self, *, text: str | None = None, household_id: str | None = None) -> None:
        rnd = self.round
        if rnd is None:
            self.show_message(tr("No round is open on this laptop: sync to receive the round from the hub."), STOP_STYLE)
            return
        self.seq += 1
        seq, team, started = self.seq, self.team, time.perf_counter()
        refresh, self.names_stale = self.names_stale, False
        self.pending = None
        self.confirm_when_ready = False
        self.looking = True
        self.show_message(tr("Looking up…"), INFO_STYLE)
        self.ctx.run(lambda st: look_up_line(st, rnd, team, text, household_id, refresh),
                     lambda r: self.on_looked_up(seq, started, r),
                     lambda exc: self.on_lookup_failed(seq, exc), owner=self, urgent=True)

    def on_lookup_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self.seq:
            return
        self.looking = False
        self.clear_household()
        self.show_message(error_text(exc), STOP_STYLE)
        self.bump_refusals()

    def on_looked_up(self, seq: int, started: float, result: dict) -> None:
        if seq != self.seq:
            return  # a later scan replaced this one
        self.looking = False
        lookup_ms = (time.perf_counter() - started) * 1000
        self.clear_household()
        if "matches" in result:
            self.show_matches(result["matches"])
            return
        found: receipts.Lookup = result["lookup"]
        verdict = result["verdict"]
        self.pending = Pending(result["household"], found, verdict, started, lookup_ms)
        self.show_household(found)
        if verdict == D.SERVE:
            self.show_message(tr("Entitled. Press Return to record the receipt."), OK_STYLE)
            if self.confirm_when_ready:
                self.confirm()
        else:
            self.show_message(self.refusal_text(found, verdict), STOP_STYLE)
            self.bump_refusals()
        self.enable_entry(verdict == D.SERVE)

    def refusal_text(self, found: receipts.Lookup, verdict: str) -> str:
        if verdict == D.ALREADY:
            f = found.first.fields
            if f.get("collector") == "proxy":
                who = tr("a proxy, {name}").format(name=f.get("proxy_name") or "?")
            else:
                who = tr("the head of household")
            return tr("ALREADY RECEIVED. Do not hand over. First receipt: {at}, desk {desk} (team {team}, user {user}), "
                      "collected by {who}.").format(at=local_time(f.get("at")), desk=f.get("desk", "?"),
                                                    team=f.get("team") or "-", user=f.get("user") or "-", who=who)
        if verdict == D.NOT_ON_LIST:
            return tr("NOT ON THIS TEAM'S LIST for this round. Do not hand over; send the household to its own "
                      "team's desk.")
        if verdict == D.NOT_ELIGIBLE:
            return tr("NOT ELIGIBLE for this round. Do not hand over.")
        return tr("NOTHING DUE: this household is entitled to nothing in this round.")

    def show_household(self, found: receipts.Lookup) -> None:
        f = found.household.fields
        rnd = self.round
        lang = self.ctx.prefs.language
        parts = [tr("Household {ref}").format(ref=f.get("external_ref") or found.household.id)]
        if f.get("head_name"):
            parts.append(str(f["head_name"]))
        if f.get("hh_size") not in (None, ""):
            parts.append(tr("{n} people").format(n=f.get("hh_size")))
        place = ", ".join(str(f[k]) for k in ("settlement", "hromada", "oblast") if f.get(k))
        if place:
            parts.append(place)
        entitled = ", ".join(f"{rnd.item(code).name(lang)}: {qty} {rnd.item(code).unit}"
                             for code, qty in found.entitlement.items() if qty) or tr("nothing")
        self.household.setText(" · ".join(parts) + "\n" + tr("Entitled to: {items}").format(items=entitled))
        for code, spin in self.spins.items():
            qty = found.entitlement.get(code, 0)
            spin.setRange(0, qty)
            spin.setValue(qty)

    def show_matches(self, matches: list) -> None:
        self.matches = matches
        self.matches_list.clear()
        for m in matches:
            extra = " · ".join(x for x in (m.dob, m.settlement) if x)
            it = QListWidgetItem(f"{m.ref}  {m.head_name}" + (f"  ·  {extra}" if extra else ""))
            it.setData(Qt.ItemDataRole.UserRole, m.household)
            self.matches_list.addItem(it)
        self.matches_list.setCurrentRow(0)
        self.matches_list.show()
        self.show_message(tr("{n} household(s) with a name like this. Choose one with the arrow keys and Return.")
                          .format(n=len(matches)), INFO_STYLE)
        self.enable_entry(False)

    # -- saving --------------------------------------------------------------------------------
    def confirm(self) -> None:
        if self.saving:
            return
        if self.pending is None:
            if self.looking:
                self.confirm_when_ready = True  # Return right after the scan: save once the look-up is back
            return
        p = self.pending
        if p.verdict != D.SERVE:
            self.show_message(self.refusal_text(p.lookup, p.verdict), STOP_STYLE)
            return
        items = {code: spin.value() for code, spin in self.spins.items()}
        changed = items != {code: p.lookup.entitlement.get(code, 0) for code in self.spins}
        reason = self.reason.text().strip() or None
        if changed and not reason:
            self.show_message(tr("The quantities differ from the entitlement: type a reason, then press Return."),
                              STOP_STYLE)
            self.reason.setFocus()
            return
        proxy_name = proxy_doc = None
        if self.proxy.isChecked():
            proxy_name, proxy_doc = self.proxy_name.text().strip() or None, self.proxy_doc.text().strip() or None
            if not (proxy_name and proxy_doc):
                self.show_message(tr("A proxy needs a name and a document number."), STOP_STYLE)
                (self.proxy_name if not proxy_name else self.proxy_doc).setFocus()
                return
        rnd, team, hid = self.round, self.team, p.household.id
        self.saving = True
        self.enable_entry(False)
        confirmed = time.perf_counter()
        self.ctx.run(lambda st: save_receipt(st, rnd, team, hid, items if changed else None, reason, proxy_name, proxy_doc),
                     lambda r: self.on_saved(p, confirmed, r), self.on_save_failed, owner=self, urgent=True)

    def on_saved(self, p: Pending, confirmed: float, result: dict) -> None:
        now = time.perf_counter()
        self.saving = False
        save_ms = (now - confirmed) * 1000
        timing = {"lookup_ms": p.lookup_ms, "save_ms": save_ms, "software_ms": p.lookup_ms + save_ms,
                  "scan_to_saved_ms": (now - p.started) * 1000}
        self.timings.append(timing)
        receipt: D.RecentReceipt = result["receipt"]
        self.pending = None
        self.clear_household()
        self.show_message(tr("Saved: household {ref} received. Next card, please. ({ms:.0f} ms)")
                          .format(ref=receipt.ref, ms=timing["software_ms"]), OK_STYLE)
        if self.summary is not None:
            s = self.summary
            s.served += 1
            s.served_here += 1
            s.proxies += receipt.collector == "proxy"
            s.recent.insert(0, receipt)
            del s.recent[RECENT:]
            s.balances = result["balances"]
            self.show_counts(s)
            self.add_recent(receipt)  # one row in, the oldest out: no list rebuilt after each receipt
        self.reset_entry()
        self.ctx.saved(shown=False)  # counted above; no other screen lists receipts
        self.saved.emit(receipt.receipt)
        self.focus_scan()

    def on_save_failed(self, exc: BaseException) -> None:
        self.saving = False
        if isinstance(exc, RoundError):
            self.pending = None
            self.load()  # the round list as the store has it now
        self.show_message(error_text(exc), STOP_STYLE)
        if isinstance(exc, (AlreadyReceived, NotEntitled)):
            self.bump_refusals()
            self.pending = None
        else:
            self.enable_entry(True)
        self.focus_scan()

    # -- void ------------------------------------------------------------------------------------
    def on_void_clicked(self) -> None:
        item = self.recent.currentItem()
        if item is None or not item.data(Qt.ItemDataRole.UserRole):
            self.show_message(tr("Choose a receipt in the list to void."), STOP_STYLE)
            return
        reason = self.void_reason.text().strip()
        if not reason:
            self.show_message(tr("Type the reason for voiding, then press Void receipt."), STOP_STYLE)
            self.void_reason.setFocus()
            return
        rid = item.data(Qt.ItemDataRole.UserRole)

        def done(_record) -> None:
            self.void_reason.clear()
            self.show_message(tr("Receipt voided. The void syncs, and is kept in the audit log."), INFO_STYLE)
            self.ctx.saved()

        self.ctx.run(lambda st: receipts.void_receipt(st, rid, reason=reason), done,
                     lambda exc: self.show_message(error_text(exc), STOP_STYLE), owner=self)

    # -- counts ----------------------------------------------------------------------------------
    def on_records_changed(self) -> None:
        self.names_stale = True
        self.refresh_timer.start()  # a sync brings many changes at once: count once they stop

    def refresh_summary(self) -> None:
        rnd = self.round
        if rnd is None or self.ctx.store is None:
            return
        self.ctx.run(lambda st: D.summary(st, rnd, recent=RECENT, pace=give_way), self.on_summary, self.on_failed, owner=self)

    def on_summary(self, s: D.Summary) -> None:
        self.summary = s
        self.show_summary(s)

    def bump_refusals(self) -> None:
        if self.summary is not None:
            self.summary.refusals += 1
            self.show_counts(self.summary)

    def show_summary(self, s: D.Summary) -> None:
        if self.round is None:
            return
        self.show_counts(s)
        current = self.recent.currentItem().data(Qt.ItemDataRole.UserRole) if self.recent.currentItem() else None
        self.recent.clear()
        for r in s.recent:
            it = self.recent_item(r)
            self.recent.addItem(it)
            if r.receipt == current:
                self.recent.setCurrentItem(it)

    def show_counts(self, s: D.Summary) -> None:
        """The counts and the stock: a few labels, cheap enough to set after every receipt."""
        rnd = self.round
        if rnd is None:
            return
        lang = self.ctx.prefs.language
        self.counts.setText(tr("Served: {served} (at this desk: {here})\nBy a proxy: {proxies}\nRefused: {refused}\n"
                               "Voided: {voided}").format(served=s.served, here=s.served_here, proxies=s.proxies,
                                                          refused=s.refusals, voided=s.voided))
        self.doubles.setText(tr("{n} household(s) served twice: a supervisor voids one receipt of each.")
                             .format(n=len(s.doubles)))
        self.doubles.setVisible(bool(s.doubles))
        lines = []
        for item in rnd.items:
            b = s.balances.get(item.code)
            if b is None or not b.tracked:
                lines.append(tr("{item}: not tracked").format(item=item.name(lang)))
                continue
            mark = item.low_stock if item.low_stock is not None else LOW_STOCK
            text = tr("{item}: {left} {unit} left").format(item=item.name(lang), left=b.balance, unit=item.unit)
            if b.balance <= mark:
                text = "<span style='color:#b00020; font-weight:600'>" + text + " — " + tr("running low") + "</span>"
            lines.append(text)
        self.stock.setText("<br>".join(lines))

    def recent_item(self, r: D.RecentReceipt) -> QListWidgetItem:
        items = ", ".join(f"{code} {qty}" for code, qty in r.items.items() if qty)
        who = tr("proxy") if r.collector == "proxy" else tr("head")
        text = f"{local_time(r.at, with_date=False)}  {r.ref}  {r.head_name}  ·  {items}  ·  {who}"
        if r.voided:
            text = tr("VOID") + "  " + text
        it = QListWidgetItem(text)
        it.setData(Qt.ItemDataRole.UserRole, None if r.voided else r.receipt)
        return it

    def add_recent(self, r: D.RecentReceipt) -> None:
        self.recent.insertItem(0, self.recent_item(r))
        while self.recent.count() > RECENT:
            self.recent.takeItem(self.recent.count() - 1)

    # -- small helpers -----------------------------------------------------------------------------
    def show_message(self, text: str, style: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(style)

    def show_idle(self) -> None:
        if self.round is None:
            self.show_message(tr("No round is open on this laptop: sync to receive the round from the hub."), INFO_STYLE)
        else:
            self.show_message(tr("Scan the next card."), INFO_STYLE)

    def clear_household(self) -> None:
        self.household.setText("")
        self.matches_list.hide()
        self.matches_list.clear()
        self.matches = []
        for spin in self.spins.values():
            spin.setRange(0, 0)
        self.enable_entry(False)

    def reset_entry(self) -> None:
        self.reason.clear()
        self.proxy.setChecked(False)
        self.proxy_name.clear()
        self.proxy_doc.clear()

    def enable_entry(self, on: bool) -> None:
        for w in (*self.spins.values(), self.reason, self.proxy, self.record_button):
            w.setEnabled(on)
        self.on_proxy_toggled(self.proxy.isChecked() and on)

    def on_proxy_toggled(self, on: bool) -> None:
        self.proxy_name.setEnabled(on)
        self.proxy_doc.setEnabled(on)
        if on and self.sender() is self.proxy:
            self.proxy_name.setFocus()

    def focus_scan(self) -> None:
        """The keyboard back to the scan line, when the Desk is the screen shown: a look-up or
        a count that comes back late must never pull the keyboard off another screen."""
        if self.isVisible():
            self.scan.setFocus()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.scan.setFocus()  # the scanner types into the desk as soon as it is shown

    def clear(self) -> None:
        self.seq += 1  # a look-up still in flight is dropped
        self.looking = False
        self.pending = None
        self.confirm_when_ready = False
        self.scan.clear()
        self.clear_household()
        self.reset_entry()
        self.show_idle()
        self.focus_scan()

    def on_failed(self, exc: BaseException) -> None:
        self.show_message(error_text(exc), STOP_STYLE)
