"""Build Fieldbook's five built-in XLSForms, in English and Ukrainian.

    python resources/forms/build.py            # rewrites the .xlsx files beside this script
    python resources/forms/build.py OUT_DIR    # writes them somewhere else (tests compare the two)

The forms are written here, row by row, the way they would be typed into a
spreadsheet: one ``q(...)`` per survey row, with every translatable text given
as an ("English", "Українська") pair. The output is plain XLSForm, so it opens
in Excel, Kobo and ODK as well as in Fieldbook. Edit the forms here, never in
the .xlsx files, then run this script and commit both.

Place names and P-codes (oblast, raion, hromada) follow the OCHA common
operational dataset for Ukraine (COD-AB). Everything else is synthetic.
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
VERSION = "2026.11.1"
EN, UK = "English (en)", "Українська (uk)"
LANGUAGES = (EN, UK)

# Survey columns in the order they appear on the sheet; a form only gets the ones it uses.
SURVEY_COLUMNS = (
    "type", "name", "label", "hint", "required", "required_message", "relevant",
    "constraint", "constraint_message", "calculation", "choice_filter", "appearance",
    "repeat_count", "parameters", "hxl",
)
TRANSLATED = {"label", "hint", "required_message", "constraint_message"}
PHONE_REGEX = r"regex(., '^\+380[0-9]{9}$')"


def q(type_: str, name: str | None = None, label: tuple[str, str] | None = None, **columns) -> dict:
    """One survey row. Translated columns take an (English, Ukrainian) pair."""
    row = {"type": type_, "name": name, "label": label}
    unknown = set(columns) - set(SURVEY_COLUMNS)
    if unknown:
        raise ValueError(f"unknown survey column(s): {', '.join(sorted(unknown))}")
    row.update(columns)
    return {k: v for k, v in row.items() if v is not None}


def end(kind: str = "group") -> dict:
    return {"type": f"end_{kind}"}


def metadata() -> list[dict]:
    """The metadata every form records: when, on which device, by which enumerator."""
    return [
        q("start", "start", hxl="#date+start"),
        q("end", "end", hxl="#date+end"),
        q("today", "today", hxl="#date+today"),
        q("deviceid", "deviceid", hxl="#meta+device"),
        q("username", "username", hxl="#meta+enumerator"),
    ]


def none_alone(choice: str = "none") -> str:
    """Constraint for a select_multiple whose 'none'-like choice excludes every other."""
    return f"not(selected(., '{choice}')) or count-selected(.) = 1"


def on_or_before_today(name: str, hxl: str, label: tuple[str, str]) -> dict:
    return q("date", name, label, required="yes", constraint=". <= today()",
             constraint_message=("The date cannot be in the future.", "Дата не може бути в майбутньому."), hxl=hxl)


def phone(relevant: str, label: tuple[str, str]) -> dict:
    # Named "phone" so the encrypted store indexes it for exact search (storage/schema.py).
    return q("text", "phone", label, required="yes", relevant=relevant,
             hint=("Mobile number: +380 and 9 digits, e.g. +380671234567.",
                   "Мобільний номер: +380 і 9 цифр, напр. +380671234567."),
             constraint=PHONE_REGEX,
             constraint_message=("Enter the number as +380 followed by 9 digits.",
                                 "Введіть номер у форматі +380 і ще 9 цифр."),
             hxl="#contact+phone")


def comments(name: str = "comments", hxl: str = "#description+comments") -> dict:
    return q("text", name, ("Enumerator's comments", "Коментарі інтерв’юера"), appearance="multiline",
             hint=("Do not write names or other personal details.", "Не записуйте імен чи інших персональних даних."),
             hxl=hxl)


# -- choice lists -------------------------------------------------------------------------
# Each list is [(name, English, Ukrainian, {extra columns}), ...].

# COD-AB P-codes: oblast UA63 -> raion UA6312 -> hromada UA6312027.
GEOGRAPHY = {
    ("UA63", "Kharkivska", "Харківська"): {
        ("UA6312", "Kharkivskyi", "Харківський"): [
            ("UA6312027", "Kharkivska", "Харківська"), ("UA6312015", "Merefianska", "Мереф’янська")],
        ("UA6314", "Chuhuivskyi", "Чугуївський"): [
            ("UA6314017", "Chuhuivska", "Чугуївська"), ("UA6314003", "Zmiivska", "Зміївська")],
    },
    ("UA12", "Dnipropetrovska", "Дніпропетровська"): {
        ("UA1202", "Dniprovskyi", "Дніпровський"): [
            ("UA1202001", "Dniprovska", "Дніпровська"), ("UA1202021", "Pidhorodnenska", "Підгородненська")],
        ("UA1208", "Nikopolskyi", "Нікопольський"): [
            ("UA1208005", "Nikopolska", "Нікопольська"), ("UA1208001", "Marhanetska", "Марганецька")],
    },
    ("UA23", "Zaporizka", "Запорізька"): {
        ("UA2306", "Zaporizkyi", "Запорізький"): [
            ("UA2306007", "Zaporizka", "Запорізька"), ("UA2306003", "Vilnianska", "Вільнянська")],
        ("UA2310", "Polohivskyi", "Пологівський"): [
            ("UA2310017", "Orikhivska", "Оріхівська"), ("UA2310007", "Huliaipilska", "Гуляйпільська")],
    },
}

LISTS: dict[str, list[tuple]] = {
    "oblast": [(code, en, uk, {}) for (code, en, uk) in GEOGRAPHY],
    "raion": [(code, en, uk, {"oblast": oblast[0]})
              for oblast, raions in GEOGRAPHY.items() for (code, en, uk) in raions],
    "hromada": [(code, en, uk, {"oblast": oblast[0], "raion": raion[0]})
                for oblast, raions in GEOGRAPHY.items() for raion, hromadas in raions.items()
                for (code, en, uk) in hromadas],
    "yes_no": [("yes", "Yes", "Так"), ("no", "No", "Ні")],
    "sex": [("female", "Female", "Жіноча"), ("male", "Male", "Чоловіча")],
    "sex_unknown": [("female", "Female", "Жіноча"), ("male", "Male", "Чоловіча"),
                    ("unknown", "Prefers not to say / unknown", "Не бажає вказувати / невідомо")],
    "displacement": [
        ("idp", "Internally displaced (IDP)", "Внутрішньо переміщені особи (ВПО)"),
        ("returnee", "Returned to their home area", "Повернулися до місця постійного проживання"),
        ("host", "Not displaced, hosting IDPs", "Не переміщені, приймають ВПО"),
        ("non_displaced", "Not displaced", "Не переміщені"),
    ],
    "relation": [
        ("head", "Head of household", "Голова домогосподарства"),
        ("spouse", "Wife or husband", "Дружина або чоловік"),
        ("child", "Son or daughter", "Син або донька"),
        ("parent", "Mother or father", "Мати або батько"),
        ("grandchild", "Grandchild", "Онук або онука"),
        ("relative", "Other relative", "Інший родич"),
        ("non_relative", "Not related", "Не родич"),
    ],
    "needs": [
        ("food", "Food", "Продукти харчування"),
        ("water", "Drinking water", "Питна вода"),
        ("hygiene", "Hygiene items", "Засоби гігієни"),
        ("shelter_repair", "Repair of the dwelling", "Ремонт житла"),
        ("heating", "Heating or fuel for winter", "Опалення або паливо на зиму"),
        ("health", "Health care", "Медична допомога"),
        ("medicines", "Medicines", "Ліки"),
        ("cash", "Cash", "Грошова допомога"),
        ("documents", "Documents or legal aid", "Документи або правова допомога"),
        ("psychosocial", "Psychosocial support", "Психосоціальна підтримка"),
        ("education", "Education", "Освіта"),
        ("livelihoods", "Work or livelihoods", "Робота або засоби до існування"),
        ("other", "Other", "Інше"),
    ],
    "shelter": [
        ("undamaged", "Not damaged", "Не пошкоджене"),
        ("light", "Light damage (windows, doors, roof covering)", "Легкі пошкодження (вікна, двері, покрівля)"),
        ("medium", "Medium damage (walls or roof structure; repairable)",
         "Середні пошкодження (стіни або конструкція даху; можна відремонтувати)"),
        ("heavy", "Heavy damage (unsafe to live in)", "Значні пошкодження (небезпечно проживати)"),
    ],
    "income": [
        ("salary", "Salary or regular employment", "Заробітна плата або постійна робота"),
        ("casual", "Casual or seasonal work", "Тимчасова або сезонна робота"),
        ("pension", "Pension", "Пенсія"),
        ("idp_allowance", "State IDP living allowance", "Державна допомога на проживання ВПО"),
        ("social", "Other social benefits", "Інші соціальні виплати"),
        ("humanitarian", "Humanitarian cash assistance", "Гуманітарна грошова допомога"),
        ("remittances", "Money from relatives or friends", "Гроші від родичів або друзів"),
        ("savings", "Savings or selling belongings", "Заощадження або продаж майна"),
        ("none", "No income", "Немає доходу"),
    ],
    "site_type": [
        ("collective_centre", "Collective centre in an existing building", "Колективний центр в існуючій будівлі"),
        ("modular", "Modular housing site", "Модульне містечко"),
        ("transit", "Transit or reception centre", "Транзитний центр або центр прийому"),
        ("informal", "Informal site", "Неформальне поселення"),
    ],
    "building": [
        ("dormitory", "Dormitory", "Гуртожиток"),
        ("school", "School or kindergarten", "Школа або дитячий садок"),
        ("sanatorium", "Hotel, sanatorium or holiday camp", "Готель, санаторій або дитячий табір"),
        ("administrative", "Administrative building", "Адміністративна будівля"),
        ("religious", "Religious building", "Релігійна споруда"),
        ("other", "Other", "Інше"),
    ],
    "ki_role": [
        ("site_manager", "Site manager or administrator", "Керівник або адміністратор МКП"),
        ("authority", "Hromada or oblast administration staff", "Працівник громади або обласної адміністрації"),
        ("resident", "Residents' representative", "Представник мешканців"),
        ("ngo", "NGO staff or volunteer", "Працівник ГО або волонтер"),
        ("health", "Health or social worker", "Медичний або соціальний працівник"),
    ],
    "services": [
        ("drinking_water", "Safe drinking water", "Безпечна питна вода"),
        ("hot_water", "Hot water", "Гаряча вода"),
        ("toilets", "Indoor toilets", "Туалети в приміщенні"),
        ("showers", "Showers", "Душові"),
        ("laundry", "Laundry", "Пральня"),
        ("kitchen", "Shared kitchen", "Спільна кухня"),
        ("heating", "Central or autonomous heating", "Централізоване або автономне опалення"),
        ("generator", "Back-up generator", "Резервний генератор"),
        ("internet", "Internet", "Інтернет"),
        ("medical", "Medical point", "Медичний пункт"),
        ("child_space", "Child-friendly space", "Дружній до дітей простір"),
        ("none", "None of these", "Жодних із перелічених"),
    ],
    "condition": [("good", "Good", "Добрий"), ("adequate", "Adequate", "Задовільний"), ("poor", "Poor", "Поганий")],
    "building_condition": [
        ("good", "No repairs needed", "Ремонт не потрібен"),
        ("minor", "Minor repairs needed", "Потрібен поточний ремонт"),
        ("major", "Major repairs needed", "Потрібен капітальний ремонт"),
        ("unsafe", "Unsafe to live in", "Небезпечна для проживання"),
    ],
    "risks": [
        ("eviction", "Eviction or closure of the site", "Виселення або закриття МКП"),
        ("overcrowding", "Overcrowding", "Переповненість"),
        ("shelling", "Shelling or air strikes", "Обстріли або авіаудари"),
        ("fire", "Fire safety", "Пожежна небезпека"),
        ("privacy", "Lack of privacy", "Брак приватності"),
        ("gbv", "Safety risks for women and girls", "Ризики для безпеки жінок і дівчат"),
        ("utilities", "Power or water cuts", "Відключення електроенергії або води"),
        ("none", "None", "Жодних"),
    ],
    "channel": [
        ("hotline", "Hotline", "Гаряча лінія"),
        ("in_person", "In person (distribution, visit, office)", "Особисто (роздача, візит, офіс)"),
        ("messenger", "Messenger (Viber, Telegram, WhatsApp)", "Месенджер (Viber, Telegram, WhatsApp)"),
        ("email", "Email", "Електронна пошта"),
        ("feedback_box", "Feedback box", "Скринька для звернень"),
        ("community_meeting", "Community meeting", "Зустріч із громадою"),
    ],
    "sector": [
        ("cash", "Multi-purpose cash", "Багатоцільова грошова допомога"),
        ("food", "Food security", "Продовольча безпека"),
        ("shelter", "Shelter and non-food items", "Житло та непродовольчі товари"),
        ("wash", "Water, sanitation and hygiene", "Вода, санітарія та гігієна"),
        ("health", "Health", "Охорона здоров’я"),
        ("protection", "Protection", "Захист"),
        ("education", "Education", "Освіта"),
        ("general", "Not about a programme", "Не стосується конкретної програми"),
    ],
    "feedback_type": [
        ("complaint", "Complaint", "Скарга"),
        ("request", "Request for assistance", "Прохання про допомогу"),
        ("question", "Question or request for information", "Запитання або запит на інформацію"),
        ("suggestion", "Suggestion", "Пропозиція"),
        ("thanks", "Thanks or appreciation", "Подяка"),
    ],
    "category": [
        ("eligibility", "Selection or registration", "Відбір або реєстрація"),
        ("delay", "Delay, or assistance not received", "Затримка або неотримання допомоги"),
        ("quality", "Quantity or quality of assistance", "Кількість або якість допомоги"),
        ("information", "Information about assistance", "Інформація про допомогу"),
        ("access", "Access (distance, disability, queues)", "Доступ (відстань, інвалідність, черги)"),
        ("staff_conduct", "Behaviour of staff or volunteers", "Поведінка працівників або волонтерів"),
        ("fraud", "Fraud or corruption", "Шахрайство або корупція"),
        ("sea", "Sexual exploitation or abuse by aid workers",
         "Сексуальна експлуатація або сексуальне насильство з боку гуманітарних працівників"),
        ("safety", "Safety or security", "Безпека"),
        ("other", "Other", "Інше"),
    ],
    "urgency": [
        ("high", "High: risk to life or safety, act within 24 hours",
         "Висока: загроза життю чи безпеці, реагувати протягом 24 годин"),
        ("medium", "Medium: respond within 7 days", "Середня: відповісти протягом 7 днів"),
        ("low", "Low: respond within 14 days", "Низька: відповісти протягом 14 днів"),
    ],
    "age_group": [
        ("under_18", "Under 18", "До 18 років"),
        ("adult", "18 to 59", "18–59 років"),
        ("older", "60 or over", "60 років і старше"),
        ("unknown", "Unknown", "Невідомо"),
    ],
    "contact_method": [
        ("call", "Phone call", "Телефонний дзвінок"),
        ("sms", "Text message (SMS)", "SMS-повідомлення"),
        ("messenger", "Messenger", "Месенджер"),
    ],
    "distribution_type": [
        ("in_kind", "In-kind (kits)", "Натуральна допомога (набори)"),
        ("cash", "Cash (multi-purpose cash)", "Грошова допомога (багатоцільова)"),
    ],
    "not_received": [
        ("not_informed", "Was not told about the distribution", "Не повідомили про розподіл"),
        ("could_not_reach", "Could not reach the distribution point", "Не змогли дістатися пункту розподілу"),
        ("not_on_list", "Was not on the list", "Не було у списку"),
        ("payment_problem", "Bank or card problem", "Проблема з банком або карткою"),
        ("not_yet", "Still waiting for it", "Ще чекають на допомогу"),
    ],
    "items": [
        ("food_kit", "Food kit", "Продуктовий набір"),
        ("hygiene_kit", "Hygiene kit", "Гігієнічний набір"),
        ("winter_kit", "Winter clothes and blankets", "Зимовий одяг і ковдри"),
        ("solid_fuel", "Solid fuel (briquettes, firewood)", "Тверде паливо (брикети, дрова)"),
        ("shelter_kit", "Shelter repair materials", "Матеріали для ремонту житла"),
        ("kitchen_set", "Kitchen set", "Кухонний набір"),
    ],
    "problems": [
        ("none", "No problems", "Жодних проблем"),
        ("long_wait", "Waited more than an hour", "Чекали понад годину"),
        ("travel", "Difficult or costly travel", "Складний або дорогий проїзд"),
        ("incomplete", "Received less than announced", "Отримали менше, ніж було оголошено"),
        ("quality", "Poor quality of items", "Низька якість товарів"),
        ("unfair", "Unfair selection of recipients", "Несправедливий відбір отримувачів"),
        ("asked_to_pay", "Was asked to pay or give something in return", "Просили заплатити або дати щось натомість"),
        ("disrespect", "Staff were disrespectful", "Персонал поводився неввічливо"),
        ("other", "Other", "Інше"),
    ],
    "cash_use": [
        ("food", "Food", "Продукти харчування"),
        ("rent", "Rent", "Оренда житла"),
        ("utilities", "Utility bills", "Комунальні послуги"),
        ("medicine", "Medicines and health care", "Ліки та медичні послуги"),
        ("heating_fuel", "Fuel for heating", "Паливо для опалення"),
        ("clothes", "Clothes and shoes", "Одяг і взуття"),
        ("hygiene", "Hygiene items", "Засоби гігієни"),
        ("debt", "Paying off debts", "Погашення боргів"),
        ("education", "Education", "Освіта"),
        ("repairs", "Home repairs", "Ремонт житла"),
        ("not_spent", "Not spent yet", "Ще не витратили"),
    ],
    "needs_met": [("fully", "Fully", "Повністю"), ("partly", "Partly", "Частково"), ("not_at_all", "Not at all", "Зовсім ні")],
}


def location(cascade: int = 3, hint_en: str = "", hint_uk: str = "") -> list[dict]:
    """Oblast, then raion and hromada filtered by the answer above (choice_filter)."""
    rows = [q("select_one oblast", "oblast", ("Oblast", "Область"), required="yes", appearance="minimal",
              hint=(hint_en, hint_uk) if hint_en else None, hxl="#adm1+code")]
    if cascade >= 2:
        rows.append(q("select_one raion", "raion", ("Raion", "Район"), required="yes", appearance="minimal",
                      choice_filter="oblast=${oblast}", hxl="#adm2+code"))
    if cascade >= 3:
        rows.append(q("select_one hromada", "hromada", ("Hromada", "Громада"), required="yes", appearance="minimal",
                      choice_filter="raion=${raion}", hxl="#adm3+code"))
    return rows


# -- 1. household needs assessment --------------------------------------------------------
HOUSEHOLD_NEEDS = [
    *metadata(),
    q("note", "intro", (
        "Introduce yourself and your organisation. Explain that the interview takes about 20 minutes, that taking "
        "part is voluntary and does not guarantee assistance, and that answers are kept confidential.",
        "Представтеся та назвіть свою організацію. Поясніть, що інтерв’ю триває близько 20 хвилин, участь у ньому "
        "добровільна й не гарантує отримання допомоги, а відповіді залишаються конфіденційними.")),
    q("select_one yes_no", "consent", ("Does the respondent agree to take part?", "Чи погоджується респондент узяти участь?"),
      required="yes", required_message=("Record the respondent's answer before continuing.",
                                        "Зазначте відповідь респондента, перш ніж продовжити."),
      hxl="#meta+consent"),
    q("begin_group", "assessment", ("Household needs assessment", "Оцінювання потреб домогосподарства"),
      relevant="${consent} = 'yes'"),

    q("begin_group", "location_group", ("Location", "Місцезнаходження"), appearance="field-list"),
    on_or_before_today("assessment_date", "#date+assessed", ("Date of the assessment", "Дата оцінювання")),
    *location(),
    q("text", "settlement", ("Settlement (city, town or village)", "Населений пункт (місто, селище або село)"),
      required="yes", hxl="#loc+name"),
    q("geopoint", "gps", ("GPS location of the interview", "GPS-координати місця інтерв’ю"),
      hint=("Take the point in the street, not inside the home. Skip if there is no signal.",
            "Фіксуйте точку на вулиці, а не в помешканні. Пропустіть, якщо немає сигналу."),
      hxl="#geo+coord"),
    end(),

    q("begin_group", "household", ("Household", "Домогосподарство")),
    q("select_one displacement", "displacement_status", ("Displacement status of the household",
                                                        "Статус переміщення домогосподарства"),
      required="yes", hxl="#respondee+displacement"),
    q("integer", "months_displaced", ("How many months ago did the household leave its home?",
                                      "Скільки місяців тому домогосподарство покинуло своє житло?"),
      relevant="${displacement_status} = 'idp'", required="yes", constraint=". >= 0 and . <= 150",
      constraint_message=("Enter a number of months from 0 to 150.", "Введіть кількість місяців від 0 до 150."),
      hxl="#respondee+months_displaced"),
    q("integer", "hh_size", ("How many people live in the household, including the respondent?",
                             "Скільки осіб проживає в домогосподарстві, включно з респондентом?"),
      hint=("Count the people who usually eat and sleep here.", "Враховуйте осіб, які зазвичай харчуються та ночують тут."),
      required="yes", constraint=". >= 1 and . <= 30",
      constraint_message=("Household size must be from 1 to 30 people.", "Розмір домогосподарства має бути від 1 до 30 осіб."),
      hxl="#affected+ind"),

    q("begin_repeat", "members", ("Household member", "Член домогосподарства"), repeat_count="${hh_size}",
      appearance="field-list"),
    q("integer", "member_age", ("Age (completed years)", "Вік (повних років)"),
      hint=("Enter 0 for a baby under one year.", "Для немовляти до одного року введіть 0."),
      required="yes", constraint=". >= 0 and . <= 120",
      constraint_message=("Age must be from 0 to 120 years.", "Вік має бути від 0 до 120 років."),
      hxl="#respondee+age"),
    q("select_one sex", "member_sex", ("Sex", "Стать"), required="yes", hxl="#respondee+sex"),
    q("select_one yes_no", "member_disability", (
        "Does this person have a lot of difficulty, or cannot do at all, any of: seeing, hearing, walking or "
        "climbing steps, remembering or concentrating, self-care, communicating?",
        "Чи має ця особа значні труднощі або зовсім не може: бачити, чути, ходити чи підніматися сходами, "
        "запам’ятовувати чи зосереджуватися, доглядати за собою, спілкуватися?"),
      hint=("Washington Group short set; asked for everyone aged 5 or over.",
            "Короткий набір запитань Вашингтонської групи; ставиться всім віком від 5 років."),
      relevant="${member_age} >= 5", required="yes", hxl="#respondee+disability"),
    q("select_one relation", "member_relation", ("Relationship to the head of household",
                                                 "Ким ця особа доводиться голові домогосподарства"),
      required="yes",
      constraint="(position(..) = 1 and . = 'head') or (position(..) > 1 and . != 'head')",
      constraint_message=("List the head of household first; there is only one head.",
                          "Першою вносьте голову домогосподарства; голова може бути лише один."),
      hxl="#respondee+relation"),
    q("calculate", "is_child", calculation="if(${member_age} < 18, 1, 0)", hxl="#respondee+child"),
    q("calculate", "is_older", calculation="if(${member_age} >= 60, 1, 0)", hxl="#respondee+elderly"),
    q("calculate", "is_disabled", calculation="if(${member_disability} = 'yes', 1, 0)", hxl="#respondee+disabled"),
    end("repeat"),

    q("calculate", "n_children", calculation="sum(${is_child})", hxl="#affected+children"),
    q("calculate", "n_older", calculation="sum(${is_older})", hxl="#affected+elderly"),
    q("calculate", "n_disabled", calculation="sum(${is_disabled})", hxl="#affected+disabled"),
    q("note", "household_summary", (
        "Household of ${hh_size}: ${n_children} children under 18, ${n_older} people aged 60 or over, "
        "${n_disabled} with a disability. Check with the respondent.",
        "Домогосподарство з ${hh_size} осіб: дітей до 18 років — ${n_children}, осіб віком 60+ — ${n_older}, "
        "осіб з інвалідністю — ${n_disabled}. Перевірте з респондентом.")),
    end(),

    q("begin_group", "needs_group", ("Needs and living conditions", "Потреби та умови проживання")),
    q("select_multiple needs", "priority_needs", ("What are the household's most important needs right now?",
                                                  "Які найважливіші потреби домогосподарства зараз?"),
      hint=("Do not read the options out. Select up to three.", "Не зачитуйте варіанти. Виберіть не більше трьох."),
      required="yes", constraint="count-selected(.) <= 3",
      constraint_message=("Select no more than three needs.", "Виберіть не більше трьох потреб."),
      hxl="#need+priority"),
    q("text", "priority_needs_other", ("Which other need?", "Яка інша потреба?"),
      relevant="selected(${priority_needs}, 'other')", required="yes", hxl="#need+priority+other"),
    q("select_one shelter", "shelter_condition", ("Condition of the dwelling the household lives in",
                                                  "Стан житла, у якому проживає домогосподарство"),
      required="yes", hxl="#indicator+shelter_condition"),
    q("select_multiple income", "income_sources", ("What were the household's sources of income in the last 30 days?",
                                                   "Які джерела доходу мало домогосподарство за останні 30 днів?"),
      required="yes", constraint=none_alone(),
      constraint_message=("'No income' cannot be combined with other sources.",
                          "Варіант «Немає доходу» не можна поєднувати з іншими."),
      hxl="#indicator+income_sources"),
    q("integer", "monthly_income", ("Total household income in the last 30 days (UAH)",
                                    "Загальний дохід домогосподарства за останні 30 днів (грн)"),
      relevant="${income_sources} != '' and not(selected(${income_sources}, 'none'))",
      constraint=". >= 0 and . <= 500000",
      constraint_message=("Enter an amount from 0 to 500,000 UAH.", "Введіть суму від 0 до 500 000 грн."),
      hxl="#value+income"),
    q("select_one yes_no", "received_assistance", (
        "Has the household received humanitarian assistance in the last 3 months?",
        "Чи отримувало домогосподарство гуманітарну допомогу за останні 3 місяці?"),
      required="yes", hxl="#indicator+assisted"),
    end(),

    q("begin_group", "followup", ("Follow-up", "Подальший зв’язок")),
    q("select_one yes_no", "followup_consent", (
        "May an aid organisation contact the household again about assistance?",
        "Чи можна гуманітарній організації ще раз зв’язатися з домогосподарством щодо допомоги?"),
      required="yes", hxl="#meta+consent+contact"),
    phone("${followup_consent} = 'yes'", ("Phone number", "Номер телефону")),
    comments(),
    end(),
    end(),
]

# -- 2. displacement site / key informant assessment ---------------------------------------
SITE_ASSESSMENT = [
    *metadata(),
    q("begin_group", "site", ("Site", "МКП (місце компактного проживання)")),
    on_or_before_today("assessment_date", "#date+assessed", ("Date of the assessment", "Дата оцінювання")),
    q("text", "site_name", ("Site name", "Назва МКП"),
      hint=("As written on the CCCM site list.", "Як у переліку МКП кластера CCCM."),
      required="yes", required_message=("Enter the site name.", "Введіть назву МКП."), hxl="#loc+name"),
    q("select_one site_type", "site_type", ("Type of site", "Тип МКП"), required="yes", hxl="#loc+type"),
    q("select_one building", "building_type", ("What was the building used for before?",
                                               "Яке було попереднє призначення будівлі?"),
      relevant="${site_type} = 'collective_centre'", required="yes", hxl="#loc+building"),
    *location(),
    q("geopoint", "site_gps", ("GPS location of the site entrance", "GPS-координати входу до МКП"), hxl="#geo+coord"),
    end(),

    q("begin_group", "informant", ("Key informant", "Ключовий інформант")),
    q("select_one ki_role", "ki_role", ("Role of the key informant", "Роль ключового інформанта"),
      required="yes", hxl="#indicator+ki_role"),
    q("select_one yes_no", "ki_resident", ("Does the informant live on the site?", "Чи проживає інформант у МКП?"),
      required="yes", hxl="#indicator+ki_resident"),
    end(),

    q("begin_group", "population", ("Population", "Населення"), appearance="field-list"),
    q("integer", "site_households", ("How many households live on the site now?",
                                     "Скільки домогосподарств зараз проживає в МКП?"),
      required="yes", constraint=". >= 1 and . <= 2000",
      constraint_message=("Enter from 1 to 2,000 households.", "Введіть від 1 до 2 000 домогосподарств."),
      hxl="#affected+hh"),
    q("integer", "site_individuals", ("How many people live on the site now?", "Скільки осіб зараз проживає в МКП?"),
      required="yes", constraint=". >= ${site_households} and . <= 10000",
      constraint_message=("There cannot be fewer people than households, or more than 10,000.",
                          "Осіб не може бути менше, ніж домогосподарств, або більше ніж 10 000."),
      hxl="#affected+ind"),
    q("integer", "site_children", ("Of them, how many are children under 18?", "Скільки з них дітей до 18 років?"),
      required="yes", constraint=". >= 0 and . <= ${site_individuals}",
      constraint_message=("Children cannot outnumber all residents.", "Дітей не може бути більше, ніж усіх мешканців."),
      hxl="#affected+children"),
    q("integer", "site_older", ("Of them, how many are aged 60 or over?", "Скільки з них осіб віком 60 років і старше?"),
      required="yes", constraint=". >= 0 and . + ${site_children} <= ${site_individuals}",
      constraint_message=("Children and people aged 60+ together cannot outnumber all residents.",
                          "Діти й особи віком 60+ разом не можуть перевищувати кількість усіх мешканців."),
      hxl="#affected+elderly"),
    q("integer", "site_disabled", ("How many residents have a disability?", "Скільки мешканців мають інвалідність?"),
      required="yes", constraint=". >= 0 and . <= ${site_individuals}",
      constraint_message=("People with a disability cannot outnumber all residents.",
                          "Осіб з інвалідністю не може бути більше, ніж усіх мешканців."),
      hxl="#affected+disabled"),
    q("integer", "site_capacity", ("Maximum capacity of the site (people)", "Максимальна місткість МКП (осіб)"),
      required="yes", constraint=". >= 1 and . <= 10000",
      constraint_message=("Enter a capacity from 1 to 10,000 people.", "Введіть місткість від 1 до 10 000 осіб."),
      hxl="#capacity+num"),
    q("calculate", "occupancy", calculation="if(${site_capacity} > 0, round(${site_individuals} * 100 div ${site_capacity}, 0), '')",
      hxl="#indicator+occupancy+pct"),
    q("note", "over_capacity", ("The site is over capacity: ${occupancy}% occupied. Describe the arrangements in the comments.",
                                "МКП переповнене: заповненість ${occupancy}%. Опишіть ситуацію в коментарях."),
      relevant="${site_individuals} > ${site_capacity}"),
    q("select_one yes_no", "new_arrivals", ("Have new households arrived in the last 30 days?",
                                            "Чи прибули нові домогосподарства за останні 30 днів?"),
      required="yes", hxl="#indicator+new_arrivals"),
    q("integer", "new_arrival_households", ("How many households arrived in the last 30 days?",
                                            "Скільки домогосподарств прибуло за останні 30 днів?"),
      relevant="${new_arrivals} = 'yes'", required="yes", constraint=". >= 1 and . <= ${site_households}",
      constraint_message=("Enter at least 1 and no more than the households living on the site.",
                          "Введіть щонайменше 1 і не більше, ніж домогосподарств у МКП."),
      hxl="#affected+hh+arrived"),
    end(),

    q("begin_group", "conditions", ("Services and conditions", "Послуги та умови")),
    q("select_multiple services", "services", ("Which services are available on the site?", "Які послуги доступні в МКП?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      required="yes", constraint=none_alone(),
      constraint_message=("'None of these' cannot be combined with other services.",
                          "Варіант «Жодних із перелічених» не можна поєднувати з іншими."),
      hxl="#service+available"),
    q("integer", "functioning_toilets", ("How many toilets are working?", "Скільки туалетів справні?"),
      relevant="selected(${services}, 'toilets')", required="yes", constraint=". >= 1 and . <= 500",
      constraint_message=("Enter from 1 to 500 toilets.", "Введіть від 1 до 500 туалетів."),
      hxl="#indicator+toilets"),
    q("calculate", "people_per_toilet",
      calculation="if(${functioning_toilets} > 0, round(${site_individuals} div ${functioning_toilets}, 1), '')",
      hxl="#indicator+people_per_toilet"),
    q("note", "toilet_note", ("${people_per_toilet} people per working toilet: above the Sphere standard of 20.",
                              "${people_per_toilet} осіб на один справний туалет: більше, ніж за стандартом Сфери (20)."),
      relevant="${people_per_toilet} > 20"),
    q("select_one condition", "wash_condition", ("Overall condition of toilets and showers",
                                                 "Загальний стан туалетів і душових"),
      relevant="selected(${services}, 'toilets') or selected(${services}, 'showers')", required="yes",
      hxl="#indicator+wash_condition"),
    q("select_one condition", "heating_condition", ("How well is the site heated in winter?",
                                                    "Наскільки добре МКП опалюється взимку?"),
      relevant="selected(${services}, 'heating')", required="yes", hxl="#indicator+heating_condition"),
    q("select_one building_condition", "building_condition", ("Condition of the building(s)", "Стан будівлі (будівель)"),
      required="yes", hxl="#indicator+shelter_condition"),
    q("select_one yes_no", "health_access", ("Can residents reach a health facility within 30 minutes?",
                                             "Чи можуть мешканці дістатися закладу охорони здоров’я протягом 30 хвилин?"),
      required="yes", hxl="#access+health"),
    q("select_one yes_no", "bomb_shelter", ("Is there a bomb shelter within 5 minutes' walk?",
                                            "Чи є укриття в межах 5 хвилин ходьби?"),
      required="yes", hxl="#indicator+bomb_shelter"),
    q("select_multiple risks", "site_risks", ("What are the main risks for residents?", "Які основні ризики для мешканців?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      required="yes", constraint=none_alone(),
      constraint_message=("'None' cannot be combined with other risks.", "Варіант «Жодних» не можна поєднувати з іншими."),
      hxl="#indicator+risks"),
    q("select_multiple needs", "site_priority_needs", ("What are the residents' most important needs?",
                                                       "Які найважливіші потреби мешканців?"),
      hint=("Select up to three.", "Виберіть не більше трьох."),
      required="yes", constraint="count-selected(.) <= 3",
      constraint_message=("Select no more than three needs.", "Виберіть не більше трьох потреб."),
      hxl="#need+priority"),
    q("text", "site_priority_needs_other", ("Which other need?", "Яка інша потреба?"),
      relevant="selected(${site_priority_needs}, 'other')", required="yes", hxl="#need+priority+other"),
    comments(),
    end(),
]

# -- 3. complaints and feedback (CFM) ------------------------------------------------------
COMPLAINTS_FEEDBACK = [
    *metadata(),
    on_or_before_today("received_date", "#date+reported", ("Date the feedback was received", "Дата отримання звернення")),
    q("select_one channel", "channel", ("How was the feedback received?", "Яким каналом отримано звернення?"),
      required="yes", hxl="#indicator+channel"),
    *location(1, "Where the person lives.", "Де проживає особа."),
    q("select_one sector", "sector", ("Which programme does the feedback concern?", "Якої програми стосується звернення?"),
      required="yes", hxl="#sector"),
    q("select_one feedback_type", "feedback_type", ("Type of feedback", "Тип звернення"),
      required="yes", hxl="#indicator+feedback_type"),
    q("select_one category", "category", ("What is the feedback about?", "Чого стосується звернення?"),
      relevant="${feedback_type} != 'thanks'", required="yes", hxl="#indicator+category"),
    q("select_one yes_no", "sensitive", ("Is this a sensitive case?", "Чи це чутливий випадок?"),
      hint=("Sensitive: sexual exploitation or abuse, fraud or corruption, serious staff misconduct, "
            "or a risk to someone's safety.",
            "Чутливий: сексуальна експлуатація чи насильство, шахрайство чи корупція, серйозні порушення "
            "з боку персоналу або загроза чиїйсь безпеці."),
      required="yes", constraint=". = 'yes' or not(${category} = 'sea' or ${category} = 'fraud')",
      constraint_message=("Sexual exploitation or abuse and fraud are always sensitive cases.",
                          "Сексуальна експлуатація чи насильство та шахрайство — завжди чутливі випадки."),
      hxl="#indicator+sensitive"),
    q("note", "referral_note", (
        "Do not record any details here. Refer the case today to the PSEA / safeguarding focal point through the "
        "confidential channel, and tell the person when they will be contacted.",
        "Не записуйте тут жодних подробиць. Сьогодні ж передайте випадок координатору з питань ЗСЕН / захисту "
        "через конфіденційний канал і повідомте особі, коли з нею зв’яжуться."),
      relevant="${sensitive} = 'yes'"),
    q("text", "description", ("Describe the feedback", "Опишіть звернення"),
      hint=("In the person's own words. Do not write other people's names.",
            "Словами самої особи. Не записуйте імен інших людей."),
      relevant="${sensitive} = 'no'", required="yes", appearance="multiline",
      constraint="string-length(.) >= 10",
      constraint_message=("Describe the feedback in at least 10 characters.", "Опишіть звернення щонайменше 10 символами."),
      hxl="#description"),
    q("select_one urgency", "urgency", ("Urgency", "Терміновість"), required="yes", hxl="#severity+urgency"),
    q("select_one sex_unknown", "person_sex", ("Sex of the person giving feedback", "Стать особи, яка звертається"),
      required="yes", hxl="#respondee+sex"),
    q("select_one age_group", "person_age", ("Age group of the person giving feedback", "Вікова група особи, яка звертається"),
      required="yes", hxl="#respondee+age_group"),
    q("select_one yes_no", "contact_consent", ("Does the person agree to be contacted about the response?",
                                               "Чи погоджується особа, щоб із нею зв’язалися щодо відповіді?"),
      required="yes", hxl="#meta+consent+contact"),
    phone("${contact_consent} = 'yes'", ("Phone number for the response", "Номер телефону для відповіді")),
    q("select_one contact_method", "contact_method", ("Preferred way to receive the response",
                                                      "Бажаний спосіб отримання відповіді"),
      relevant="${contact_consent} = 'yes'", required="yes", hxl="#indicator+contact_method"),
    q("select_one yes_no", "resolved", ("Was the question answered during this contact?",
                                        "Чи надано відповідь на запитання під час цього звернення?"),
      relevant="${feedback_type} = 'question' and ${sensitive} = 'no'", required="yes", hxl="#status+resolved"),
]

# -- 4. post-distribution monitoring -------------------------------------------------------
RECEIVED = "${received} = 'yes'"
POST_DISTRIBUTION_MONITORING = [
    *metadata(),
    q("select_one yes_no", "consent", ("Does the respondent agree to take part in this interview?",
                                       "Чи погоджується респондент узяти участь в інтерв’ю?"),
      hint=("Explain that the answers do not affect future assistance.",
            "Поясніть, що відповіді не впливають на отримання допомоги в майбутньому."),
      required="yes", hxl="#meta+consent"),
    q("begin_group", "interview", ("Post-distribution monitoring", "Моніторинг після розподілу допомоги"),
      relevant="${consent} = 'yes'"),
    on_or_before_today("interview_date", "#date+interviewed", ("Date of the interview", "Дата інтерв’ю")),
    *location(),
    # Named card_number so the encrypted store indexes it for exact search (storage/schema.py).
    q("barcode", "card_number", ("Scan the beneficiary card", "Відскануйте картку отримувача"),
      hint=("If the code cannot be scanned, type the number printed under it.",
            "Якщо код не сканується, введіть номер, надрукований під ним."),
      required="yes", constraint="regex(., '^[A-Z0-9-]{6,24}$')",
      constraint_message=("A card number has 6 to 24 capital Latin letters, digits or dashes.",
                          "Номер картки містить від 6 до 24 великих латинських літер, цифр або дефісів."),
      hxl="#beneficiary+code"),
    q("select_one distribution_type", "distribution_type", ("What type of assistance was distributed?",
                                                            "Який вид допомоги розподілявся?"),
      required="yes", hxl="#modality"),
    q("select_one yes_no", "received", ("Did the household receive the assistance?", "Чи отримало домогосподарство допомогу?"),
      required="yes", required_message=("Ask whether the assistance was received.", "Запитайте, чи отримано допомогу."),
      hxl="#indicator+received"),
    q("select_one not_received", "not_received_reason", ("Why was the assistance not received?",
                                                         "Чому допомогу не отримано?"),
      relevant="${received} = 'no'", required="yes", hxl="#indicator+not_received_reason"),
    q("select_multiple items", "items_received", ("What did the household receive?", "Що отримало домогосподарство?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      relevant=f"{RECEIVED} and ${{distribution_type}} = 'in_kind'", required="yes", hxl="#item+provided"),
    q("integer", "cash_amount", ("How much did the household receive (UAH)?", "Яку суму отримало домогосподарство (грн)?"),
      relevant=f"{RECEIVED} and ${{distribution_type}} = 'cash'", required="yes", constraint=". >= 100 and . <= 100000",
      constraint_message=("Enter an amount from 100 to 100,000 UAH.", "Введіть суму від 100 до 100 000 грн."),
      hxl="#value+received"),
    q("range", "satisfaction", ("How satisfied is the household with the assistance? (1 = very dissatisfied, 5 = very satisfied)",
                                "Наскільки домогосподарство задоволене допомогою? (1 — зовсім не задоволене, 5 — дуже задоволене)"),
      relevant=RECEIVED, required="yes", parameters="start=1 end=5 step=1", appearance="rating",
      hxl="#indicator+satisfaction"),
    q("select_multiple problems", "problems", ("Did the household face any of these problems?",
                                               "Чи стикалося домогосподарство з будь-якою з цих проблем?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      relevant=RECEIVED, required="yes", constraint=none_alone(),
      constraint_message=("'No problems' cannot be combined with a problem.",
                          "Варіант «Жодних проблем» не можна поєднувати з іншими."),
      hxl="#indicator+problems"),
    q("text", "problems_other", ("Which other problem?", "Яка інша проблема?"),
      relevant="selected(${problems}, 'other')", required="yes", hxl="#description+problems+other"),
    q("select_multiple cash_use", "cash_use", ("What has the household spent the cash on?",
                                               "На що домогосподарство витратило кошти?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      relevant=f"{RECEIVED} and ${{distribution_type}} = 'cash'", required="yes", constraint=none_alone("not_spent"),
      constraint_message=("'Not spent yet' cannot be combined with a use.",
                          "Варіант «Ще не витратили» не можна поєднувати з іншими."),
      hxl="#indicator+cash_use"),
    q("select_one needs_met", "needs_met", ("Did the assistance meet the household's most important needs?",
                                            "Чи задовольнила допомога найважливіші потреби домогосподарства?"),
      relevant=RECEIVED, required="yes", hxl="#indicator+needs_met"),
    q("select_one yes_no", "felt_unsafe", (
        "Did anyone in the household feel unsafe going to, at, or coming back from the distribution?",
        "Чи відчував хтось із домогосподарства небезпеку дорогою на пункт розподілу, на ньому чи дорогою назад?"),
      relevant=RECEIVED, required="yes", hxl="#indicator+felt_unsafe"),
    q("text", "safety_details", ("What happened?", "Що сталося?"),
      hint=("Do not write names. Refer serious incidents to the protection team.",
            "Не записуйте імен. Про серйозні інциденти повідомте команду із захисту."),
      relevant="${felt_unsafe} = 'yes'", appearance="multiline", hxl="#description+safety"),
    q("select_one yes_no", "aware_cfm", ("Does the household know how to make a complaint or give feedback to the organisation?",
                                         "Чи знає домогосподарство, як подати скаргу чи звернення до організації?"),
      required="yes", hxl="#indicator+aware_cfm"),
    q("select_multiple channel", "cfm_channels", ("Which ways of giving feedback do they know?",
                                                  "Які способи подання звернень їм відомі?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      relevant="${aware_cfm} = 'yes'", required="yes", hxl="#indicator+cfm_channels"),
    comments(),
    end(),
]

# -- 5. household registration -------------------------------------------------------------
# Finalising it registers a household (distributions/regform.py maps the answers to the household
# record, and the registration checks of `registry add` run before anything is saved). The
# question names below are what that mapping reads: rename one there too.
LETTERS = "A-Za-zА-Яа-яЁёҐЄІЇґєії"
# A passport series: Cyrillic, or the Latin letters the registry reads as Cyrillic look-alikes
# (distributions/normalise._SERIES_TO_CYR: every Latin letter but J, Q and W).
SERIES = "А-Яа-яҐЄІЇґєіїA-IK-PR-VX-Za-ik-pr-vx-z"
NAME_CONSTRAINT = f"string-length(.) >= 3 and string-length(.) <= 120 and regex(., '^[^0-9]*[{LETTERS}][^0-9]*$')"
NAME_MESSAGE = ("Write the name in letters (at least 3), without digits.",
                "Напишіть ім’я літерами (щонайменше 3), без цифр.")
BORN = ". <= today() and . >= date('1900-01-01')"
BORN_MESSAGE = ("The date of birth must be between 1900 and today.",
                "Дата народження має бути між 1900 роком і сьогоднішнім днем.")


def rnokpp_constraint() -> str:
    """Ten digits whose last is the RNOKPP check digit of the first nine
    (distributions/normalise.rnokpp_valid, in the XLSForm expression language).

    The check digit is (−d1 + 5·d2 + 7·d3 + 9·d4 + 4·d5 + 6·d6 + 10·d7 + 5·d8 + 7·d9) mod 11 mod 10.
    Digits are taken arithmetically (XLSForm has no substring()); 99 = 9 × 11 keeps the sum
    positive, because XPath's mod takes the dividend's sign. All zeros passes the sum, so it is
    refused by name."""
    weights = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    terms = []
    for k, w in enumerate(weights):
        digit = f"(int(number(.) div {10 ** (9 - k)}) mod 10)"
        terms.append(f"- {digit}" if w == -1 else f"+ {w} * {digit}")
    total = "(99 " + " ".join(terms) + ")"
    return (f"regex(., '^[0-9]{{10}}$') and . != '0000000000' and "
            f"{total} mod 11 mod 10 = int(number(.)) mod 10")


LISTS.update({
    "consent_purpose": [
        ("registration", "Registration and assistance from this programme",
         "Реєстрація та отримання допомоги за цією програмою"),
        ("referral", "Referral to other organisations for assistance",
         "Передання даних іншим організаціям для надання допомоги"),
        ("monitoring", "Follow-up calls and monitoring", "Контрольні дзвінки та моніторинг"),
    ],
    "doc_type": [
        ("passport", "Passport booklet (two letters and six digits)", "Паспорт-книжечка (дві літери й шість цифр)"),
        ("id_card", "ID card (nine digits)", "ID-картка (дев’ять цифр)"),
        ("none", "No identity document", "Немає документа, що посвідчує особу"),
    ],
    "member_relation": [r for r in LISTS["relation"] if r[0] != "head"],
})

HOUSEHOLD_REGISTRATION = [
    *metadata(),
    q("begin_group", "consent_group", ("Consent", "Згода"), appearance="field-list"),
    q("note", "consent_script", (
        "Explain who you are, that the household is registered to receive assistance from this programme, which "
        "details are recorded and why, who will see them, and that they are kept encrypted. Registration is "
        "voluntary and does not by itself guarantee assistance.",
        "Поясніть, хто ви, що домогосподарство реєструється для отримання допомоги за цією програмою, які дані "
        "записуються й навіщо, хто їх бачитиме, і що вони зберігаються зашифрованими. Реєстрація добровільна й сама "
        "собою не гарантує допомоги.")),
    q("select_one yes_no", "consent", ("Does the head of household agree to be registered?",
                                       "Чи погоджується голова домогосподарства на реєстрацію?"),
      required="yes", constraint=". = 'yes'",
      constraint_message=("Without consent the household cannot be registered: close the form without finalising it.",
                          "Без згоди домогосподарство не можна зареєструвати: закрийте форму, не завершуючи її."),
      hxl="#meta+consent"),
    q("date", "consent_date", ("Date consent was given", "Дата надання згоди"), relevant="${consent} = 'yes'",
      required="yes", constraint=". <= today()",
      constraint_message=("The date cannot be in the future.", "Дата не може бути в майбутньому."),
      hxl="#date+consent"),
    q("select_multiple consent_purpose", "consent_purpose", ("What did the person agree to?", "На що погодилася особа?"),
      hint=("Select all that apply.", "Виберіть усі відповідні варіанти."),
      relevant="${consent} = 'yes'", required="yes", constraint="selected(., 'registration')",
      constraint_message=("Registration needs consent to registration and assistance.",
                          "Для реєстрації потрібна згода на реєстрацію та отримання допомоги."),
      hxl="#meta+consent+purpose"),
    end(),

    q("begin_group", "registration", ("Household registration", "Реєстрація домогосподарства"),
      relevant="${consent} = 'yes'"),
    q("begin_group", "head", ("Head of household", "Голова домогосподарства"), appearance="field-list"),
    q("text", "head_name", ("Full name of the head of household", "ПІБ голови домогосподарства"),
      hint=("As written in the document: surname, first name, patronymic.",
            "Як у документі: прізвище, ім’я, по батькові."),
      required="yes", constraint=NAME_CONSTRAINT, constraint_message=NAME_MESSAGE, hxl="#beneficiary+head+name"),
    q("date", "head_dob", ("Date of birth", "Дата народження"), required="yes",
      constraint=BORN + " and decimal-date-time(today()) - decimal-date-time(.) >= 5113",
      constraint_message=("The head of household must be at least 14 years old, born after 1900.",
                          "Голові домогосподарства має бути щонайменше 14 років, дата народження — після 1900 року."),
      hxl="#date+birth+head"),
    q("text", "phone", ("Phone number", "Номер телефону"),
      hint=("Mobile number: +380 and 9 digits, e.g. +380671234567. Leave empty if the household has no phone.",
            "Мобільний номер: +380 і 9 цифр, напр. +380671234567. Залиште порожнім, якщо телефону немає."),
      constraint=PHONE_REGEX,
      constraint_message=("Enter the number as +380 followed by 9 digits.", "Введіть номер у форматі +380 і ще 9 цифр."),
      hxl="#contact+phone"),
    end(),

    q("begin_group", "identity", ("Documents", "Документи"), appearance="field-list"),
    q("select_one doc_type", "doc_type", ("Identity document of the head of household",
                                          "Документ, що посвідчує особу голови домогосподарства"),
      required="yes", hxl="#meta+document+type"),
    q("text", "doc_number", ("Document number", "Номер документа"),
      hint=("Passport booklet: series and number, e.g. КА123456. ID card: the 9-digit document number.",
            "Паспорт-книжечка: серія та номер, напр. КА123456. ID-картка: 9-значний номер документа."),
      relevant="${doc_type} != 'none'", required="yes",
      constraint=(f"(${{doc_type}} = 'passport' and regex(., '^[{SERIES}]{{2}} ?[0-9]{{6}}$')) or "
                  "(${doc_type} = 'id_card' and regex(., '^[0-9]{9}$'))"),
      constraint_message=("A passport booklet number is two letters and six digits; an ID card number is nine digits.",
                          "Номер паспорта-книжечки — дві літери й шість цифр; номер ID-картки — дев’ять цифр."),
      hxl="#meta+document+number"),
    q("text", "tax_number", ("Tax number (RNOKPP)", "РНОКПП (ідентифікаційний код)"),
      hint=("Ten digits. Leave empty if the person has none (for example, refused it for religious reasons).",
            "Десять цифр. Залиште порожнім, якщо коду немає (наприклад, відмова з релігійних переконань)."),
      constraint=rnokpp_constraint(),
      constraint_message=("A tax number has ten digits and the last one is a check digit: this one does not match. "
                          "Check the number against the document.",
                          "РНОКПП має десять цифр, остання з яких контрольна, і вона не збігається. "
                          "Звірте номер із документом."),
      hxl="#meta+tax+number"),
    end(),

    q("begin_group", "address", ("Address", "Адреса"), appearance="field-list"),
    *location(),
    q("text", "settlement", ("Settlement (city, town or village)", "Населений пункт (місто, селище або село)"),
      required="yes", constraint="string-length(.) <= 80",
      constraint_message=("Write the settlement's name only (80 characters at most).",
                          "Напишіть лише назву населеного пункту (не більше 80 символів)."),
      hxl="#loc+name"),
    end(),

    q("begin_group", "household", ("Household", "Домогосподарство")),
    q("integer", "hh_size", ("How many people live in the household, including the head?",
                             "Скільки осіб проживає в домогосподарстві, включно з головою?"),
      hint=("Count the people who usually eat and sleep here.", "Враховуйте осіб, які зазвичай харчуються та ночують тут."),
      required="yes", constraint=". >= 1 and . <= 30",
      constraint_message=("Household size must be from 1 to 30 people.", "Розмір домогосподарства має бути від 1 до 30 осіб."),
      hxl="#affected+ind"),
    q("begin_repeat", "members", ("Other household member", "Інший член домогосподарства"),
      repeat_count="${hh_size} - 1", appearance="field-list"),
    q("text", "member_name", ("Full name", "ПІБ"), required="yes", constraint=NAME_CONSTRAINT,
      constraint_message=NAME_MESSAGE, hxl="#beneficiary+member+name"),
    q("select_one sex", "member_sex", ("Sex", "Стать"), required="yes", hxl="#respondee+sex"),
    q("date", "member_dob", ("Date of birth", "Дата народження"), required="yes", constraint=BORN,
      constraint_message=BORN_MESSAGE, hxl="#date+birth+member"),
    q("select_one member_relation", "member_relation", ("Relation to the head of household",
                                                        "Ким доводиться голові домогосподарства"),
      required="yes", hxl="#respondee+relation"),
    q("select_one yes_no", "member_disability", (
        "Does this person have a disability, or a lot of difficulty seeing, hearing, walking, remembering, "
        "self-care or communicating?",
        "Чи має ця особа інвалідність або значні труднощі із зором, слухом, ходьбою, пам’яттю, "
        "самообслуговуванням чи спілкуванням?"),
      required="yes", hxl="#respondee+disability"),
    end("repeat"),
    q("text", "external_ref", ("Reference from another list (optional)", "Номер в іншому списку (необов’язково)"),
      hint=("For example a partner's registration number. Not a name or a document number.",
            "Наприклад, реєстраційний номер партнера. Не ім’я і не номер документа."),
      constraint="regex(., '^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$')",
      constraint_message=("Up to 40 Latin letters, digits, dots, dashes, slashes or underscores.",
                          "До 40 латинських літер, цифр, крапок, дефісів, скісних рисок або підкреслень."),
      hxl="#meta+ref+external"),
    end(),
    end(),
]


FORMS = {
    "household_needs": {
        "title": ("Household needs assessment", "Оцінювання потреб домогосподарства"),
        "survey": HOUSEHOLD_NEEDS,
        "instance_name": "concat(jr:choice-name(${hromada}, '${hromada}'), ' – ', ${assessment_date})",
    },
    "site_assessment": {
        "title": ("Displacement site assessment (key informant)", "Оцінювання місця компактного проживання (ключовий інформант)"),
        "survey": SITE_ASSESSMENT,
        "instance_name": "concat(${site_name}, ' – ', ${assessment_date})",
    },
    "complaints_feedback": {
        "title": ("Complaints and feedback", "Скарги та зворотний зв’язок"),
        "survey": COMPLAINTS_FEEDBACK,
        "instance_name": "concat(jr:choice-name(${feedback_type}, '${feedback_type}'), ' – ', ${received_date})",
    },
    "post_distribution_monitoring": {
        "title": ("Post-distribution monitoring", "Моніторинг після розподілу допомоги"),
        "survey": POST_DISTRIBUTION_MONITORING,
        "instance_name": "concat(jr:choice-name(${distribution_type}, '${distribution_type}'), ' – ', ${interview_date})",
    },
    "household_registration": {
        "title": ("Household registration", "Реєстрація домогосподарства"),
        "survey": HOUSEHOLD_REGISTRATION,
        # No name in the title of a draft: the list of drafts is on screen for anyone nearby.
        "instance_name": "concat(${settlement}, ' – ', ${consent_date})",
    },
}


# -- writing -------------------------------------------------------------------------------
def _headers(rows: list[dict], order: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """(column, language) pairs for the columns the rows use, translated ones once per language."""
    used = {column for row in rows for column in row}
    out: list[tuple[str, str | None]] = []
    for column in order:
        if column in used:
            out += [(column, lang) for lang in LANGUAGES] if column in TRANSLATED else [(column, None)]
    return out


def _cell(row: dict, column: str, lang: str | None):
    value = row.get(column)
    if lang is not None and value is not None:
        return value[LANGUAGES.index(lang)]
    return value


def _sheet(wb: openpyxl.Workbook, title: str, headers: list[tuple[str, str | None]], rows: list[dict]) -> None:
    ws = wb.create_sheet(title)
    ws.append([f"{column}::{lang}" if lang else column for column, lang in headers])
    for row in rows:
        ws.append([_cell(row, column, lang) for column, lang in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2" if title != "settings" else None
    for letter, (column, _) in zip((c.column_letter for c in ws[1]), headers):
        ws.column_dimensions[letter].width = 48 if column in TRANSLATED else 16


def _choice_rows(survey: list[dict]) -> list[dict]:
    names: list[str] = []
    for row in survey:
        parts = row["type"].split()
        if parts[0] in ("select_one", "select_multiple") and parts[1] not in names:
            names.append(parts[1])
    rows = []
    for list_name in names:
        for name, en, uk, *extra in LISTS[list_name]:
            rows.append({"list_name": list_name, "name": name, "label": (en, uk), **(extra[0] if extra else {})})
    return rows


def build_form(form_id: str, out_dir: Path) -> Path:
    spec = FORMS[form_id]
    survey = spec["survey"]
    choices = _choice_rows(survey)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "survey", _headers(survey, SURVEY_COLUMNS), survey)
    _sheet(wb, "choices", _headers(choices, ("list_name", "name", "label", "oblast", "raion")), choices)
    title_en, title_uk = spec["title"]
    # The Ukrainian title goes in form_title_translation::<language>, not form_title::<language>:
    # Fieldbook reads both, but the reference XLSForm converter stops on a translated form_title,
    # and these workbooks must keep converting there too (see forms/loader.py).
    settings = {"form_id": form_id, "version": VERSION, "form_title": title_en,
                f"form_title_translation::{UK}": title_uk, "default_language": EN,
                "instance_name": spec["instance_name"]}
    _sheet(wb, "settings", [(k, None) for k in settings], [settings])
    path = out_dir / f"{form_id}.xlsx"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_reproducible(buffer.getvalue()))
    return path


def _reproducible(xlsx: bytes) -> bytes:
    """The same workbook bytes on every run: fixed zip timestamps and document dates."""
    fixed = "2026-01-01T00:00:00Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed.encode(), data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def build(out_dir: Path = HERE) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [build_form(form_id, out_dir) for form_id in FORMS]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in build(target):
        print(f"wrote {written}")
