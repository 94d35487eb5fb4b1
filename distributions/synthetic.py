"""Synthetic registration lists with ground truth, for tests and bench/registry.py.

Deterministic by seed. Every person is made up. A list holds households in real
oblasts, raions, hromadas and settlements, heads named with realistic frequencies
(Мельник, Шевченко, Коваленко, Бондаренко... are common, and a long tail is rare),
and about ``dup_rate`` of households registered again with labelled variations:

  script, old_translit, polish_translit, russian_form, russian_latin, order, no_patronymic, initials,
  keyboard_typo, i_y_typo, e_ye_typo, dropped_letter, lookalike, apostrophe, case_spaces,
  date_format, date_swap, date_placeholder, date_typo, no_dob, phone_format, changed_sim, no_phone,
  doc_format, doc_lookalike, doc_missing, new_document, moved, two_phones

Each household lists its members (``members``: a JSON list of objects with name, relation,
dob and sex): a spouse, children, now and then a parent. About ``spouse_rate`` of
households are registered a second time by the spouse instead of the head (variation
``spouse``): the spouse heads that registration, the first head is listed as the spouse,
the children appear in both (a child may be left out), often with the family phone, in
either script, under the wife's maiden surname now and then.

It also plants the people a matcher must not pair, labelled by kind: twins, siblings,
parent_child, namesakes, neighbours, and moved_out (an adult child listed among the
parents' members who heads a household of their own, with a spouse and children). Each
of them lists their own family. And it does what real lists do besides: teams
write dates each their own way (one exports month first, one spreadsheet turns them
into serial numbers), an office phone or a placeholder stands in for many people,
names come in capitals, with extra spaces or a comma after the surname, and a family
shares one phone.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from dataclasses import dataclass, field

from translitua import translit

from . import names as NM
from .normalise import make_rnokpp

TOP_SURNAMES = (
    "Мельник", "Шевченко", "Коваленко", "Бондаренко", "Бойко", "Ткаченко", "Кравченко", "Ковальчук",
    "Коваль", "Олійник", "Шевчук", "Поліщук", "Ткачук", "Бондар", "Марченко", "Руденко", "Савченко",
    "Лисенко", "Мороз", "Петренко", "Клименко", "Павленко", "Кравчук", "Кузьменко", "Кушнір",
    "Левченко", "Харченко", "Сидоренко", "Гаврилюк", "Карпенко", "Романенко", "Литвиненко", "Пономаренко",
    "Мазур", "Приходько", "Савчук", "Василенко", "Дем'яненко", "Григор'єв", "Мар'янчук", "Гончаренко", "Шевцов", "Іваненко",
    "Тарасенко", "Мартинюк", "Левчук", "Лук'яненко", "Юрченко", "Нестеренко", "Мельничук", "Зінченко",
    "Герасименко",
)
_ROOTS = (
    "Андрі", "Гнат", "Дан", "Дорош", "Гордій", "Кирил", "Мирон", "Охрім", "Панас", "Сидор", "Тимош", "Федор",
    "Хом", "Яцен", "Гриц", "Лук", "Мус", "Остап", "Прокоп", "Стец", "Юхим", "Бабі", "Гайдай", "Довган",
    "Жук", "Заїч", "Зозул", "Кизим", "Кулик", "Лозов", "Мирош", "Нагорн", "Оліфір", "Пилип", "Рибал",
    "Семен", "Солов'й", "Дем'ян", "Лук'ян", "П'ятак", "В'ятр", "Тесл", "Устим", "Фесен", "Цимбал", "Чорновол", "Шаповал", "Щерб", "Ярем", "Гуц",
    "Вакул", "Грищ", "Дзюб", "Єрем", "Кобз", "Лесик", "Мацк", "Наум", "Оверк", "Пасічн", "Рудн", "Сав",
    "Бурлак", "Величк", "Гулй", "Демч", "Ємел", "Забол", "Ігнат", "Карп", "Лагод", "Мамай", "Нечипор",
)
_SUFFIXES = ("енко", "ук", "юк", "чук", "ишин", "ів", "ак", "ко", "ський", "ович", "ей", "ан")

GEOGRAPHY = {
    "Київська": {"Бучанський": {"Бучанська": ["Буча", "Ворзель"], "Ірпінська": ["Ірпінь", "Гостомель"]},
                 "Броварський": {"Броварська": ["Бровари", "Княжичі"]}},
    "Харківська": {"Харківський": {"Харківська": ["Харків"], "Мереф'янська": ["Мерефа"]},
                   "Ізюмський": {"Ізюмська": ["Ізюм"], "Балаклійська": ["Балаклія", "Савинці"]}},
    "Дніпропетровська": {"Дніпровський": {"Дніпровська": ["Дніпро"]},
                         "Павлоградський": {"Павлоградська": ["Павлоград"]}},
    "Запорізька": {"Запорізький": {"Запорізька": ["Запоріжжя"], "Вільнянська": ["Вільнянськ"]}},
    "Миколаївська": {"Миколаївський": {"Миколаївська": ["Миколаїв"]},
                     "Баштанський": {"Баштанська": ["Баштанка"]}},
    "Херсонська": {"Херсонський": {"Херсонська": ["Херсон"], "Білозерська": ["Білозерка"]}},
    "Чернігівська": {"Чернігівський": {"Чернігівська": ["Чернігів"]},
                     "Ніжинський": {"Ніжинська": ["Ніжин"]}},
    "Сумська": {"Сумський": {"Сумська": ["Суми"]}, "Охтирський": {"Охтирська": ["Охтирка"]}},
    "Донецька": {"Краматорський": {"Краматорська": ["Краматорськ"], "Слов'янська": ["Слов'янськ"]}},
    "Одеська": {"Одеський": {"Одеська": ["Одеса"]}, "Ізмаїльський": {"Ізмаїльська": ["Ізмаїл"]}},
}
# Given names the matcher's table does not know: real lists have hundreds of rare names,
# and a matcher tuned only on its own table would look better than it is.
RARE_MALE = ("Святозар", "Любомир", "Богуслав", "Ізяслав", "Орест", "Нестор", "Лука", "Марко", "Тимур",
             "Северин", "Добромир", "Зорян", "Устим", "Охрім", "Мирон", "Захар", "Платон", "Еміль")
RARE_FEMALE = ("Зоряна", "Богдана", "Ореста", "Соломія", "Злата", "Мілана", "Емілія", "Адріана", "Веселина",
               "Устина", "Еліна", "Кіра", "Ельвіра", "Олеся", "Леся", "Стефанія", "Ростислава", "Маргарита")
_PLACES = [(o, r, h, s) for o, rs in GEOGRAPHY.items() for r, hs in rs.items() for h, ss in hs.items() for s in ss]
_OPERATORS = ("50", "66", "95", "99", "67", "68", "96", "97", "98", "63", "73", "93")
# ЙЦУКЕН neighbours, for keyboard typing errors.
_ROWS = ("йцукенгшщзхї", "фівапролджє", "ячсмитьбю")
_NEIGHBOURS = {}
for _row in _ROWS:
    for _i, _c in enumerate(_row):
        _NEIGHBOURS[_c] = (_row[_i - 1] if _i else "") + (_row[_i + 1] if _i + 1 < len(_row) else "")
_LOOKALIKE = {"а": "a", "е": "e", "і": "i", "о": "o", "с": "c", "р": "p", "х": "x", "у": "y", "к": "k"}
_RU_SPELLING = str.maketrans({"и": "ы", "і": "и", "є": "е", "ї": "и", "'": "", "’": ""})
_RU_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y",
    "ь": "", "э": "e", "ю": "yu", "я": "ya",
}

VARIATIONS = (
    "script", "old_translit", "polish_translit", "russian_form", "russian_latin", "order", "no_patronymic", "initials",
    "keyboard_typo", "i_y_typo", "e_ye_typo", "dropped_letter", "lookalike", "apostrophe", "case_spaces",
    "date_format", "date_swap", "date_placeholder", "date_typo", "no_dob", "phone_format", "changed_sim", "no_phone",
    "doc_format", "doc_lookalike", "doc_missing", "new_document", "moved", "two_phones",
)
SPOUSE = "spouse"
NEGATIVES = ("twins", "siblings", "parent_child", "namesakes", "neighbours", "moved_out")


@dataclass
class Person:
    surname: str
    given: str
    given_ru: str
    female: bool
    father: str  # father's Ukrainian given name
    father_ru: str
    dob: dt.date
    dob_unknown_day: bool
    phone: str | None
    passport: str | None
    id_card: str | None
    tax: str | None
    place: tuple
    # The people the household lists besides its head. Spouses list each other: left out
    # of == and repr, which would go round that circle.
    family: Family | None = field(default=None, compare=False, repr=False)

    def patronymic(self) -> str:
        return NM.patronymic_uk(self.father, self.female)

    def patronymic_ru(self) -> str:
        return NM.patronymic_ru(self.father_ru, self.female)


@dataclass
class Family:
    """Who a household lists besides its head. Kept on the head's Person, so a
    re-registration of the head lists the same people."""

    spouse: Person | None = None
    children: list[Person] = field(default_factory=list)
    parent: Person | None = None


@dataclass
class Dataset:
    rows: list[dict]
    duplicates: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    negatives: dict[tuple[str, str], str] = field(default_factory=dict)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        r = self.r
        tail = sorted({root + suf for root in _ROOTS for suf in _SUFFIXES})
        # Zipf-like weights: the top names are common, the tail is long and thin.
        self.surnames = list(TOP_SURNAMES) + tail
        self.surname_w = [30 / (i + 1) ** 0.5 for i in range(len(TOP_SURNAMES))] + [0.35] * len(tail)
        self.male = [m for m in NM.MALE]
        self.female = [f for f in NM.FEMALE]
        self.serial = 0
        self.office_phones = [self.new_phone() for _ in range(3)]
        self.team_formats = {"north": "dots", "south": "iso", "east": "slash", "west": "serial"}
        r.shuffle(self.surnames[len(TOP_SURNAMES):])
        # Families are drawn from their own stream (and number their own tax numbers), so
        # adding members left every head's draws, and so the lists' heads, as they were.
        self.family_r = random.Random(seed * 7919 + 17)
        self.family_serial = 50_000_000

    @contextlib.contextmanager
    def family_draws(self):
        """Draw from the family stream inside the block (new_person and the variations
        then make family members without touching the heads' stream)."""
        if self.r is self.family_r:  # already inside
            yield self.r
            return
        saved = self.r, self.serial
        self.r, self.serial = self.family_r, self.family_serial
        try:
            yield self.r
        finally:
            self.family_serial = self.serial
            self.r, self.serial = saved

    # -- people ----------------------------------------------------------------------
    def new_phone(self) -> str:
        return "+380" + self.r.choice(_OPERATORS) + "".join(self.r.choice("0123456789") for _ in range(7))

    def new_docs(self, dob: dt.date, female: bool) -> tuple[str | None, str | None, str | None]:
        r = self.r
        self.serial += 1
        passport = id_card = tax = None
        kind = r.random()
        if kind < (0.55 if dob.year < 1980 else 0.25):
            passport = r.choice("АВЕКМНОРСТ") + r.choice("АВЕКМНОРСТ") + f"{r.randrange(10**6):06d}"
        elif kind < 0.85:
            id_card = f"{r.randrange(10**9):09d}"
        if r.random() < 0.5:
            tax = make_rnokpp(dob, self.serial, female)
        return passport, id_card, tax

    def pick_given(self, female: bool) -> tuple[str, str]:
        if self.r.random() < 0.08:
            name = self.r.choice(RARE_FEMALE if female else RARE_MALE)
            return name, name
        table = self.female if female else self.male
        uk, ru, _ = self.r.choices(table, weights=[w for *_, w in table])[0]
        return uk, ru

    def new_person(self, *, surname=None, female=None, dob=None, father=None, place=None, phone=None) -> Person:
        r = self.r
        female = r.random() < 0.6 if female is None else female
        given, given_ru = self.pick_given(female)
        if father is None:
            father = self.pick_given(False)
        if dob is None:
            dob = dt.date(1935, 1, 1) + dt.timedelta(days=r.randrange(365 * 70))
        unknown_day = r.random() < 0.02
        if unknown_day:
            dob = dob.replace(month=1, day=1)
        passport, id_card, tax = self.new_docs(dob, female)
        if phone is None:
            phone = None if r.random() < 0.06 else self.new_phone()
        return Person(surname or r.choices(self.surnames, weights=self.surname_w)[0], given, given_ru, female,
                      father[0], father[1], dob, unknown_day, phone, passport, id_card, tax,
                      place or r.choice(_PLACES))

    # -- writing a row ---------------------------------------------------------------
    def fmt_date(self, d: dt.date, style: str) -> str:
        if style == "iso":
            return d.isoformat()
        if style == "slash":
            return f"{d.month}/{d.day}/{d.year}"
        if style == "serial":
            return str((d - dt.date(1899, 12, 30)).days)
        return d.strftime("%d.%m.%Y")

    def fmt_phone(self, p: str | None, style: int) -> str:
        if not p:
            return ""
        n = p[4:]
        return (p, "0" + n, f"0{n[:2]}-{n[2:5]}-{n[5:7]}-{n[7:]}", "380" + n, n,
                f"+380 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}")[style]

    def row(self, p: Person, ref: str, team: str, name: str | None = None, **over) -> dict:
        r = self.r
        doc_type, doc_number = "", ""
        if p.passport:
            doc_type, doc_number = "passport", p.passport
        elif p.id_card:
            doc_type, doc_number = "id_card", p.id_card
        elif p.tax:
            doc_type, doc_number = "rnokpp", p.tax
        phone = p.phone
        if phone and r.random() < 0.02:
            phone = r.choice(self.office_phones)  # registered with the office's number
        row = {
            "reg_id": ref, "ref": ref, "team": team,
            "head_name": name or f"{p.surname} {p.given} {p.patronymic()}",
            "dob": self.fmt_date(p.dob, self.team_formats[team]),
            "phone": self.fmt_phone(phone, r.randrange(6)),
            "doc_type": doc_type, "doc_number": doc_number,
            "tax_number": p.tax if p.tax and doc_type != "rnokpp" else "",
            "oblast": p.place[0], "raion": p.place[1], "hromada": p.place[2], "settlement": p.place[3],
            "hh_size": str(r.randint(1, 7)),
        }
        if r.random() < 0.03:
            row["head_name"] = row["head_name"].upper()
        if r.random() < 0.01:
            row["dob"] = ""  # not asked, or not known
        row.update(over)
        row["members"] = self.members_cell(p, row["head_name"])
        return row

    # -- families ----------------------------------------------------------------------
    def family_of(self, p: Person) -> Family:
        if p.family is None:
            with self.family_draws():
                p.family = _new_family(self, p)
        return p.family

    def members_cell(self, p: Person, head_name: str) -> str:
        """The household's members as a JSON list, written in the head's script (now and
        then in Latin whatever the head's)."""
        fam = self.family_of(p)
        with self.family_draws() as fr:
            latin = not any("\u0400" <= c <= "\u04ff" for c in head_name) or fr.random() < 0.1
            listed = [(m, "spouse") for m in (fam.spouse,) if m] + [(m, "child") for m in fam.children] \
                + [(m, "parent") for m in (fam.parent,) if m]
            return json.dumps([_member(fr, m, rel, latin) for m, rel in listed], ensure_ascii=False)


_RELATIONS = {
    ("spouse", True): ("дружина", "дружина", "wife", "spouse"), ("spouse", False): ("чоловік", "чоловік", "husband", "spouse"),
    ("child", True): ("донька", "дочка", "daughter", "child"), ("child", False): ("син", "син", "son", "child"),
    ("parent", True): ("мати", "mother"), ("parent", False): ("батько", "father"),
}
_TODAY = dt.date(2025, 6, 1)


def gendered_surname(surname: str, female: bool) -> str:
    """A surname in a man's or a woman's form (Лозовський / Лозовська, Шевцов / Шевцова);
    -енко, -чук, -ук are the same for both."""
    if female:
        if surname.endswith("ський"):
            return surname[:-2] + "а"
        if surname.endswith(("ов", "ев", "єв", "ін", "ин")):
            return surname + "а"
        return surname
    if surname.endswith("ська"):
        return surname[:-1] + "ий"
    if surname.endswith(("ова", "ева", "єва", "іна", "ина")):
        return surname[:-1]
    return surname


def _older(d: dt.date, years: int, days: int = 0) -> dt.date:
    try:
        return d.replace(year=d.year + years) + dt.timedelta(days=days)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28) + dt.timedelta(days=days)


