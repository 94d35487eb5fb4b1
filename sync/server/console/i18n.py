"""The console's two languages: English (the text in the code) and Ukrainian (this catalogue).

A plain dictionary rather than gettext catalogues: the console has a few dozen strings,
the server ships no compiled .mo files, and tests/unit/test_console_commands.py checks that
every string the templates and routes show has its Ukrainian here.
"""
from __future__ import annotations

from typing import Callable

LANGUAGES = {"en": "English", "uk": "Українська"}

UK: dict[str, str] = {
    # frame and navigation
    "Fieldbook hub": "Fieldbook: хаб",
    "Overview": "Огляд",
    "Devices": "Пристрої",
    "Data": "Дані",
    "USB": "USB",
    "Sign out": "Вийти",
    "Signed in as": "Ви увійшли як",
    "Language": "Мова",
    # sign-in
    "Sign in": "Увійти",
    "User name": "Ім'я користувача",
    "Password": "Пароль",
    "Wrong user name or password.": "Неправильне ім'я користувача або пароль.",
    "Too many failed sign-ins: this account is locked for a while. Try again later, or ask an administrator to set a new password.":
        "Забагато невдалих спроб входу: обліковий запис тимчасово заблоковано. Спробуйте пізніше або попросіть адміністратора встановити новий пароль.",
    "This account is disabled. Ask the hub's administrator.": "Цей обліковий запис вимкнено. Зверніться до адміністратора хабу.",
    "Your session has ended. Sign in again.": "Ваш сеанс завершився. Увійдіть знову.",
    "You have signed out.": "Ви вийшли.",
    # refusals
    "The form was out of date or not sent from this console; nothing was changed. Reload the page and try again.":
        "Форма застаріла або надіслана не з цієї консолі; нічого не змінено. Оновіть сторінку й спробуйте ще раз.",
    "That belongs to a team you do not work with.": "Це належить команді, з якою ви не працюєте.",
    "Only a team lead or an administrator may do that.": "Це може зробити лише керівник команди або адміністратор.",
    "There is no such record.": "Такого запису немає.",
    "There is no such device.": "Такого пристрою немає.",
    "There is no such form.": "Такої форми немає.",
    "Not allowed": "Заборонено",
    "Not found": "Не знайдено",
    "Cannot do that": "Неможливо виконати",
    "Back to the overview": "Назад до огляду",
    # overview
    "Team": "Команда",
    "Teams": "Команди",
    "Device": "Пристрій",
    "Last seen": "Востаннє на зв'язку",
    "Enrolled": "Зареєстровано",
    "Revoked": "Відкликано",
    "Active": "Активний",
    "never": "ніколи",
    "Submissions per form": "Анкети за формами",
    "Submissions per day (last 14 days)": "Анкети за днями (останні 14 днів)",
    "Form": "Форма",
    "Day": "День",
    "Submissions": "Анкети",
    "Open conflicts": "Відкриті конфлікти",
    "Field": "Поле",
    "Found": "Виявлено",
    "Record": "Запис",
    "Latest USB imports": "Останні імпорти з USB",
    "When": "Коли",
    "By": "Ким",
    "Result": "Результат",
    "None yet.": "Поки що немає.",
    "changes are not yet indexed; the figures will include them shortly.": "змін ще не індексовано; невдовзі їх буде враховано.",
    # devices
    "New enrollment code": "Новий код реєстрації",
    "Valid for (hours)": "Дійсний (годин)",
    "Make a code": "Створити код",
    "One-time enrollment code for team": "Одноразовий код реєстрації для команди",
    "Type it into the laptop, or scan the QR code. It works once, and expires in": "Введіть його на ноутбуці або відскануйте QR-код. Він спрацьовує один раз і спливає через",
    "hours": "год",
    "Server key fingerprint": "Відбиток ключа сервера",
    "Revoke": "Відкликати",
    "and tell it to erase its data": "і наказати стерти дані",
    "Device revoked.": "Пристрій відкликано.",
    "Device revoked; it will erase its data at its next contact.": "Пристрій відкликано; він зітре свої дані під час наступного з'єднання.",
    "Wipe": "Стерти",
    "A team name is 1-64 letters, digits, '_', '.' or '-'.": "Назва команди: 1-64 літери, цифри, «_», «.» або «-».",
    "Hours must be a number from 1 to 720.": "Кількість годин має бути числом від 1 до 720.",
    # data
    "Forms": "Форми",
    "Filter": "Фільтр",
    "any": "будь-яка",
    "From": "Від",
    "To": "До",
    "Answer": "Відповідь",
    "equals": "дорівнює",
    "Apply": "Застосувати",
    "Clear": "Скинути",
    "Filtered on an answer": "Відфільтровано за відповіддю",
    "Submitted": "Подано",
    "Next page": "Наступна сторінка",
    "First page": "Перша сторінка",
    "No submissions match.": "Немає анкет, що відповідають умовам.",
    "Export": "Експорт",
    "Labels in": "Підписи мовою",
    "names": "назви",
    "Download": "Завантажити",
    "A date is YYYY-MM-DD.": "Дата має формат РРРР-ММ-ДД.",
    "Answers": "Відповіді",
    "History": "Історія",
    "Change": "Зміна",
    "Changed fields": "Змінені поля",
    "Made on the laptop": "Зроблено на ноутбуці",
    "Received": "Отримано",
    "deleted": "видалено",
    "Conflicts": "Конфлікти",
    "Value that lost": "Значення, що програло",
    "Version": "Версія",
    "Back to the table": "Назад до таблиці",
    "Choose a question and type the answer.": "Оберіть питання й введіть відповідь.",
    # review
    "Review": "Перевірка",
    "Has issues": "Має проблеми",
    "Approved": "Схвалено",
    "Rejected": "Відхилено",
    "Save": "Зберегти",
    "Set every submission this filter shows to": "Встановити для всіх анкет цього фільтра стан",
    "submission(s) set to": "анкет(и) переведено у стан",
    # usb
    "Import a laptop's bundle": "Імпортувати пакет з ноутбука",
    "Bundle file": "Файл пакета",
    "Import": "Імпортувати",
    "Return bundle for a device": "Зворотний пакет для пристрою",
    "Imported": "Імпортовано",
    "new changes": "нових змін",
    "duplicates": "дублікатів",
    "conflicts": "конфліктів",
    "refused": "відхилено",
    "This bundle was imported before; nothing was added.": "Цей пакет уже імпортовано; нічого не додано.",
    "The bundle was refused; nothing was changed.": "Пакет відхилено; нічого не змінено.",
    "Choose a bundle file.": "Оберіть файл пакета.",
}

CATALOGUES = {"en": {}, "uk": UK}


def translator(lang: str) -> Callable[[str], str]:
    table = CATALOGUES.get(lang, {})
    return lambda text: table.get(text, text)