def _spouse_for(g: Generator, p: Person) -> Person:
    r = g.r
    female = not p.female
    dob = p.dob + dt.timedelta(days=r.randint(-6 * 365, 6 * 365))
    if _TODAY.year - dob.year < 18:
        dob = _older(dob, -3)
    maiden = r.random() < 0.15
    surname = r.choices(g.surnames, weights=g.surname_w)[0] if maiden else p.surname
    phone = p.phone if r.random() < 0.3 else None
    q = g.new_person(surname=gendered_surname(surname, female), female=female, dob=dob, place=p.place, phone=phone)
    q.family = Family()  # a spouse's own relatives are not listed
    return q


def _children_for(g: Generator, p: Person, spouse: Person | None) -> list[Person]:
    r = g.r
    mother = p if p.female or spouse is None else spouse
    father = p if not p.female else spouse
    kids = []
    for _ in range(r.choice((0, 0, 1, 1, 1, 2, 2, 3))):
        dob = _older(mother.dob, r.randint(19, 40), r.randrange(365))
        if dob >= _TODAY:
            continue
        female = r.random() < 0.5
        dad = (father.given, father.given_ru) if father else None
        q = g.new_person(surname=gendered_surname(p.surname, female), female=female, dob=dob, father=dad,
                         place=p.place, phone=p.phone)
        q.family = Family()
        kids.append(q)
    return kids


def _new_family(g: Generator, p: Person) -> Family:
    """A spouse for most adults, children born to the couple, now and then an old parent."""
    r = g.r
    age = _TODAY.year - p.dob.year
    spouse = _spouse_for(g, p) if age >= 21 and r.random() < 0.6 else None
    children = _children_for(g, p, spouse) if age >= 20 else []
    parent = None
    if 30 <= age <= 60 and r.random() < 0.06:
        parent = g.new_person(surname=p.surname, dob=_older(p.dob, -r.randint(20, 35)), place=p.place)
        parent.family = Family()
    return Family(spouse, children, parent)


def _member(r: random.Random, m: Person, relation: str, latin: bool) -> dict:
    """One member as a registration form records them: the name in full, without the
    patronymic, or the first name alone; the relation in Ukrainian or English."""
    form = r.random()
    if form < 0.6:
        name = f"{m.surname} {m.given} {m.patronymic()}"
    elif form < 0.8:
        name = f"{m.surname} {m.given}"
    elif form < 0.95:
        name = m.given
    else:
        name = f"{m.given} {m.surname}"
    out = {"name": translit(name) if latin else name, "relation": r.choice(_RELATIONS[relation, m.female]),
           "sex": "f" if m.female else "m"}
    if r.random() < 0.9:
        out["dob"] = m.dob.isoformat() if r.random() < 0.5 else m.dob.strftime("%d.%m.%Y")
    return out


def _latin_old(text: str, r: random.Random) -> str:
    """An older passport spelling: the 2010 table, then the habits it replaced."""
    s = translit(text)
    for old, new in (("ii ", "iy "), ("yi ", "iy "), ("kh", "h"), ("Kh", "H"), ("ks", "x"), ("Hr", "Gr"),
                     ("ia", "ya"), ("iu", "yu"), ("Yu", "Iu"), ("zh", "j")):
        if r.random() < 0.6:
            s = (s + " ").replace(old, new).rstrip()
    if s.endswith("ii") and r.random() < 0.7:
        s = s[:-2] + r.choice(("iy", "y", "ij"))
    return s


_POLISH = {
    "а": "a", "б": "b", "в": "w", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "je", "ж": "ż", "з": "z",
    "и": "y", "і": "i", "ї": "ji", "й": "j", "к": "k", "л": "ł", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz",
    "щ": "szcz", "ь": "", "ю": "ju", "я": "ja", "'": "",
}


def _by_table(table: dict[str, str], text: str) -> str:
    """``text`` spelt letter by letter through ``table``, keeping capitals."""
    out = []
    for c in text:
        low = c.lower()
        t = table.get(low, c)
        out.append(t.capitalize() if c != low else t)
    return "".join(out)


def _polish_latin(text: str) -> str:
    """The Polish way of writing a Ukrainian name (lists made in Poland)."""
    return _by_table(_POLISH, text)


def _russian_latin(text: str) -> str:
    return _by_table(_RU_LATIN, text)


def _typo(word: str, r: random.Random, kind: str) -> str:
    low = word.lower()
    idx = [i for i in range(1, len(low))]
    if kind == "keyboard_typo":
        idx = [i for i in idx if _NEIGHBOURS.get(low[i])]
        if not idx:
            return word
        i = r.choice(idx)
        return word[:i] + r.choice(_NEIGHBOURS[low[i]]) + word[i + 1:]
    if kind == "i_y_typo":
        idx = [i for i in idx if low[i] in "иі"]
        if not idx:
            return word
        i = r.choice(idx)
        return word[:i] + ("і" if low[i] == "и" else "и") + word[i + 1:]
    if kind == "e_ye_typo":
        idx = [i for i in idx if low[i] in "еє"]
        if not idx:
            return word
        i = r.choice(idx)
        return word[:i] + ("є" if low[i] == "е" else "е") + word[i + 1:]
    if kind == "dropped_letter" and len(word) > 4:
        i = r.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1:]
    return word


@dataclass
class _Draft:
    """A re-registration being made: the person as recorded, the name's parts as typed,
    and field overrides."""

    g: Generator
    p: Person
    q: Person
    surname: str
    given: str
    patr: str
    over: dict = field(default_factory=dict)


# Each variation's maker changes the draft and says whether the variation applied (a
# date swap of 20.05 cannot apply, for one). A variation without a maker changes only the
# name as typed or the row, later. The random draws must stay in this order: a seed makes
# the same list every time.

def _russian_form(d: _Draft, kind: str) -> bool:
    d.surname, d.given, d.patr = d.surname.lower().translate(_RU_SPELLING).capitalize(), d.p.given_ru, \
        d.p.patronymic_ru()
    return True


def _typing_error(d: _Draft, kind: str) -> bool:
    r = d.g.r
    if r.random() < 0.5:
        new = _typo(d.surname, r, kind)
        if new == d.surname:
            return False
        d.surname = new
    else:
        new = _typo(d.given, r, kind)
        if new == d.given:
            return False
        d.given = new
    return True


def _date_swap(d: _Draft, kind: str) -> bool:
    dob = d.p.dob
    if dob.day > 12 or dob.day == dob.month:
        return False
    d.q.dob = dob.replace(day=dob.month, month=dob.day)
    return True


def _date_placeholder(d: _Draft, kind: str) -> bool:
    if d.p.dob_unknown_day:
        return False
    d.q.dob = d.p.dob.replace(day=1, month=1)
    return True


def _date_typo(d: _Draft, kind: str) -> bool:
    r, dob = d.g.r, d.p.dob
    options = []
    for delta in (1, -1, 10, -10):
        try:
            options.append(dob.replace(day=dob.day + delta))
        except ValueError:
            pass
    try:
        options.append(dob.replace(year=dob.year + r.choice((1, -1))))
    except ValueError:  # 29 February
        pass
    d.q.dob = r.choice(options)
    return True


def _no_dob(d: _Draft, kind: str) -> bool:
    d.over["dob"] = ""
    return True


def _changed_sim(d: _Draft, kind: str) -> bool:
    d.q.phone = d.g.new_phone()
    return True


def _no_phone(d: _Draft, kind: str) -> bool:
    if not d.p.phone:
        return False
    d.q.phone = None
    return True


def _doc_missing(d: _Draft, kind: str) -> bool:
    if not (d.p.passport or d.p.id_card or d.p.tax):
        return False
    d.q.passport = d.q.id_card = d.q.tax = None
    return True


def _new_document(d: _Draft, kind: str) -> bool:
    if not d.p.passport:
        return False
    d.q.passport, d.q.id_card = None, f"{d.g.r.randrange(10**9):09d}"
    return True


def _moved(d: _Draft, kind: str) -> bool:
    d.q.place = d.g.r.choice(_PLACES)
    return True


_VARIANT_MAKERS = {
    "russian_form": _russian_form, "russian_latin": _russian_form,
    "keyboard_typo": _typing_error, "dropped_letter": _typing_error, "i_y_typo": _typing_error,
    "e_ye_typo": _typing_error,
    "date_swap": _date_swap, "date_placeholder": _date_placeholder, "date_typo": _date_typo, "no_dob": _no_dob,
    "changed_sim": _changed_sim, "no_phone": _no_phone, "doc_missing": _doc_missing,
    "new_document": _new_document, "moved": _moved,
}


def _name_parts(d: _Draft, applied: list[str]) -> list[str]:
    parts = [d.surname, d.given, d.patr]
    if "no_patronymic" in applied:
        parts = [d.surname, d.given]
    if "order" in applied:
        parts = [d.given, d.patr, d.surname] if len(parts) == 3 else [d.given, d.surname]
    if "initials" in applied:
        parts = [d.surname, d.given[0] + "."] + ([d.patr[0] + "."] if "no_patronymic" not in applied else [])
    return parts


def _latin_spelling(text: str, applied: list[str], r: random.Random) -> str:
    if "russian_latin" in applied:
        return _russian_latin(text)
    if "polish_translit" in applied:
        return _polish_latin(text)
    if "script" in applied:
        return translit(text)
    if "old_translit" in applied:
        return _latin_old(text, r)
    return text


def _typed_marks(text: str, applied: list[str], r: random.Random) -> str:
    """Lookalike letters, another apostrophe, capitals and stray spaces."""
    if "lookalike" in applied:
        chars = list(text)
        spots = [i for i, c in enumerate(chars) if c in _LOOKALIKE]
        for i in r.sample(spots, min(len(spots), r.randint(1, 3))):
            chars[i] = _LOOKALIKE[chars[i]]
        text = "".join(chars)
    if "apostrophe" in applied:
        text = text.replace("'", r.choice("’ʼ`"))
    if "case_spaces" in applied:
        words_ = text.split()
        text = r.choice((text.upper(), "  ".join(words_) + " ", words_[0] + ", " + " ".join(words_[1:])))
    return text


def _dob_written(d: _Draft, applied: list[str]) -> None:
    if "date_format" in applied and "no_dob" not in applied:
        r, over = d.g.r, d.over
        over["dob"] = d.g.fmt_date(d.q.dob, r.choice(("iso", "dots", "slash", "serial", "short")))
        if over["dob"] and "." in over["dob"] and r.random() < 0.5:
            over["dob"] = d.q.dob.strftime("%d.%m.%y")


def _applied_labels(d: _Draft, applied: list[str]) -> None:
    latin = [k for k in ("russian_latin", "polish_translit", "script", "old_translit") if k in applied]
    for k in latin[1:]:  # one Latin spelling is written; the label says which
        applied.remove(k)
    if "apostrophe" in applied and "'" not in d.surname + d.given:
        applied.remove("apostrophe")


def make_variant(g: Generator, p: Person, kinds: list[str]) -> tuple[Person, str, dict, list[str]]:
    """The same person registered again with the given variations. Returns the person as
    then recorded, the name as typed, field overrides, and the variations that applied."""
    d = _Draft(g, p, Person(**p.__dict__), p.surname, p.given, p.patronymic())
    applied = []
    for kind in kinds:
        maker = _VARIANT_MAKERS.get(kind)
        if maker is None or maker(d, kind):
            applied.append(kind)
    _applied_labels(d, applied)
    text = _latin_spelling(" ".join(_name_parts(d, applied)), applied, g.r)
    text = _typed_marks(text, applied, g.r)
    _dob_written(d, applied)
    return d.q, text, d.over, applied


# Hard negatives: each maker returns a relative or namesake of ``p``, or None when the
# draw made the same person again. The random draws must stay in this order.

def _twin(g: Generator, p: Person, same_phone: str | None) -> Person | None:
    q = g.new_person(surname=p.surname, dob=p.dob, father=(p.father, p.father_ru), place=p.place, phone=same_phone)
    return None if q.given == p.given and q.female == p.female else q


def _sibling(g: Generator, p: Person, same_phone: str | None) -> Person | None:
    r = g.r
    dob = p.dob + dt.timedelta(days=r.choice((-1, 1)) * r.randint(300, 365 * 15))
    q = g.new_person(surname=p.surname, dob=dob, father=(p.father, p.father_ru), place=p.place, phone=same_phone)
    return None if q.given == p.given and q.female == p.female else q


def _parent_or_child(g: Generator, p: Person, same_phone: str | None) -> Person | None:
    r = g.r
    years = r.randint(18, 40)
    try:
        dob = p.dob.replace(year=p.dob.year + years) if p.dob.year + years < 2007 else \
            p.dob.replace(year=p.dob.year - years)
    except ValueError:
        dob = p.dob + dt.timedelta(days=365 * years)
    if dob < p.dob:  # a parent: the head's father or mother
        q = g.new_person(surname=p.surname, dob=dob, place=p.place, phone=same_phone, female=r.random() < 0.5)
        if not q.female:
            q.given, q.given_ru = p.father, p.father_ru
        return q
    # an adult child; a son is often named after his father
    female = r.random() < 0.5
    q = g.new_person(surname=p.surname, dob=dob, place=p.place, phone=same_phone, female=female,
                     father=(p.given, p.given_ru) if not p.female else None)
    if not p.female and not female and r.random() < 0.4:
        q.given, q.given_ru = p.given, p.given_ru
    return q


def _namesake(g: Generator, p: Person, same_phone: str | None) -> Person | None:
    r = g.r
    q = g.new_person(surname=p.surname, female=p.female)
    q.given, q.given_ru = p.given, p.given_ru
    if r.random() < 0.3:
        q.father, q.father_ru = p.father, p.father_ru
    if r.random() < 0.3:
        q.dob = q.dob.replace(year=p.dob.year) if not (q.dob.month == 2 and q.dob.day == 29) else q.dob
    return q


def _neighbour(g: Generator, p: Person, same_phone: str | None) -> Person | None:
    # same surname, same settlement, not family
    return g.new_person(surname=p.surname, place=p.place)


_NEGATIVE_MAKERS = {"twins": _twin, "siblings": _sibling, "parent_child": _parent_or_child,
                    "namesakes": _namesake, "neighbours": _neighbour}


def _plant_negatives(g: Generator, data: Dataset, people: list[tuple[Person, str]], teams: list[str],
                     count: int) -> None:
    """Relatives and namesakes of registered people."""
    r, rows = g.r, data.rows
    kinds = tuple(_NEGATIVE_MAKERS)
    for i in range(count):
        p, ref = r.choice(people)
        kind = kinds[i % len(kinds)]
        same_phone = p.phone if r.random() < 0.5 else None
        q = _NEGATIVE_MAKERS[kind](g, p, same_phone)
        if q is None:
            continue
        qref = f"R{len(rows) + 1:07d}"
        rows.append(g.row(q, qref, r.choice(teams)))
        data.negatives[_pair(ref, qref)] = kind
        people.append((q, qref))


def _plant_moved_out(g: Generator, data: Dataset, teams: list[str], count: int) -> None:
    """Parents who still list an adult child among their members, and that child's own
    household (a spouse, children), often in the same settlement: two households."""
    rows = data.rows
    with g.family_draws() as fr:
        for _ in range(count):
            parent = g.new_person(dob=dt.date(1948, 1, 1) + dt.timedelta(days=fr.randrange(365 * 27)))
            fam = g.family_of(parent)
            female = fr.random() < 0.5
            dad = fam.spouse if parent.female else parent
            child = g.new_person(surname=gendered_surname(parent.surname, female), female=female,
                                 dob=_older(parent.dob, fr.randint(20, 30), fr.randrange(365)),
                                 father=(dad.given, dad.given_ru) if dad else None,
                                 place=parent.place if fr.random() < 0.7 else None,
                                 phone=parent.phone if fr.random() < 0.3 else None)
            fam.children.append(child)
            refs = []
            for person in (parent, child):
                refs.append(f"R{len(rows) + 1:07d}")
                rows.append(g.row(person, refs[-1], fr.choice(teams)))
            data.negatives[_pair(*refs)] = "moved_out"


_SPOUSE_SPELLINGS = ([], [], ["script"], ["script"], ["old_translit"], ["order"], ["no_patronymic"],
                     ["russian_form"], ["case_spaces"])


def _register_spouses(g: Generator, data: Dataset, originals: list[tuple[Person, str]], teams: list[str],
                      count: int) -> None:
    """Households registered again by the spouse: the spouse heads the new registration and
    lists the first head as their spouse, and the children (one may be left out)."""
    rows = data.rows
    with g.family_draws() as fr:
        pool = [(p, ref) for p, ref in originals if p.family and p.family.spouse]
        for p, ref in fr.sample(pool, min(count, len(pool))):
            fam = p.family
            spouse = fam.spouse
            spouse.family = Family(spouse=p, children=[c for c in fam.children if fr.random() > 0.1],
                                   parent=fam.parent if fr.random() < 0.5 else None)
            q, text, over, applied = make_variant(g, spouse, list(fr.choice(_SPOUSE_SPELLINGS)))
            q.phone = p.phone if fr.random() < 0.5 else q.phone
            q.place = p.place if fr.random() < 0.9 else fr.choice(_PLACES)
            sref = f"R{len(rows) + 1:07d}"
            row = g.row(q, sref, fr.choice(teams), name=text, **over)
            rows.append(row)
            data.duplicates[_pair(ref, sref)] = (SPOUSE, *applied)


def _vary_row(g: Generator, p: Person, q: Person, row: dict, applied: list[str]) -> None:
    """The variations written into the row's phone and document cells."""
    r = g.r
    if "phone_format" in applied and q.phone:
        row["phone"] = g.fmt_phone(q.phone, r.randrange(6))
    if "two_phones" in applied:
        # A second number in the same cell, the person's own or a relative's.
        other = g.fmt_phone(g.new_phone(), r.randrange(6))
        own = row["phone"] or g.fmt_phone(g.new_phone(), 1)
        row["phone"] = r.choice((f"{own}, {other}", f"{own}; {other}", f"{other}, {own}"))
    if "doc_format" in applied and row["doc_number"]:
        d = row["doc_number"]
        row["doc_number"] = r.choice((f"{d[:2]} {d[2:]}", f"{d[:2]}-{d[2:]}", f"№ {d}", d.lower()))
    if "doc_lookalike" in applied and row["doc_type"] == "passport":
        row["doc_number"] = row["doc_number"][:2].translate(str.maketrans("АВЕКМНОРСТ", "ABEKMHOPCT")) \
            + row["doc_number"][2:]
        if "Н" in p.passport[:2] and r.random() < 0.5:
            row["doc_number"] = row["doc_number"].replace("H", "N", 1)


def _reregistration(g: Generator, p: Person, forced: list[str], ref: str, teams: list[str]) -> tuple[dict, list[str]]:
    """One more registration of ``p`` with a few variations: the row and the variations."""
    r = g.r
    kinds = forced + [k for k in r.sample(VARIATIONS, r.choice((1, 2, 2, 3, 3, 4))) if k not in forced]
    if not {"script", "old_translit", "russian_latin", "polish_translit"} & set(kinds) and r.random() < 0.2:
        kinds.append("script")
    q, text, over, applied = make_variant(g, p, kinds)
    if not applied:
        applied = ["exact_copy"]
    team = r.choice(teams)
    row = g.row(q, ref, team, name=text, **over)
    _vary_row(g, p, q, row, applied)
    return row, applied


def _register_again(g: Generator, rows: list[dict], people: list[tuple[Person, str]], teams: list[str],
                    n_base: int, n_dups: int) -> dict[str, list[tuple[str, tuple]]]:
    """Re-registrations with variations; a few people register three times. Returns each
    original's copies (ref, variations)."""
    r = g.r
    originals = r.sample(people[:n_base], min(n_dups, n_base))
    made = 0
    groups: dict[str, list[tuple[str, tuple]]] = {}
    with_apostrophe = [pr for pr in people[:n_base] if "'" in pr[0].surname + pr[0].given]
    for p, ref in originals:
        if made >= n_dups:
            break
        forced = []
        if with_apostrophe and r.random() < 1 / len(VARIATIONS):
            # Few names have an apostrophe: pick one that does, so the variation is measured.
            p, ref = r.choice(with_apostrophe)
            forced = ["apostrophe"]
        copies = 2 if r.random() < 0.05 else 1
        for _ in range(copies):
            row, applied = _reregistration(g, p, forced, f"R{len(rows) + 1:07d}", teams)
            rows.append(row)
            groups.setdefault(ref, []).append((row["ref"], tuple(applied)))
            made += 1
    return groups


def generate(households: int, *, dup_rate: float = 0.10, spouse_rate: float = 0.02, seed: int = 1) -> Dataset:
    """A registration list of about ``households`` rows (originals, their re-registrations,
    the spouses' registrations and the planted hard negatives), with the ground truth."""
    g = Generator(seed)
    r = g.r
    rows: list[dict] = []
    data = Dataset(rows)
    teams = list(g.team_formats)
    n_dups = int(households * dup_rate)
    n_negative = int(households * 0.08)
    n_spouse = int(households * spouse_rate)
    n_moved = int(households * 0.01)
    n_base = households - n_dups - n_negative - n_spouse - 2 * n_moved
    people: list[tuple[Person, str]] = []
    for i in range(n_base):
        p = g.new_person()
        ref = f"R{len(rows) + 1:07d}"
        rows.append(g.row(p, ref, r.choice(teams)))
        people.append((p, ref))
    _plant_negatives(g, data, people, teams, n_negative)
    groups = _register_again(g, rows, people, teams, n_base, n_dups)
    _register_spouses(g, data, [pr for pr in people[:n_base] if pr[1] not in groups], teams, n_spouse)
    _plant_moved_out(g, data, teams, n_moved)
    # Every pair within one person's registrations is a duplicate; between two copies the
    # differences are both copies' variations.
    for ref, copies_ in groups.items():
        for i, (ca, ka) in enumerate(copies_):
            data.duplicates[_pair(ref, ca)] = ka
            for cb, kb in copies_[i + 1:]:
                data.duplicates[_pair(ca, cb)] = tuple(dict.fromkeys(ka + kb))
    order = list(range(len(rows)))
    r.shuffle(order)
    data.rows = [rows[i] for i in order]
    return data


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    true_pos: int
    false_pos: int
    false_neg: int
    per_variation: dict
    per_negative: dict


def evaluate(found_pairs: set[tuple[str, str]], data: Dataset) -> Score:
    """Precision and recall of found ref pairs against the truth; recall for each variation
    and, for each kind of planted non-duplicate, how many were wrongly paired."""
    truth = set(data.duplicates)
    found = {_pair(a, b) for a, b in found_pairs}
    tp = len(found & truth)
    fp = len(found - truth)
    fn = len(truth - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    per_var: dict[str, list[int]] = {}
    for pair, kinds in data.duplicates.items():
        for kind in kinds:
            stat = per_var.setdefault(kind, [0, 0])
            stat[1] += 1
            stat[0] += pair in found
    per_neg: dict[str, list[int]] = {}
    for pair, kind in data.negatives.items():
        stat = per_neg.setdefault(kind, [0, 0])
        stat[1] += 1
        stat[0] += pair in found
    return Score(round(precision, 4), round(recall, 4), round(f1, 4), tp, fp, fn,
                 {k: {"found": v[0], "of": v[1], "recall": round(v[0] / v[1], 4)} for k, v in sorted(per_var.items())},
                 {k: {"paired": v[0], "of": v[1]} for k, v in sorted(per_neg.items())})


__all__ = ["generate", "evaluate", "Dataset", "Score", "VARIATIONS", "NEGATIVES", "SPOUSE"]
