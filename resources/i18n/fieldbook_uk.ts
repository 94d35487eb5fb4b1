<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="uk_UA">
  <context>
    <name>Fieldbook</name>
    <message>
      <source>this laptop</source>
      <translation>цей ноутбук</translation>
    </message>
    <message>
      <source>another laptop</source>
      <translation>інший ноутбук</translation>
    </message>
    <message>
      <source>someone with the recovery key</source>
      <translation>хтось із ключем відновлення</translation>
    </message>
    <message>
      <source>another laptop ({id})</source>
      <translation>інший ноутбук ({id})</translation>
    </message>
    <message>
      <source>{person}, {laptop}</source>
      <translation>{person}, {laptop}</translation>
    </message>
    <message>
      <source>{who}, {when}</source>
      <translation>{who}, {when}</translation>
    </message>
    <message>
      <source>The camera cannot be used: this copy of Fieldbook was built without it.</source>
      <translation>Камерою не можна скористатися: цю копію Fieldbook зібрано без неї.</translation>
    </message>
    <message>
      <source>No camera was found on this laptop.</source>
      <translation>На цьому ноутбуці не знайдено камери.</translation>
    </message>
    <message>
      <source>The camera cannot be used: another program may be using it, or this laptop's settings may not let Fieldbook use it.</source>
      <translation>Камерою не можна скористатися: можливо, нею користується інша програма, або налаштування цього ноутбука не дозволяють Fieldbook нею користуватися.</translation>
    </message>
    <message>
      <source>Take a photo</source>
      <translation>Зробити фото</translation>
    </message>
    <message>
      <source>Camera</source>
      <translation>Камера</translation>
    </message>
    <message>
      <source>The photo taken</source>
      <translation>Зроблене фото</translation>
    </message>
    <message>
      <source>Take photo</source>
      <translation>Сфотографувати</translation>
    </message>
    <message>
      <source>Use this photo</source>
      <translation>Використати це фото</translation>
    </message>
    <message>
      <source>Retake</source>
      <translation>Перезняти</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>Скасувати</translation>
    </message>
    <message>
      <source>The photo cannot be used. Retake it.</source>
      <translation>Це фото не можна використати. Перезніміть його.</translation>
    </message>
    <message>
      <source>The photo could not be taken. Try again.</source>
      <translation>Не вдалося зробити фото. Спробуйте ще раз.</translation>
    </message>
    <message>
      <source>This laptop's settings do not let Fieldbook use the camera.</source>
      <translation>Налаштування цього ноутбука не дозволяють Fieldbook користуватися камерою.</translation>
    </message>
    <message>
      <source>Type a date as day.month.year or year-month-day, e.g. 14.03.1975 or 1975-03-14.</source>
      <translation>Введіть дату як день.місяць.рік або рік-місяць-день, наприклад 14.03.1975 або 1975-03-14.</translation>
    </message>
    <message>
      <source>Type the year in full, with four digits, e.g. 14.03.1975.</source>
      <translation>Введіть рік повністю, чотирма цифрами, наприклад 14.03.1975.</translation>
    </message>
    <message>
      <source>There is no such date: {text}.</source>
      <translation>Такої дати не існує: {text}.</translation>
    </message>
    <message>
      <source>{text} could be {first} or {second}. Type it as day.month.year, e.g. {example}.</source>
      <translation>{text} може означати {first} або {second}. Введіть дату як день.місяць.рік, наприклад {example}.</translation>
    </message>
    <message>
      <source>No http:// or https:// was typed, so this address is used: {url}</source>
      <translation>Ні http://, ні https:// не введено, тому використано адресу {url}</translation>
    </message>
    <message>
      <source>Type the server address your hub gave you.</source>
      <translation>Введіть адресу сервера, яку дав вам хаб.</translation>
    </message>
    <message>
      <source>Type the one-time code your hub gave you.</source>
      <translation>Введіть одноразовий код, який дав вам хаб.</translation>
    </message>
    <message>
      <source>No server answered at {url}. Check the address with your hub, and that its server is running; then try again.</source>
      <translation>За адресою {url} жоден сервер не відповів. Звірте адресу з хабом і перевірте, що його сервер працює; потім спробуйте ще раз.</translation>
    </message>
    <message>
      <source>Enrolling with {url}…</source>
      <translation>Реєстрація на {url}…</translation>
    </message>
    <message>
      <source>The hub revoked this laptop: it can no longer sync. Its data stays here; contact your hub.</source>
      <translation>Хаб відкликав цей ноутбук: він більше не може синхронізуватися. Його дані залишаються тут; зверніться до хабу.</translation>
    </message>
    <message>
      <source>The hub revoked this laptop and asked it to erase its data: this profile has been erased.</source>
      <translation>Хаб відкликав цей ноутбук і наказав стерти його дані: цей профіль стерто.</translation>
    </message>
    <message>
      <source>It names no server.</source>
      <translation>У ній не вказано сервер.</translation>
    </message>
    <message>
      <source>nothing was imported</source>
      <translation>нічого не імпортовано</translation>
    </message>
    <message>
      <source>nothing was written</source>
      <translation>нічого не записано</translation>
    </message>
    <message>
      <source>The local store could not complete this, and nothing was changed. Try again; if it happens again, tell your supervisor.</source>
      <translation>Локальне сховище не змогло це виконати, і нічого не змінено. Спробуйте ще раз; якщо це повториться, повідомте керівника.</translation>
    </message>
    <message>
      <source>This folder holds no Fieldbook profile, or it cannot be opened. Choose your profile's folder, or create a new profile.</source>
      <translation>У цій теці немає профілю Fieldbook, або її не вдається відкрити. Виберіть теку свого профілю або створіть новий профіль.</translation>
    </message>
    <message>
      <source>This folder already holds a profile. Choose an empty folder.</source>
      <translation>У цій теці вже є профіль. Виберіть порожню теку.</translation>
    </message>
    <message>
      <source>The profile's data is damaged and cannot be read. Check the profile, and restore it from the server or a backup.</source>
      <translation>Дані профілю пошкоджено, їх не вдається прочитати. Перевірте профіль і відновіть його із сервера або з резервної копії.</translation>
    </message>
    <message>
      <source>This profile was written by a newer Fieldbook. Update Fieldbook to open it.</source>
      <translation>Цей профіль записала новіша версія Fieldbook. Оновіть Fieldbook, щоб його відкрити.</translation>
    </message>
    <message>
      <source>This profile was erased; nothing can open it any more.</source>
      <translation>Цей профіль стерто; відкрити його більше неможливо.</translation>
    </message>
    <message>
      <source>Type your passphrase first.</source>
      <translation>Спершу введіть парольну фразу.</translation>
    </message>
    <message>
      <source>This passphrase is too short: use at least 8 characters (a few words work well).</source>
      <translation>Парольна фраза закоротка: використайте щонайменше 8 символів (кілька слів — добрий вибір).</translation>
    </message>
    <message>
      <source>That passphrase did not open this profile. Check the keyboard layout and Caps Lock, then try again.</source>
      <translation>Ця парольна фраза не відкриває профіль. Перевірте розкладку клавіатури та Caps Lock і спробуйте ще раз.</translation>
    </message>
    <message>
      <source>There is no user of that name on this profile.</source>
      <translation>У цьому профілі немає користувача з таким ім'ям.</translation>
    </message>
    <message>
      <source>That change to the profile's users is not possible: the name is taken, or it is the last user.</source>
      <translation>Таку зміну користувачів профілю зробити неможливо: ім'я вже зайняте або це останній користувач.</translation>
    </message>
    <message>
      <source>The last user of a profile cannot be removed. To end the profile, wipe it.</source>
      <translation>Останнього користувача профілю не можна видалити. Щоб завершити профіль, зітріть його.</translation>
    </message>
    <message>
      <source>The records could not be read: the request was not valid. Nothing was changed.</source>
      <translation>Не вдалося прочитати записи: запит був недійсним. Нічого не змінено.</translation>
    </message>
    <message>
      <source>That recovery key was mistyped. Check each group of characters, then try again.</source>
      <translation>Ключ відновлення введено з помилкою. Перевірте кожну групу символів і спробуйте ще раз.</translation>
    </message>
    <message>
      <source>That recovery key does not belong to this profile.</source>
      <translation>Цей ключ відновлення не належить цьому профілю.</translation>
    </message>
    <message>
      <source>The profile is locked. Unlock it, then try again.</source>
      <translation>Профіль заблоковано. Розблокуйте його і спробуйте ще раз.</translation>
    </message>
    <message>
      <source>The store is busy in another program. Close other Fieldbook windows, then try again.</source>
      <translation>Сховище зайняте іншою програмою. Закрийте інші вікна Fieldbook і спробуйте ще раз.</translation>
    </message>
    <message>
      <source>The disk is full, so the last change was not saved. Free some space, then try again.</source>
      <translation>Диск заповнений, тому останню зміну не збережено. Звільніть місце й спробуйте ще раз.</translation>
    </message>
    <message>
      <source>That record is not in this profile (it may have been deleted).</source>
      <translation>Цього запису немає в профілі (можливо, його видалено).</translation>
    </message>
    <message>
      <source>These answers cannot be saved as they are: a name or a value is not valid. Nothing was saved.</source>
      <translation>Ці відповіді не можна зберегти як є: назва або значення недійсні. Нічого не збережено.</translation>
    </message>
    <message>
      <source>This field cannot be searched by exact value.</source>
      <translation>За цим полем не можна шукати точне значення.</translation>
    </message>
    <message>
      <source>Sync could not finish. Nothing was lost; it will try again.</source>
      <translation>Синхронізацію не вдалося завершити. Нічого не втрачено; спроба повториться.</translation>
    </message>
    <message>
      <source>This bundle was refused; nothing was imported.</source>
      <translation>Цей пакет відхилено; нічого не імпортовано.</translation>
    </message>
    <message>
      <source>This is not a Fieldbook sync bundle; nothing was imported. Check that you chose the right file.</source>
      <translation>Це не пакет синхронізації Fieldbook; нічого не імпортовано. Перевірте, чи вибрано правильний файл.</translation>
    </message>
    <message>
      <source>This bundle is incomplete; nothing was imported. It was probably copied before the transfer finished: copy it again from the original.</source>
      <translation>Цей пакет неповний; нічого не імпортовано. Імовірно, його скопіювали до завершення передавання: скопіюйте його ще раз з оригіналу.</translation>
    </message>
    <message>
      <source>This bundle failed its integrity check; nothing was imported. It was damaged or altered after it was made: make a new bundle on the sending device.</source>
      <translation>Цей пакет не пройшов перевірку цілісності; нічого не імпортовано. Його пошкоджено або змінено після створення: створіть новий пакет на пристрої-відправнику.</translation>
    </message>
    <message>
      <source>This bundle is over the size limit; nothing was imported. Sync more often, so that each bundle stays smaller.</source>
      <translation>Цей пакет перевищує обмеження розміру; нічого не імпортовано. Синхронізуйте частіше, щоб кожен пакет був меншим.</translation>
    </message>
    <message>
      <source>This bundle was already imported; nothing needs to be done.</source>
      <translation>Цей пакет уже імпортовано; нічого робити не потрібно.</translation>
    </message>
    <message>
      <source>The server did not accept this code: it is unknown, already used or expired. Check the code, or ask the hub for a new one.</source>
      <translation>Сервер не прийняв цей код: він невідомий, уже використаний або прострочений. Перевірте код або попросіть у хабу новий.</translation>
    </message>
    <message>
      <source>That code is mistyped: a code has 16 letters and digits, like K7QP-3MZD-XW9A-HT4R. Nothing was sent.</source>
      <translation>Код введено з помилкою: код має 16 літер і цифр, наприклад K7QP-3MZD-XW9A-HT4R. Нічого не надіслано.</translation>
    </message>
    <message>
      <source>The server refused a request over its size limit; nothing was changed.</source>
      <translation>Сервер відхилив запит, більший за дозволений розмір; нічого не змінено.</translation>
    </message>
    <message>
      <source>This laptop is not connected to a server yet. Enroll it in Settings with the code from your hub.</source>
      <translation>Цей ноутбук ще не під’єднано до сервера. Зареєструйте його в Налаштуваннях за кодом від вашого хабу.</translation>
    </message>
    <message>
      <source>The server does not know this device.</source>
      <translation>Сервер не знає цього пристрою.</translation>
    </message>
    <message>
      <source>The hub did not publish or withdraw that form; nothing changed.</source>
      <translation>Хаб не опублікував і не відкликав цю форму; нічого не змінено.</translation>
    </message>
    <message>
      <source>The server cannot be reached. Your work is safe here and will sync when the connection returns.</source>
      <translation>Сервер недоступний. Ваша робота збережена тут і синхронізується, коли з’явиться зв’язок.</translation>
    </message>
    <message>
      <source>The server refused the request; nothing was lost. Check the server address, or tell your administrator.</source>
      <translation>Сервер відхилив запит; нічого не втрачено. Перевірте адресу сервера або повідомте адміністратора.</translation>
    </message>
    <message>
      <source>The server's answer did not verify against what this laptop trusts; nothing was done. Check the server address and tell your administrator.</source>
      <translation>Відповідь сервера не пройшла перевірку тим, чому довіряє цей ноутбук; нічого не зроблено. Перевірте адресу сервера і повідомте адміністратора.</translation>
    </message>
    <message>
      <source>The server sent a message this Fieldbook does not understand; nothing from it was applied. Update Fieldbook, or tell your administrator.</source>
      <translation>Сервер надіслав повідомлення, якого ця версія Fieldbook не розуміє; з нього нічого не застосовано. Оновіть Fieldbook або повідомте адміністратора.</translation>
    </message>
    <message>
      <source>This bundle is addressed to '{to}', not to this laptop; nothing was imported. Deliver it to its recipient.</source>
      <translation>Цей пакет адресовано «{to}», а не цьому ноутбуку; нічого не імпортовано. Передайте його адресатові.</translation>
    </message>
    <message>
      <source>That server address cannot be used. {why} For example: http://hub.example:8765</source>
      <translation>Цю адресу сервера не можна використати. {why} Наприклад: http://hub.example:8765</translation>
    </message>
    <message>
      <source>{path} could not be written; nothing was written. {why}</source>
      <translation>Не вдалося записати {path}; нічого не записано. {why}</translation>
    </message>
    <message>
      <source>The folder {folder} does not exist, so {done}. If it is on a USB stick, the stick may not be plugged in or not mounted: plug it in, open it once in the file manager, then try again.</source>
      <translation>Теки {folder} не існує, тому {done}. Якщо вона на USB-флешці, флешку, можливо, не вставлено або не підключено: вставте її, один раз відкрийте у файловому менеджері й спробуйте ще раз.</translation>
    </message>
    <message>
      <source>Something went wrong inside Fieldbook ({name}). Your saved work is safe. If it happens again, tell your supervisor.</source>
      <translation>У Fieldbook сталася помилка ({name}). Збережена робота в безпеці. Якщо це повториться, повідомте керівника.</translation>
    </message>
    <message>
      <source>Fieldbook</source>
      <translation>Fieldbook</translation>
    </message>
    <message>
      <source>This bundle is sealed for another key of '{to}', so it cannot be opened here; nothing was imported. Make a new bundle on the sending device.</source>
      <translation>Цей пакет запечатано для іншого ключа «{to}», тож тут його не відкрити; нічого не імпортовано. Створіть новий пакет на пристрої-відправнику.</translation>
    </message>
    <message>
      <source>Only addresses that start with http:// or https:// work.</source>
      <translation>Працюють лише адреси, що починаються з http:// або https://.</translation>
    </message>
    <message>
      <source>Fieldbook is not allowed to use that file or folder.</source>
      <translation>Fieldbook не має дозволу на цей файл або теку.</translation>
    </message>
    <message>
      <source>The disk or USB stick is full.</source>
      <translation>Диск або USB-флешка заповнені.</translation>
    </message>
    <message>
      <source>The disk or USB stick is read-only (some sticks have a lock switch).</source>
      <translation>Диск або USB-флешка доступні лише для читання (на деяких флешках є перемикач блокування).</translation>
    </message>
    <message>
      <source>That is a folder: choose a file in it, or type a file name after it.</source>
      <translation>Це тека: виберіть у ній файл або допишіть після неї назву файлу.</translation>
    </message>
    <message>
      <source>The system refused ({reason}).</source>
      <translation>Система відмовила ({reason}).</translation>
    </message>
    <message>
      <source>{path} could not be read; nothing was imported. {why}</source>
      <translation>Не вдалося прочитати {path}; нічого не імпортовано. {why}</translation>
    </message>
    <message>
      <source>Record {id} is damaged and cannot be decrypted; the other records are fine. Restore it from the server or a backup.</source>
      <translation>Запис {id} пошкоджено, його не вдається розшифрувати; інші записи в порядку. Відновіть його із сервера або з резервної копії.</translation>
    </message>
    <message>
      <source>This bundle was made by a newer Fieldbook (bundle format {version}); nothing was imported. Update Fieldbook, then import it again.</source>
      <translation>Цей пакет створила новіша версія Fieldbook (формат пакета {version}); нічого не імпортовано. Оновіть Fieldbook і імпортуйте його ще раз.</translation>
    </message>
    <message>
      <source>This bundle comes from '{sender}', which is not enrolled here or was revoked; nothing was imported.</source>
      <translation>Цей пакет надіслав «{sender}», який тут не зареєстрований або відкликаний; нічого не імпортовано.</translation>
    </message>
    <message>
      <source>There is no file at {path}; nothing was imported. Check the name, or choose the file with “Choose file to import…”.</source>
      <translation>Файлу {path} немає; нічого не імпортовано. Перевірте назву або виберіть файл кнопкою «Вибрати файл для імпорту…».</translation>
    </message>
    <message>
      <source>Too many wrong enrollment codes came from this network, so the server is not checking codes from it for now. Wait {minutes} min, check the code with the hub, then try again.</source>
      <translation>Із цієї мережі надійшло забагато неправильних кодів реєстрації, тому сервер поки що не перевіряє коди з неї. Зачекайте {minutes} хв, звірте код із хабом і спробуйте знову.</translation>
    </message>
    <message>
      <source>The file could not be read or written ({reason}).</source>
      <translation>Не вдалося прочитати або записати файл ({reason}).</translation>
    </message>
    <message>
      <source>A shape needs at least three different points.</source>
      <translation>Контуру потрібні щонайменше три різні точки.</translation>
    </message>
    <message>
      <source>The points lie on one line; a shape needs points around an area.</source>
      <translation>Точки лежать на одній лінії; контуру потрібні точки навколо ділянки.</translation>
    </message>
    <message>
      <source>Move up (Alt+Up)</source>
      <translation>Вище (Alt+↑)</translation>
    </message>
    <message>
      <source>Move down (Alt+Down)</source>
      <translation>Нижче (Alt+↓)</translation>
    </message>
    <message>
      <source>Keep this order</source>
      <translation>Залишити цей порядок</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>Очистити</translation>
    </message>
    <message>
      <source>A point is latitude and longitude, then optionally altitude and accuracy in metres, e.g. 50.45 30.52 170 5.</source>
      <translation>Точка — це широта й довгота, далі за бажанням висота й точність у метрах, напр. 50.45 30.52 170 5.</translation>
    </message>
    <message>
      <source>A point is written in numbers, e.g. 50.45 30.52.</source>
      <translation>Точку записують числами, напр. 50.45 30.52.</translation>
    </message>
    <message>
      <source>Latitude must be between -90 and 90.</source>
      <translation>Широта має бути від -90 до 90.</translation>
    </message>
    <message>
      <source>Longitude must be between -180 and 180.</source>
      <translation>Довгота має бути від -180 до 180.</translation>
    </message>
    <message>
      <source>Accuracy is a distance in metres and cannot be negative.</source>
      <translation>Точність — це відстань у метрах, вона не може бути від’ємною.</translation>
    </message>
    <message>
      <source>A line needs at least two different points.</source>
      <translation>Лінії потрібні щонайменше дві різні точки.</translation>
    </message>
    <message>
      <source>Latitude Longitude [Altitude [Accuracy]], e.g. 50.45 30.52</source>
      <translation>Широта Довгота [Висота [Точність]], напр. 50.45 30.52</translation>
    </message>
    <message>
      <source>Add point</source>
      <translation>Додати точку</translation>
    </message>
    <message>
      <source>Remove point</source>
      <translation>Вилучити точку</translation>
    </message>
    <message>
      <source>Ranked, first to last.</source>
      <translation>Упорядковано, від першого до останнього.</translation>
    </message>
    <message>
      <source>Not ranked yet: move the options into order, or keep this order.</source>
      <translation>Ще не впорядковано: розставте варіанти або залиште цей порядок.</translation>
    </message>
    <message>
      <source>Type a point first, e.g. 50.45 30.52.</source>
      <translation>Спершу введіть точку, напр. 50.45 30.52.</translation>
    </message>
    <message>
      <source>{n}. latitude {lat}, longitude {lon}</source>
      <translation>{n}. широта {lat}, довгота {lon}</translation>
    </message>
    <message>
      <source>No points yet.</source>
      <translation>Точок ще немає.</translation>
    </message>
    <message>
      <source>No points yet. A shape needs three or more; it is closed back to its first point.</source>
      <translation>Точок ще немає. Контуру потрібні три чи більше; він замикається на першій точці.</translation>
    </message>
    <message>
      <source>, altitude {alt} m</source>
      <translation>, висота {alt} м</translation>
    </message>
    <message>
      <source>, accuracy {acc} m</source>
      <translation>, точність {acc} м</translation>
    </message>
    <message>
      <source>Point {n}: {problem}</source>
      <translation>Точка {n}: {problem}</translation>
    </message>
    <message>
      <source>Points: {n}; the shape is closed back to point 1.</source>
      <translation>Точок: {n}; контур замкнено на точці 1.</translation>
    </message>
    <message>
      <source>Points: {n}.</source>
      <translation>Точок: {n}.</translation>
    </message>
    <message>
      <source>Save a copy…</source>
      <translation>Зберегти копію…</translation>
    </message>
    <message>
      <source>Save a copy</source>
      <translation>Зберегти копію</translation>
    </message>
    <message>
      <source>{n} MB</source>
      <translation>{n} МБ</translation>
    </message>
    <message>
      <source>{n} KB</source>
      <translation>{n} КБ</translation>
    </message>
    <message>
      <source>Loading…</source>
      <translation>Завантаження…</translation>
    </message>
    <message>
      <source>View larger…</source>
      <translation>Переглянути більшим…</translation>
    </message>
    <message>
      <source>Photo: {name}</source>
      <translation>Фото: {name}</translation>
    </message>
    <message>
      <source>Cannot show this picture</source>
      <translation>Не вдається показати це зображення</translation>
    </message>
    <message>
      <source>{name}: cannot be read (damaged or incomplete)</source>
      <translation>{name}: не вдається прочитати (пошкоджений або неповний)</translation>
    </message>
    <message>
      <source>{name}: copy saved</source>
      <translation>{name}: копію збережено</translation>
    </message>
    <message>
      <source>{name}: not here yet (its parts are still to arrive)</source>
      <translation>{name}: ще не тут (його частини ще не надійшли)</translation>
    </message>
    <message>
      <source>Too short: use at least 8 characters.</source>
      <translation>Закоротко: використайте щонайменше 8 символів.</translation>
    </message>
    <message>
      <source>Weak: add more words.</source>
      <translation>Слабка: додайте більше слів.</translation>
    </message>
    <message>
      <source>Fair: a few more words would help.</source>
      <translation>Задовільна: ще кілька слів допоможуть.</translation>
    </message>
    <message>
      <source>Good.</source>
      <translation>Добра.</translation>
    </message>
    <message>
      <source>Strong.</source>
      <translation>Надійна.</translation>
    </message>
    <message>
      <source>Very strong.</source>
      <translation>Дуже надійна.</translation>
    </message>
    <message>
      <source>Passphrase strength</source>
      <translation>Надійність парольної фрази</translation>
    </message>
    <message>
      <source>The file is empty.</source>
      <translation>Файл порожній.</translation>
    </message>
    <message>
      <source>Pick a date</source>
      <translation>Виберіть дату</translation>
    </message>
    <message>
      <source>Sign or draw</source>
      <translation>Підпишіть або намалюйте</translation>
    </message>
    <message>
      <source>Drawing area</source>
      <translation>Поле для малювання</translation>
    </message>
    <message>
      <source>Choose file…</source>
      <translation>Вибрати файл…</translation>
    </message>
    <message>
      <source>Remove</source>
      <translation>Вилучити</translation>
    </message>
    <message>
      <source>Choose a file</source>
      <translation>Виберіть файл</translation>
    </message>
    <message>
      <source>Whole number</source>
      <translation>Ціле число</translation>
    </message>
    <message>
      <source>Number</source>
      <translation>Число</translation>
    </message>
    <message>
      <source>DD.MM.YYYY or YYYY-MM-DD</source>
      <translation>ДД.ММ.РРРР або РРРР-ММ-ДД</translation>
    </message>
    <message>
      <source>HH:MM</source>
      <translation>ГГ:ХХ</translation>
    </message>
    <message>
      <source>YYYY-MM-DD HH:MM</source>
      <translation>РРРР-ММ-ДД ГГ:ХХ</translation>
    </message>
    <message>
      <source>Latitude Longitude, e.g. 50.45 30.52</source>
      <translation>Широта Довгота, напр. 50.45 30.52</translation>
    </message>
    <message>
      <source>This question takes {what} ({endings}).</source>
      <translation>Це питання приймає {what} ({endings}).</translation>
    </message>
    <message>
      <source>The file is {size} MB; the most one answer can hold is {most} MB.</source>
      <translation>Файл має {size} МБ; одна відповідь вміщує щонайбільше {most} МБ.</translation>
    </message>
    <message>
      <source>OK</source>
      <translation>Гаразд</translation>
    </message>
    <message>
      <source>(no answer)</source>
      <translation>(немає відповіді)</translation>
    </message>
    <message>
      <source>Calendar…</source>
      <translation>Календар…</translation>
    </message>
    <message>
      <source>Today</source>
      <translation>Сьогодні</translation>
    </message>
    <message>
      <source>Sign or draw…</source>
      <translation>Підписати або намалювати…</translation>
    </message>
    <message>
      <source>a file</source>
      <translation>файл</translation>
    </message>
    <message>
      <source>Take a photo…</source>
      <translation>Зробити фото…</translation>
    </message>
    <message>
      <source>Files</source>
      <translation>Файли</translation>
    </message>
    <message>
      <source>The file cannot be read.</source>
      <translation>Файл не вдається прочитати.</translation>
    </message>
    <message>
      <source>a photo or picture</source>
      <translation>фото або зображення</translation>
    </message>
    <message>
      <source>a sound recording</source>
      <translation>аудіозапис</translation>
    </message>
    <message>
      <source>a video</source>
      <translation>відео</translation>
    </message>
    <message>
      <source>an OpenStreetMap file</source>
      <translation>файл OpenStreetMap</translation>
    </message>
    <message>
      <source>No file</source>
      <translation>Файлу немає</translation>
    </message>
    <message>
      <source>Other answers</source>
      <translation>Інші відповіді</translation>
    </message>
    <message>
      <source>Yes</source>
      <translation>Так</translation>
    </message>
    <message>
      <source>No</source>
      <translation>Ні</translation>
    </message>
    <message>
      <source>Created</source>
      <translation>Створено</translation>
    </message>
    <message>
      <source>Answers</source>
      <translation>Відповіді</translation>
    </message>
    <message>
      <source>History</source>
      <translation>Історія</translation>
    </message>
    <message>
      <source>{form}: {name}</source>
      <translation>{form}: {name}</translation>
    </message>
    <message>
      <source>{n} entries</source>
      <translation>записів: {n}</translation>
    </message>
    <message>
      <source>No answers.</source>
      <translation>Відповідей немає.</translation>
    </message>
    <message>
      <source>Changed</source>
      <translation>Змінено</translation>
    </message>
    <message>
      <source>Deleted</source>
      <translation>Видалено</translation>
    </message>
    <message>
      <source>Changes received</source>
      <translation>Отримано зміни</translation>
    </message>
    <message>
      <source>{label} {n}</source>
      <translation>{label} {n}</translation>
    </message>
    <message>
      <source>Changed: {questions}</source>
      <translation>Змінено: {questions}</translation>
    </message>
    <message>
      <source>No history.</source>
      <translation>Історії немає.</translation>
    </message>
    <message>
      <source>Conflict reviewed: kept the current value of {question}</source>
      <translation>Конфлікт розглянуто: залишено поточне значення «{question}»</translation>
    </message>
    <message>
      <source>Conflict reviewed: restored the other value of {question}</source>
      <translation>Конфлікт розглянуто: відновлено інше значення «{question}»</translation>
    </message>
    <message>
      <source>Other event ({name})</source>
      <translation>Інша подія ({name})</translation>
    </message>
    <message>
      <source>Something went wrong; nothing was saved. Try again.</source>
      <translation>Щось пішло не так; нічого не збережено. Спробуйте ще раз.</translation>
    </message>
    <message>
      <source>This card code is mistyped: check the card, or type its code again.</source>
      <translation>Код картки введено з помилкою: перевірте картку або введіть код ще раз.</translation>
    </message>
    <message>
      <source>No registered household has this card, phone, document number or name.</source>
      <translation>Жодне зареєстроване домогосподарство не має такої картки, телефону, номера документа чи імені.</translation>
    </message>
    <message>
      <source>Refused: this household has just received this round at another desk.</source>
      <translation>Відмовлено: це домогосподарство щойно отримало допомогу цього раунду на іншому пункті.</translation>
    </message>
    <message>
      <source>Refused: this household is not entitled to these quantities in this round.</source>
      <translation>Відмовлено: у цьому раунді домогосподарству не належить така кількість.</translation>
    </message>
    <message>
      <source>This round is no longer open on this laptop: the hub withdrew it. Nothing was saved.</source>
      <translation>Цей раунд більше не відкритий на цьому ноутбуці: центр його відкликав. Нічого не збережено.</translation>
    </message>
    <message>
      <source>Not enough stock for this receipt. Record a delivery or a transfer first.</source>
      <translation>Запасу для цієї видачі недостатньо. Спершу запишіть надходження або переміщення.</translation>
    </message>
    <message>
      <source>NOTHING DUE: this household is entitled to nothing in this round.</source>
      <translation>НІЧОГО НЕ НАЛЕЖИТЬ: у цьому раунді домогосподарству нічого не належить.</translation>
    </message>
    <message>
      <source>Distribution desk</source>
      <translation>Пункт видачі</translation>
    </message>
    <message>
      <source>Round</source>
      <translation>Раунд</translation>
    </message>
    <message>
      <source>Print cards…</source>
      <translation>Друк карток…</translation>
    </message>
    <message>
      <source>Household cards with QR codes, for the households of this round that have no card yet</source>
      <translation>Картки домогосподарств із QR-кодами для домогосподарств цього раунду, які ще не мають картки</translation>
    </message>
    <message>
      <source>PDM sample…</source>
      <translation>Вибірка ПРМ…</translation>
    </message>
    <message>
      <source>Post-distribution monitoring: a random sample of the households served</source>
      <translation>Післяроздавальний моніторинг: випадкова вибірка обслужених домогосподарств</translation>
    </message>
    <message>
      <source>Card, phone, document or name</source>
      <translation>Картка, телефон, документ або ім’я</translation>
    </message>
    <message>
      <source>Scan the card, or type a card code, phone, document number or name</source>
      <translation>Відскануйте картку або введіть код картки, телефон, номер документа чи ім’я</translation>
    </message>
    <message>
      <source>Return: find the household. Return again on the empty line: record the receipt. Esc: clear.</source>
      <translation>Enter: знайти домогосподарство. Ще раз Enter у порожньому рядку: записати видачу. Esc: очистити.</translation>
    </message>
    <message>
      <source>Households with this name</source>
      <translation>Домогосподарства з таким ім’ям</translation>
    </message>
    <message>
      <source>Hand over</source>
      <translation>Видати</translation>
    </message>
    <message>
      <source>Reason for handing over less than the entitlement</source>
      <translation>Причина, чому видано менше, ніж належить</translation>
    </message>
    <message>
      <source>Reason</source>
      <translation>Причина</translation>
    </message>
    <message>
      <source>Collected by a proxy</source>
      <translation>Отримує довірена особа</translation>
    </message>
    <message>
      <source>Proxy's name</source>
      <translation>Ім’я довіреної особи</translation>
    </message>
    <message>
      <source>Proxy's document number</source>
      <translation>Номер документа довіреної особи</translation>
    </message>
    <message>
      <source>Record receipt (Return)</source>
      <translation>Записати видачу (Enter)</translation>
    </message>
    <message>
      <source>Clear (Esc)</source>
      <translation>Очистити (Esc)</translation>
    </message>
    <message>
      <source>This round</source>
      <translation>Цей раунд</translation>
    </message>
    <message>
      <source>Stock</source>
      <translation>Запас</translation>
    </message>
    <message>
      <source>Recorded at this desk</source>
      <translation>Записано на цьому пункті</translation>
    </message>
    <message>
      <source>Reason for voiding the selected receipt</source>
      <translation>Причина скасування вибраної видачі</translation>
    </message>
    <message>
      <source>Reason for voiding</source>
      <translation>Причина скасування</translation>
    </message>
    <message>
      <source>Void receipt</source>
      <translation>Скасувати видачу</translation>
    </message>
    <message>
      <source>Looking up…</source>
      <translation>Пошук…</translation>
    </message>
    <message>
      <source>NOT ON THIS TEAM'S LIST for this round. Do not hand over; send the household to its own team's desk.</source>
      <translation>НЕМАЄ У СПИСКУ ЦІЄЇ КОМАНДИ для цього раунду. Не видавайте; направте домогосподарство до пункту його команди.</translation>
    </message>
    <message>
      <source>NOT ELIGIBLE for this round. Do not hand over.</source>
      <translation>НЕ МАЄ ПРАВА на цей раунд. Не видавайте.</translation>
    </message>
    <message>
      <source>nothing</source>
      <translation>нічого</translation>
    </message>
    <message>
      <source>proxy</source>
      <translation>довірена особа</translation>
    </message>
    <message>
      <source>head</source>
      <translation>голова</translation>
    </message>
    <message>
      <source>This receipt cannot be saved: {reason}</source>
      <translation>Цю видачу не можна зберегти: {reason}</translation>
    </message>
    <message>
      <source>Round:</source>
      <translation>Раунд:</translation>
    </message>
    <message>
      <source>No round is open on this laptop: sync to receive the round from the hub.</source>
      <translation>На цьому ноутбуці немає відкритого раунду: синхронізуйтеся, щоб отримати раунд від центру.</translation>
    </message>
    <message>
      <source>Entitled. Press Return to record the receipt.</source>
      <translation>Має право. Натисніть Enter, щоб записати видачу.</translation>
    </message>
    <message>
      <source>the head of household</source>
      <translation>голова домогосподарства</translation>
    </message>
    <message>
      <source>The quantities differ from the entitlement: type a reason, then press Return.</source>
      <translation>Кількість відрізняється від належної: введіть причину й натисніть Enter.</translation>
    </message>
    <message>
      <source>Choose a receipt in the list to void.</source>
      <translation>Виберіть у списку видачу, яку треба скасувати.</translation>
    </message>
    <message>
      <source>Type the reason for voiding, then press Void receipt.</source>
      <translation>Введіть причину скасування й натисніть «Скасувати видачу».</translation>
    </message>
    <message>
      <source>Receipt voided. The void syncs, and is kept in the audit log.</source>
      <translation>Видачу скасовано. Скасування синхронізується і зберігається в журналі аудиту.</translation>
    </message>
    <message>
      <source>Scan the next card.</source>
      <translation>Скануйте наступну картку.</translation>
    </message>
    <message>
      <source>ALREADY RECEIVED. Do not hand over. First receipt: {at}, desk {desk} (team {team}, user {user}), collected by {who}.</source>
      <translation>ВЖЕ ОТРИМАНО. Не видавайте. Перша видача: {at}, пункт {desk} (команда {team}, користувач {user}), отримав(ла): {who}.</translation>
    </message>
    <message>
      <source>Household {ref}</source>
      <translation>Домогосподарство {ref}</translation>
    </message>
    <message>
      <source>{n} household(s) with a name like this. Choose one with the arrow keys and Return.</source>
      <translation>Домогосподарств із подібним ім’ям: {n}. Виберіть одне стрілками й натисніть Enter.</translation>
    </message>
    <message>
      <source>A proxy needs a name and a document number.</source>
      <translation>Для довіреної особи потрібні ім’я та номер документа.</translation>
    </message>
    <message>
      <source>Saved: household {ref} received. Next card, please. ({ms:.0f} ms)</source>
      <translation>Збережено: домогосподарство {ref} отримало допомогу. Наступну картку, будь ласка. ({ms:.0f} мс)</translation>
    </message>
    <message>
      <source>Served: {served} (at this desk: {here})
By a proxy: {proxies}
Refused: {refused}
Voided: {voided}</source>
      <translation>Видано: {served} (на цьому пункті: {here})
Довіреним особам: {proxies}
Відмовлено: {refused}
Скасовано: {voided}</translation>
    </message>
    <message>
      <source>{n} household(s) served twice: a supervisor voids one receipt of each.</source>
      <translation>Домогосподарств, що отримали двічі: {n}. Супервайзер скасовує одну видачу кожного.</translation>
    </message>
    <message>
      <source>{item}: {left} {unit} left</source>
      <translation>{item}: залишилось {left} {unit}</translation>
    </message>
    <message>
      <source>VOID</source>
      <translation>СКАСОВАНО</translation>
    </message>
    <message>
      <source>Team: {team}</source>
      <translation>Команда: {team}</translation>
    </message>
    <message>
      <source>a proxy, {name}</source>
      <translation>довірена особа, {name}</translation>
    </message>
    <message>
      <source>{n} people</source>
      <translation>осіб: {n}</translation>
    </message>
    <message>
      <source>Entitled to: {items}</source>
      <translation>Належить: {items}</translation>
    </message>
    <message>
      <source>running low</source>
      <translation>закінчується</translation>
    </message>
    <message>
      <source>The hub withdrew round {round}: it can no longer be served here, and nothing more was saved for it.</source>
      <translation>Центр відкликав раунд {round}: видачу за ним тут більше не можна вести, і нічого більше для нього не збережено.</translation>
    </message>
    <message>
      <source>{item}: not tracked</source>
      <translation>{item}: не обліковується</translation>
    </message>
    <message>
      <source>Household reference</source>
      <translation>Номер домогосподарства</translation>
    </message>
    <message>
      <source>Head of household's name</source>
      <translation>Ім'я голови домогосподарства</translation>
    </message>
    <message>
      <source>Settlement</source>
      <translation>Населений пункт</translation>
    </message>
    <message>
      <source>Hromada</source>
      <translation>Громада</translation>
    </message>
    <message>
      <source>Raion</source>
      <translation>Район</translation>
    </message>
    <message>
      <source>Oblast</source>
      <translation>Область</translation>
    </message>
    <message>
      <source>Household size</source>
      <translation>Розмір домогосподарства</translation>
    </message>
    <message>
      <source>Choose the file to write.</source>
      <translation>Виберіть файл для запису.</translation>
    </message>
    <message>
      <source>Give the file's full path, or choose it with Choose….</source>
      <translation>Вкажіть повний шлях до файлу або виберіть його кнопкою «Вибрати…».</translation>
    </message>
    <message>
      <source>Save it outside the profile folder: the profile holds only the encrypted store.</source>
      <translation>Збережіть його поза текою профілю: профіль містить лише зашифроване сховище.</translation>
    </message>
    <message>
      <source>Choose…</source>
      <translation>Вибрати…</translation>
    </message>
    <message>
      <source>Close</source>
      <translation>Закрити</translation>
    </message>
    <message>
      <source>Print household cards</source>
      <translation>Друк карток домогосподарств</translation>
    </message>
    <message>
      <source>Also households that already have a card (the same code again)</source>
      <translation>Також домогосподарства, які вже мають картку (той самий код ще раз)</translation>
    </message>
    <message>
      <source>Printed beside the code</source>
      <translation>Друкується поруч із кодом</translation>
    </message>
    <message>
      <source>Round's name in:</source>
      <translation>Назва раунду мовою:</translation>
    </message>
    <message>
      <source>Save the cards to:</source>
      <translation>Зберегти картки у:</translation>
    </message>
    <message>
      <source>Print cards</source>
      <translation>Надрукувати картки</translation>
    </message>
    <message>
      <source>Post-distribution monitoring sample</source>
      <translation>Вибірка для післяроздавального моніторингу</translation>
    </message>
    <message>
      <source>Share of the served households</source>
      <translation>Частка обслужених домогосподарств</translation>
    </message>
    <message>
      <source>Share of the served households:</source>
      <translation>Частка обслужених домогосподарств:</translation>
    </message>
    <message>
      <source>Empty: the round's usual sample; another word draws another sample</source>
      <translation>Порожньо: звичайна вибірка раунду; інше слово дає іншу вибірку</translation>
    </message>
    <message>
      <source>Seed</source>
      <translation>Зерно</translation>
    </message>
    <message>
      <source>Seed:</source>
      <translation>Зерно:</translation>
    </message>
    <message>
      <source>A PDM form draft for each, its card number filled in (on Home)</source>
      <translation>Чернетка форми ПРМ для кожного, з номером картки (на Головній)</translation>
    </message>
    <message>
      <source>Save the list: references, card numbers, receipts; no names</source>
      <translation>Зберегти список: номери, номери карток, отримання; без імен</translation>
    </message>
    <message>
      <source>Save the list to:</source>
      <translation>Зберегти список у:</translation>
    </message>
    <message>
      <source>Draw the sample</source>
      <translation>Зробити вибірку</translation>
    </message>
    <message>
      <source>Still working: wait until it has finished.</source>
      <translation>Ще триває робота: зачекайте, доки вона завершиться.</translation>
    </message>
    <message>
      <source>Something went wrong; nothing was written. Try again.</source>
      <translation>Щось пішло не так; нічого не записано. Спробуйте ще раз.</translation>
    </message>
    <message>
      <source>Drawing the cards: {done} of {total}</source>
      <translation>Малювання карток: {done} з {total}</translation>
    </message>
    <message>
      <source>Every household of this round on this team's list has a card already: nothing to print. Tick “Also households that already have a card” to print them again.</source>
      <translation>Кожне домогосподарство цього раунду зі списку цієї команди вже має картку: нічого друкувати. Позначте «Також домогосподарства, які вже мають картку», щоб надрукувати їх ще раз.</translation>
    </message>
    <message>
      <source>Reading the receipts: {done} of {total}</source>
      <translation>Читання отримань: {done} з {total}</translation>
    </message>
    <message>
      <source>No household has received this round on this laptop yet: sync first, then draw the sample. Nothing was written.</source>
      <translation>На цьому ноутбуці ще жодне домогосподарство не отримало допомогу цього раунду: спершу синхронізуйте, потім зробіть вибірку. Нічого не записано.</translation>
    </message>
    <message>
      <source>The folder {folder} does not exist.</source>
      <translation>Теки {folder} не існує.</translation>
    </message>
    <message>
      <source>{file} is a folder: give a file name.</source>
      <translation>{file} — це тека: вкажіть ім'я файлу.</translation>
    </message>
    <message>
      <source>Nothing was written: {reason}</source>
      <translation>Нічого не записано: {reason}</translation>
    </message>
    <message>
      <source>Cards with a QR code for the households of round {round} that this team serves and that have no card yet, ten to an A4 sheet. Each gets its card code now; the code holds no personal data.</source>
      <translation>Картки з QR-кодом для домогосподарств раунду {round}, які обслуговує ця команда і які ще не мають картки, по десять на аркуш A4. Кожне отримує код картки зараз; код не містить персональних даних.</translation>
    </message>
    <message>
      <source>Choosing the households: {done} of {total}</source>
      <translation>Вибір домогосподарств: {done} з {total}</translation>
    </message>
    <message>
      <source>{n} card(s) on {sheets} sheet(s) written to {file}; {new} new card code(s).</source>
      <translation>Карток: {n} на {sheets} арк. записано у {file}; нових кодів карток: {new}.</translation>
    </message>
    <message>
      <source>A random sample of the households that received round {round}, drawn from the receipts this laptop holds (sync first, to hold every desk's). The same percentage and seed always draw the same households.</source>
      <translation>Випадкова вибірка домогосподарств, які отримали допомогу раунду {round}, з отримань, що є на цьому ноутбуці (спершу синхронізуйте, щоб мати отримання всіх пунктів). Той самий відсоток і зерно завжди дають ті самі домогосподарства.</translation>
    </message>
    <message>
      <source>Tick at least one: the PDM drafts, or the list.</source>
      <translation>Позначте хоча б одне: чернетки ПРМ або список.</translation>
    </message>
    <message>
      <source>{n} of {population} served household(s) sampled.</source>
      <translation>У вибірці {n} з {population} обслужених домогосподарств.</translation>
    </message>
    <message>
      <source>The file could not be written: {reason}</source>
      <translation>Не вдалося записати файл: {reason}</translation>
    </message>
    <message>
      <source>{made} PDM draft(s) made, waiting on Home; {already} already there.</source>
      <translation>Створено чернеток ПРМ: {made}, вони чекають на Головній; уже були: {already}.</translation>
    </message>
    <message>
      <source>The list is in {file}.</source>
      <translation>Список у файлі {file}.</translation>
    </message>
    <message>
      <source>Save draft (Ctrl+S)</source>
      <translation>Зберегти чернетку (Ctrl+S)</translation>
    </message>
    <message>
      <source>Finalise (Ctrl+Enter)</source>
      <translation>Завершити (Ctrl+Enter)</translation>
    </message>
    <message>
      <source>Remove answered entries?</source>
      <translation>Видалити записи з відповідями?</translation>
    </message>
    <message>
      <source>Remove them</source>
      <translation>Видалити їх</translation>
    </message>
    <message>
      <source>Keep them</source>
      <translation>Залишити їх</translation>
    </message>
    <message>
      <source>{label} — entry {n} of {total}</source>
      <translation>{label} — запис {n} з {total}</translation>
    </message>
    <message>
      <source>Form language:</source>
      <translation>Мова форми:</translation>
    </message>
    <message>
      <source>Draft saved</source>
      <translation>Чернетку збережено</translation>
    </message>
    <message>
      <source>Remove this entry</source>
      <translation>Вилучити цей запис</translation>
    </message>
    <message>
      <source>Add: {label}</source>
      <translation>Додати: {label}</translation>
    </message>
    <message>
      <source>This answer removes {n} entry(ies) that already hold answers: {entries}. Their answers will be lost.</source>
      <translation>Ця відповідь видаляє записи, що вже мають відповіді (усього: {n}): {entries}. Їхні відповіді буде втрачено.</translation>
    </message>
    <message>
      <source>{n} answer(s) need attention before this form can be finalised.</source>
      <translation>Відповідей, які потребують уваги перед завершенням форми: {n}.</translation>
    </message>
    <message>
      <source>Checking the registry…</source>
      <translation>Перевіряємо реєстр…</translation>
    </message>
    <message>
      <source>The draft is kept: correct the answers, or close the form.</source>
      <translation>Чернетку збережено: виправте відповіді або закрийте форму.</translation>
    </message>
    <message>
      <source>Not registered: this household is already registered. The draft is kept.</source>
      <translation>Не зареєстровано: це домогосподарство вже зареєстроване. Чернетку збережено.</translation>
    </message>
    <message>
      <source>Already registered</source>
      <translation>Уже зареєстровано</translation>
    </message>
    <message>
      <source>Possible duplicate</source>
      <translation>Можливий дублікат</translation>
    </message>
    <message>
      <source>Register anyway</source>
      <translation>Усе одно зареєструвати</translation>
    </message>
    <message>
      <source>Do not register</source>
      <translation>Не реєструвати</translation>
    </message>
    <message>
      <source>Register it anyway? A team lead will see the pair in the review queue.</source>
      <translation>Усе одно зареєструвати? Керівник команди побачить цю пару в черзі на розгляд.</translation>
    </message>
    <message>
      <source>Not registered. The draft is kept.</source>
      <translation>Не зареєстровано. Чернетку збережено.</translation>
    </message>
    <message>
      <source>Not registered: check these answers: {questions}. The draft is kept.</source>
      <translation>Не зареєстровано: перевірте ці відповіді: {questions}. Чернетку збережено.</translation>
    </message>
    <message>
      <source>Nothing was saved.</source>
      <translation>Нічого не збережено.</translation>
    </message>
    <message>
      <source>Household registered. Card code: {code}</source>
      <translation>Домогосподарство зареєстровано. Код картки: {code}</translation>
    </message>
    <message>
      <source>This household may already be registered:</source>
      <translation>Можливо, це домогосподарство вже зареєстровано:</translation>
    </message>
    <message>
      <source>This household is already registered ({why}):</source>
      <translation>Це домогосподарство вже зареєстровано ({why}):</translation>
    </message>
    <message>
      <source>Draft</source>
      <translation>Чернетка</translation>
    </message>
    <message>
      <source>Being edited (draft)</source>
      <translation>Редагується (чернетка)</translation>
    </message>
    <message>
      <source>Finalised, waiting to sync</source>
      <translation>Завершено, очікує синхронізації</translation>
    </message>
    <message>
      <source>Synced</source>
      <translation>Синхронізовано</translation>
    </message>
    <message>
      <source>Review conflicts</source>
      <translation>Переглянути конфлікти</translation>
    </message>
    <message>
      <source>Start a form</source>
      <translation>Почати форму</translation>
    </message>
    <message>
      <source>Unfinished drafts</source>
      <translation>Незавершені чернетки</translation>
    </message>
    <message>
      <source>Recent records</source>
      <translation>Останні записи</translation>
    </message>
    <message>
      <source>No drafts: every form you started is finished.</source>
      <translation>Чернеток немає: усі розпочаті форми завершено.</translation>
    </message>
    <message>
      <source>No records yet.</source>
      <translation>Записів ще немає.</translation>
    </message>
    <message>
      <source>{n} conflict(s) to review: two laptops changed the same answer, and one value was set aside.</source>
      <translation>Конфліктів для перегляду: {n}. Два ноутбуки змінили ту саму відповідь, і одне значення відкладено.</translation>
    </message>
    <message>
      <source>(editing a finished record)</source>
      <translation>(редагування завершеного запису)</translation>
    </message>
    <message>
      <source>Published by the hub, version {version}</source>
      <translation>Опубліковано хабом, версія {version}</translation>
    </message>
    <message>
      <source>{title} (cannot be opened)</source>
      <translation>{title} (не відкривається)</translation>
    </message>
    <message>
      <source>This laptop cannot open this form: {reason} Update Fieldbook, or ask the hub.</source>
      <translation>Цей ноутбук не може відкрити цю форму: {reason} Оновіть Fieldbook або зверніться до хабу.</translation>
    </message>
    <message>
      <source>Saved</source>
      <translation>Збережено</translation>
    </message>
    <message>
      <source>State</source>
      <translation>Стан</translation>
    </message>
    <message>
      <source>Form version</source>
      <translation>Версія форми</translation>
    </message>
    <message>
      <source>Records</source>
      <translation>Записи</translation>
    </message>
    <message>
      <source>Form:</source>
      <translation>Форма:</translation>
    </message>
    <message>
      <source>Search:</source>
      <translation>Пошук:</translation>
    </message>
    <message>
      <source>Any answer, e.g. a settlement</source>
      <translation>Будь-яка відповідь, напр. населений пункт</translation>
    </message>
    <message>
      <source>Delete record</source>
      <translation>Видалити запис</translation>
    </message>
    <message>
      <source>Delete this record? It is removed on every device after the next sync.</source>
      <translation>Видалити цей запис? Його буде видалено на всіх пристроях після наступної синхронізації.</translation>
    </message>
    <message>
      <source>View and history</source>
      <translation>Переглянути й історія</translation>
    </message>
    <message>
      <source>Edit</source>
      <translation>Редагувати</translation>
    </message>
    <message>
      <source>Delete…</source>
      <translation>Видалити…</translation>
    </message>
    <message>
      <source>{n} record(s)</source>
      <translation>Записів: {n}</translation>
    </message>
    <message>
      <source>{shown} of {n} record(s) match</source>
      <translation>Знайдено: {shown} із {n}</translation>
    </message>
    <message>
      <source>same first name</source>
      <translation>те саме ім’я</translation>
    </message>
    <message>
      <source>names match across scripts</source>
      <translation>імена збігаються в різних абетках</translation>
    </message>
    <message>
      <source>one first name in two forms</source>
      <translation>одне ім’я у двох формах</translation>
    </message>
    <message>
      <source>first names nearly match (a typing error?)</source>
      <translation>імена майже збігаються (помилка набору?)</translation>
    </message>
    <message>
      <source>different first names</source>
      <translation>різні імена</translation>
    </message>
    <message>
      <source>first names differ</source>
      <translation>імена відрізняються</translation>
    </message>
    <message>
      <source>first name matches an initial</source>
      <translation>ім’я відповідає ініціалу</translation>
    </message>
    <message>
      <source>first name and initial differ</source>
      <translation>ім’я та ініціал не збігаються</translation>
    </message>
    <message>
      <source>same surname</source>
      <translation>те саме прізвище</translation>
    </message>
    <message>
      <source>surnames match in two spellings</source>
      <translation>прізвища збігаються у двох написаннях</translation>
    </message>
    <message>
      <source>surnames nearly match (a typing error?)</source>
      <translation>прізвища майже збігаються (помилка набору?)</translation>
    </message>
    <message>
      <source>different surnames</source>
      <translation>різні прізвища</translation>
    </message>
    <message>
      <source>same patronymic</source>
      <translation>те саме по батькові</translation>
    </message>
    <message>
      <source>patronymics from the same father's name</source>
      <translation>по батькові від того самого імені батька</translation>
    </message>
    <message>
      <source>different patronymics</source>
      <translation>різні по батькові</translation>
    </message>
    <message>
      <source>same birth date</source>
      <translation>та сама дата народження</translation>
    </message>
    <message>
      <source>birth dates differ by a day/month swap</source>
      <translation>дати народження відрізняються переставленими днем і місяцем</translation>
    </message>
    <message>
      <source>same birth year; one birth date is the 01.01 placeholder</source>
      <translation>той самий рік народження; одна з дат — заглушка 01.01</translation>
    </message>
    <message>
      <source>birth dates differ by one digit</source>
      <translation>дати народження відрізняються однією цифрою</translation>
    </message>
    <message>
      <source>different birth dates</source>
      <translation>різні дати народження</translation>
    </message>
    <message>
      <source>same tax number</source>
      <translation>той самий РНОКПП</translation>
    </message>
    <message>
      <source>different tax numbers</source>
      <translation>різні РНОКПП</translation>
    </message>
    <message>
      <source>same passport number</source>
      <translation>той самий номер паспорта</translation>
    </message>
    <message>
      <source>same ID card number</source>
      <translation>той самий номер ID-картки</translation>
    </message>
    <message>
      <source>passport numbers differ by one character</source>
      <translation>номери паспортів відрізняються одним символом</translation>
    </message>
    <message>
      <source>ID card numbers differ by one character</source>
      <translation>номери ID-карток відрізняються одним символом</translation>
    </message>
    <message>
      <source>different passport numbers</source>
      <translation>різні номери паспортів</translation>
    </message>
    <message>
      <source>different ID card numbers</source>
      <translation>різні номери ID-карток</translation>
    </message>
    <message>
      <source>same document number</source>
      <translation>той самий номер документа</translation>
    </message>
    <message>
      <source>same phone</source>
      <translation>той самий телефон</translation>
    </message>
    <message>
      <source>one is a man, the other a woman</source>
      <translation>один — чоловік, інша — жінка</translation>
    </message>
    <message>
      <source>same settlement</source>
      <translation>той самий населений пункт</translation>
    </message>
    <message>
      <source>same card code</source>
      <translation>той самий код картки</translation>
    </message>
    <message>
      <source>same household</source>
      <translation>те саме домогосподарство</translation>
    </message>
    <message>
      <source>different households</source>
      <translation>різні домогосподарства</translation>
    </message>
    <message>
      <source>unsure</source>
      <translation>не певно</translation>
    </message>
    <message>
      <source>Head of household</source>
      <translation>Голова домогосподарства</translation>
    </message>
    <message>
      <source>Date of birth</source>
      <translation>Дата народження</translation>
    </message>
    <message>
      <source>Phone</source>
      <translation>Телефон</translation>
    </message>
    <message>
      <source>Other phone</source>
      <translation>Інший телефон</translation>
    </message>
    <message>
      <source>Document</source>
      <translation>Документ</translation>
    </message>
    <message>
      <source>Tax number (RNOKPP)</source>
      <translation>РНОКПП (податковий номер)</translation>
    </message>
    <message>
      <source>Team</source>
      <translation>Команда</translation>
    </message>
    <message>
      <source>Registered</source>
      <translation>Зареєстровано</translation>
    </message>
    <message>
      <source>Reference</source>
      <translation>Номер у списку</translation>
    </message>
    <message>
      <source>Card code</source>
      <translation>Код картки</translation>
    </message>
    <message>
      <source>Consent</source>
      <translation>Згода</translation>
    </message>
    <message>
      <source>given</source>
      <translation>надано</translation>
    </message>
    <message>
      <source>not given</source>
      <translation>не надано</translation>
    </message>
    <message>
      <source>disputed</source>
      <translation>спірно</translation>
    </message>
    <message>
      <source>Register a household</source>
      <translation>Реєстрація домогосподарства</translation>
    </message>
    <message>
      <source>Surname, first name, patronymic</source>
      <translation>Прізвище, ім’я, по батькові</translation>
    </message>
    <message>
      <source>e.g. 14.03.1975</source>
      <translation>напр. 14.03.1975</translation>
    </message>
    <message>
      <source>e.g. 067 123 45 67</source>
      <translation>напр. 067 123 45 67</translation>
    </message>
    <message>
      <source>Document type</source>
      <translation>Тип документа</translation>
    </message>
    <message>
      <source>Document number</source>
      <translation>Номер документа</translation>
    </message>
    <message>
      <source>Consent given for registration and assistance</source>
      <translation>Згоду на реєстрацію та допомогу надано</translation>
    </message>
    <message>
      <source>Check and register</source>
      <translation>Перевірити й зареєструвати</translation>
    </message>
    <message>
      <source>Registry</source>
      <translation>Реєстр</translation>
    </message>
    <message>
      <source>Register a household…</source>
      <translation>Зареєструвати домогосподарство…</translation>
    </message>
    <message>
      <source>Households</source>
      <translation>Домогосподарства</translation>
    </message>
    <message>
      <source>Duplicates to review</source>
      <translation>Дублікати на розгляд</translation>
    </message>
    <message>
      <source>Card code, phone, document, tax number, or name in either script</source>
      <translation>Код картки, телефон, документ, РНОКПП або ім’я будь-якою абеткою</translation>
    </message>
    <message>
      <source>Households found</source>
      <translation>Знайдені домогосподарства</translation>
    </message>
    <message>
      <source>Household</source>
      <translation>Домогосподарство</translation>
    </message>
    <message>
      <source>Find duplicates</source>
      <translation>Знайти дублікати</translation>
    </message>
    <message>
      <source>Pairs to review</source>
      <translation>Пари на розгляд</translation>
    </message>
    <message>
      <source>Why they may be one household:</source>
      <translation>Чому це може бути одне домогосподарство:</translation>
    </message>
    <message>
      <source>Reason:</source>
      <translation>Причина:</translation>
    </message>
    <message>
      <source>Why you decided so (needed for same and different)</source>
      <translation>Чому ви так вирішили (потрібно для «те саме» і «різні»)</translation>
    </message>
    <message>
      <source>Save and next</source>
      <translation>Зберегти й далі</translation>
    </message>
    <message>
      <source>Reading the registry…</source>
      <translation>Читаємо реєстр…</translation>
    </message>
    <message>
      <source>Reading names, dates and documents…</source>
      <translation>Читаємо імена, дати й документи…</translation>
    </message>
    <message>
      <source>Grouping likely pairs…</source>
      <translation>Групуємо ймовірні пари…</translation>
    </message>
    <message>
      <source>Comparing pairs…</source>
      <translation>Порівнюємо пари…</translation>
    </message>
    <message>
      <source>none</source>
      <translation>немає</translation>
    </message>
    <message>
      <source>passport</source>
      <translation>паспорт</translation>
    </message>
    <message>
      <source>ID card</source>
      <translation>ID-картка</translation>
    </message>
    <message>
      <source>1 &amp;Same household</source>
      <translation>1 &amp;Те саме домогосподарство</translation>
    </message>
    <message>
      <source>2 &amp;Different households</source>
      <translation>2 &amp;Різні домогосподарства</translation>
    </message>
    <message>
      <source>3 &amp;Unsure</source>
      <translation>3 &amp;Не певно</translation>
    </message>
    <message>
      <source>Choose same (1), different (2) or unsure (3) first.</source>
      <translation>Спершу виберіть: те саме (1), різні (2) або не певно (3).</translation>
    </message>
    <message>
      <source>Give a reason for this decision.</source>
      <translation>Вкажіть причину цього рішення.</translation>
    </message>
    <message>
      <source>Not saved: these two are already linked the other way round.</source>
      <translation>Не збережено: ці двоє вже пов’язані у зворотному напрямку.</translation>
    </message>
    <message>
      <source>born {n} years apart</source>
      <translation>народжені з різницею {n} років</translation>
    </message>
    <message>
      <source>same phone (on {n} registrations)</source>
      <translation>той самий телефон (у {n} реєстраціях)</translation>
    </message>
    <message>
      <source>same phone, but it is on {n} registrations</source>
      <translation>той самий телефон, але він є у {n} реєстраціях</translation>
    </message>
    <message>
      <source>{n} household(s) registered on this laptop.</source>
      <translation>Домогосподарств, зареєстрованих на цьому ноутбуці: {n}.</translation>
    </message>
    <message>
      <source>duplicate link</source>
      <translation>посилання на дублікат</translation>
    </message>
    <message>
      <source>duplicate decision</source>
      <translation>рішення щодо дубліката</translation>
    </message>
    <message>
      <source>{n} pair(s) to review. Keys: 1 same, 2 different, 3 unsure; then the reason and Return.</source>
      <translation>Пар на розгляд: {n}. Клавіші: 1 те саме, 2 різні, 3 не певно; потім причина й Enter.</translation>
    </message>
    <message>
      <source>Saved: {verdict}.</source>
      <translation>Збережено: {verdict}.</translation>
    </message>
    <message>
      <source>Check these fields: {fields}.</source>
      <translation>Перевірте ці поля: {fields}.</translation>
    </message>
    <message>
      <source>{n} household(s) found</source>
      <translation>Знайдено домогосподарств: {n}</translation>
    </message>
    <message>
      <source>Members</source>
      <translation>Члени домогосподарства</translation>
    </message>
    <message>
      <source>Duplicate decisions</source>
      <translation>Рішення щодо дублікатів</translation>
    </message>
    <message>
      <source>Registered first ({ref})</source>
      <translation>Зареєстровано раніше ({ref})</translation>
    </message>
    <message>
      <source>Registered later ({ref})</source>
      <translation>Зареєстровано пізніше ({ref})</translation>
    </message>
    <message>
      <source>Two team leads decided this pair differently; the decision that holds now: {v}.</source>
      <translation>Двоє керівників команд вирішили щодо цієї пари по-різному; зараз чинне рішення: {v}.</translation>
    </message>
    <message>
      <source>Score {score} (a pair is proposed from {min})</source>
      <translation>Оцінка {score} (пару пропонують від {min})</translation>
    </message>
    <message>
      <source>Not saved: {why}</source>
      <translation>Не збережено: {why}</translation>
    </message>
    <message>
      <source>Linked as a duplicate of {name}.</source>
      <translation>Позначено як дублікат: {name}.</translation>
    </message>
    <message>
      <source>{when}: {who} decided “{verdict}” with {name}: {reason}</source>
      <translation>{when}: {who} вирішив(ла) «{verdict}» щодо {name}: {reason}</translation>
    </message>
    <message>
      <source>WIPE</source>
      <translation>СТЕРТИ</translation>
    </message>
    <message>
      <source>Settings</source>
      <translation>Налаштування</translation>
    </message>
    <message>
      <source>This laptop</source>
      <translation>Цей ноутбук</translation>
    </message>
    <message>
      <source>Interface language:</source>
      <translation>Мова інтерфейсу:</translation>
    </message>
    <message>
      <source> min</source>
      <translation> хв</translation>
    </message>
    <message>
      <source>Lock after idle:</source>
      <translation>Блокувати після бездіяльності:</translation>
    </message>
    <message>
      <source>Server enrollment</source>
      <translation>Реєстрація на сервері</translation>
    </message>
    <message>
      <source>Status:</source>
      <translation>Стан:</translation>
    </message>
    <message>
      <source>Server address:</source>
      <translation>Адреса сервера:</translation>
    </message>
    <message>
      <source>One-time code:</source>
      <translation>Одноразовий код:</translation>
    </message>
    <message>
      <source>Enroll</source>
      <translation>Зареєструвати</translation>
    </message>
    <message>
      <source>Passphrase and recovery</source>
      <translation>Парольна фраза й відновлення</translation>
    </message>
    <message>
      <source>Current passphrase:</source>
      <translation>Поточна парольна фраза:</translation>
    </message>
    <message>
      <source>New passphrase:</source>
      <translation>Нова парольна фраза:</translation>
    </message>
    <message>
      <source>New passphrase again:</source>
      <translation>Нова парольна фраза ще раз:</translation>
    </message>
    <message>
      <source>Change passphrase</source>
      <translation>Змінити парольну фразу</translation>
    </message>
    <message>
      <source>Recovery key:</source>
      <translation>Ключ відновлення:</translation>
    </message>
    <message>
      <source>Lost or seized laptop</source>
      <translation>Втрачений або вилучений ноутбук</translation>
    </message>
    <message>
      <source>Wiping destroys the keys: nothing on this laptop can be read again, by anyone. Changes not yet synced are lost.</source>
      <translation>Стирання знищує ключі: ніхто більше не зможе прочитати дані на цьому ноутбуці. Несинхронізовані зміни буде втрачено.</translation>
    </message>
    <message>
      <source>Wipe this profile…</source>
      <translation>Стерти цей профіль…</translation>
    </message>
    <message>
      <source>Changing the passphrase…</source>
      <translation>Зміна парольної фрази…</translation>
    </message>
    <message>
      <source>Wipe this profile</source>
      <translation>Стерти цей профіль</translation>
    </message>
    <message>
      <source>Not enrolled: this laptop syncs only by USB bundle.</source>
      <translation>Не зареєстровано: цей ноутбук синхронізується лише через USB-пакети.</translation>
    </message>
    <message>
      <source>Set. It was shown once when the profile was created.</source>
      <translation>Є. Його показано один раз під час створення профілю.</translation>
    </message>
    <message>
      <source>None. Ask your supervisor to issue one.</source>
      <translation>Немає. Попросіть керівника видати новий.</translation>
    </message>
    <message>
      <source>The two passphrases differ. Type the same one twice.</source>
      <translation>Парольні фрази різняться. Введіть ту саму фразу двічі.</translation>
    </message>
    <message>
      <source>Passphrase changed. Use the new one from now on.</source>
      <translation>Парольну фразу змінено. Відтепер використовуйте нову.</translation>
    </message>
    <message>
      <source>This cannot be undone. Type {word} to destroy the keys of this profile.</source>
      <translation>Цю дію не можна скасувати. Введіть {word}, щоб знищити ключі цього профілю.</translation>
    </message>
    <message>
      <source>Nothing was wiped: the word did not match.</source>
      <translation>Нічого не стерто: слово не збіглося.</translation>
    </message>
    <message>
      <source>Enrolled with {url} (team {team}).</source>
      <translation>Зареєстровано на {url} (команда {team}).</translation>
    </message>
    <message>
      <source>Enrolled with {url}. Sync starts now.</source>
      <translation>Зареєстровано на {url}. Синхронізація починається.</translation>
    </message>
    <message>
      <source>Connected, but this laptop's date and time are wrong</source>
      <translation>З'єднано, але дата й час на цьому ноутбуці неправильні</translation>
    </message>
    <message>
      <source>Connected: new changes go out shortly</source>
      <translation>Зʼєднано: нові зміни буде надіслано найближчим часом</translation>
    </message>
    <message>
      <source>Working…</source>
      <translation>Виконується…</translation>
    </message>
    <message>
      <source>The server does not answer; sync will try again by itself.</source>
      <translation>Сервер не відповідає; синхронізація повториться автоматично.</translation>
    </message>
    <message>
      <source>Sync failed unexpectedly; it will try again. If it happens again, tell your supervisor.</source>
      <translation>Синхронізація несподівано не вдалася; спроба повториться. Якщо це станеться знову, повідомте керівника.</translation>
    </message>
    <message>
      <source>This laptop's clock is ahead of the server's. Set the correct date and time; newer changes wait until then.</source>
      <translation>Годинник цього ноутбука поспішає відносно сервера. Встановіть правильні дату й час; новіші зміни чекатимуть до того.</translation>
    </message>
    <message>
      <source>This laptop's clock is far behind the server's. Set the correct date and time: while it is wrong, edits made here can lose to older ones.</source>
      <translation>Годинник цього ноутбука значно відстає від серверного. Встановіть правильні дату й час: поки вони неправильні, зміни, зроблені тут, можуть програти старішим.</translation>
    </message>
    <message>
      <source>This laptop's date was wrong earlier. The changes made then were given the current time and sent; their values are unchanged.</source>
      <translation>Раніше дата на цьому ноутбуці була неправильна. Зміни, зроблені тоді, отримали поточний час і надіслані; їхні значення не змінилися.</translation>
    </message>
    <message>
      <source>The server refused some changes for good. They are set aside so that the rest can sync; nothing was deleted.</source>
      <translation>Сервер остаточно відхилив деякі зміни. Їх відкладено, щоб решта могла синхронізуватися; нічого не видалено.</translation>
    </message>
    <message>
      <source>The server sent a note with this sync; its text is in the tooltip.</source>
      <translation>Сервер додав примітку до цієї синхронізації; її текст є в підказці.</translation>
    </message>
    <message>
      <source>never synced</source>
      <translation>ще не синхронізовано</translation>
    </message>
    <message>
      <source>{n} change(s) set aside: the server will not take them. Your supervisor can export them for support with 'sync set-aside --export'.</source>
      <translation>Відкладено змін: {n}; сервер їх не прийме. Керівник може експортувати їх для підтримки командою 'sync set-aside --export'.</translation>
    </message>
    <message>
      <source>{n} conflict(s) to review</source>
      <translation>Конфліктів для перегляду: {n}</translation>
    </message>
    <message>
      <source>last sync {time}</source>
      <translation>остання синхронізація {time}</translation>
    </message>
    <message>
      <source>Sync and USB</source>
      <translation>Синхронізація та USB</translation>
    </message>
    <message>
      <source>Server</source>
      <translation>Сервер</translation>
    </message>
    <message>
      <source>Sync now</source>
      <translation>Синхронізувати</translation>
    </message>
    <message>
      <source>USB bundle (when there is no network)</source>
      <translation>USB-пакет (коли немає мережі)</translation>
    </message>
    <message>
      <source>File:</source>
      <translation>Файл:</translation>
    </message>
    <message>
      <source>e.g. /media/usb/fieldbook.fbb</source>
      <translation>напр. /media/usb/fieldbook.fbb</translation>
    </message>
    <message>
      <source>Choose file to import…</source>
      <translation>Вибрати файл для імпорту…</translation>
    </message>
    <message>
      <source>Choose where to export…</source>
      <translation>Вибрати, куди експортувати…</translation>
    </message>
    <message>
      <source>Export changes to this file</source>
      <translation>Експортувати зміни в цей файл</translation>
    </message>
    <message>
      <source>Import this file</source>
      <translation>Імпортувати цей файл</translation>
    </message>
    <message>
      <source>Conflicts: two laptops changed the same answer</source>
      <translation>Конфлікти: два ноутбуки змінили ту саму відповідь</translation>
    </message>
    <message>
      <source>Conflicts</source>
      <translation>Конфлікти</translation>
    </message>
    <message>
      <source>Keep current value…</source>
      <translation>Залишити поточне значення…</translation>
    </message>
    <message>
      <source>Restore the value set aside…</source>
      <translation>Відновити відкладене значення…</translation>
    </message>
    <message>
      <source>Choose where to export the bundle</source>
      <translation>Виберіть, куди експортувати пакет</translation>
    </message>
    <message>
      <source>Choose a bundle to import</source>
      <translation>Виберіть пакет для імпорту</translation>
    </message>
    <message>
      <source>Fieldbook bundles (*.fbb);;All files (*)</source>
      <translation>Пакети Fieldbook (*.fbb);;Усі файли (*)</translation>
    </message>
    <message>
      <source>Look in:</source>
      <translation>Тека:</translation>
    </message>
    <message>
      <source>File name:</source>
      <translation>Назва файлу:</translation>
    </message>
    <message>
      <source>Files of type:</source>
      <translation>Тип файлів:</translation>
    </message>
    <message>
      <source>Restore the value set aside</source>
      <translation>Відновити відкладене значення</translation>
    </message>
    <message>
      <source>Restore “{lost}”?</source>
      <translation>Відновити «{lost}»?</translation>
    </message>
    <message>
      <source>It replaces the current value, “{current}”, on every laptop after the next sync.</source>
      <translation>Воно замінить поточне значення «{current}» на всіх ноутбуках після наступної синхронізації.</translation>
    </message>
    <message>
      <source>Restore</source>
      <translation>Відновити</translation>
    </message>
    <message>
      <source>Keep the current value</source>
      <translation>Залишити поточне значення</translation>
    </message>
    <message>
      <source>Keep the current value, “{current}”?</source>
      <translation>Залишити поточне значення «{current}»?</translation>
    </message>
    <message>
      <source>The value set aside, “{lost}”, is dropped and the conflict is closed.</source>
      <translation>Відкладене значення «{lost}» буде відкинуто, а конфлікт закрито.</translation>
    </message>
    <message>
      <source>Keep</source>
      <translation>Залишити</translation>
    </message>
    <message>
      <source>(not on this laptop)</source>
      <translation>(немає на цьому ноутбуці)</translation>
    </message>
    <message>
      <source>Not connected to a server</source>
      <translation>Не під’єднано до сервера</translation>
    </message>
    <message>
      <source>Offline: will sync when the server answers</source>
      <translation>Немає зв’язку: синхронізується, коли сервер відповість</translation>
    </message>
    <message>
      <source>Syncing…</source>
      <translation>Синхронізація…</translation>
    </message>
    <message>
      <source>Up to date</source>
      <translation>Усе синхронізовано</translation>
    </message>
    <message>
      <source>Sync problem</source>
      <translation>Проблема синхронізації</translation>
    </message>
    <message>
      <source>Reading the changes to send…</source>
      <translation>Читання змін для надсилання…</translation>
    </message>
    <message>
      <source>Sealing: compressing and encrypting…</source>
      <translation>Запечатування: стиснення й шифрування…</translation>
    </message>
    <message>
      <source>Writing the file…</source>
      <translation>Запис файлу…</translation>
    </message>
    <message>
      <source>Checking the bundle's signature and contents…</source>
      <translation>Перевірка підпису та вмісту пакета…</translation>
    </message>
    <message>
      <source>Applying the changes…</source>
      <translation>Застосування змін…</translation>
    </message>
    <message>
      <source>Record</source>
      <translation>Запис</translation>
    </message>
    <message>
      <source>Question</source>
      <translation>Питання</translation>
    </message>
    <message>
      <source>Current value</source>
      <translation>Поточне значення</translation>
    </message>
    <message>
      <source>Value set aside</source>
      <translation>Відкладене значення</translation>
    </message>
    <message>
      <source>Choose</source>
      <translation>Вибрати</translation>
    </message>
    <message>
      <source>Open</source>
      <translation>Відкрити</translation>
    </message>
    <message>
      <source>Choose a file first.</source>
      <translation>Спершу виберіть файл.</translation>
    </message>
    <message>
      <source>This bundle is from another laptop for the hub. It is kept, unread, and will be uploaded at the next sync.</source>
      <translation>Цей пакет з іншого ноутбука для хабу. Його збережено непрочитаним і буде передано під час наступної синхронізації.</translation>
    </message>
    <message>
      <source>No conflicts to review.</source>
      <translation>Конфліктів для перегляду немає.</translation>
    </message>
    <message>
      <source>Choose a conflict in the list first.</source>
      <translation>Спершу виберіть конфлікт у списку.</translation>
    </message>
    <message>
      <source>(the record was deleted)</source>
      <translation>(запис видалено)</translation>
    </message>
    <message>
      <source>{n} change(s) waiting to be sent.</source>
      <translation>Змін, що очікують надсилання: {n}.</translation>
    </message>
    <message>
      <source>{stage} {percent}%</source>
      <translation>{stage} {percent}%</translation>
    </message>
    <message>
      <source>Exported {n} change(s) in {parts} files, too many for one: {first} to {last}. Take them all to the hub, which can import them in any order; the changes stay marked as waiting until the hub confirms them.</source>
      <translation>Експортовано змін: {n}, у {parts} файлах, бо для одного їх забагато: від {first} до {last}. Віднесіть до хабу всі файли; їх можна імпортувати в будь-якому порядку. Зміни позначено як такі, що чекають, доки хаб їх не підтвердить.</translation>
    </message>
    <message>
      <source>{record} (deleted)</source>
      <translation>{record} (видалено)</translation>
    </message>
    <message>
      <source>Exported {n} change(s) to the file. Take it to the hub; they stay marked as waiting until the hub confirms them.</source>
      <translation>Експортовано змін у файл: {n}. Віднесіть його до хабу; зміни вважатимуться такими, що очікують, доки хаб їх не підтвердить.</translation>
    </message>
    <message>
      <source>Imported: {new} new change(s), {dup} already here, {conf} conflict(s); the hub confirmed {acked} of ours.</source>
      <translation>Імпортовано: нових змін — {new}, уже наявних — {dup}, конфліктів — {conf}; хаб підтвердив наших змін: {acked}.</translation>
    </message>
    <message>
      <source>The hub's forms were updated.</source>
      <translation>Форми від хабу оновлено.</translation>
    </message>
    <message>
      <source>Refused: {reason}</source>
      <translation>Відхилено: {reason}</translation>
    </message>
    <message>
      <source>{n} to review. Choose a row, then keep the current value or restore the one set aside.</source>
      <translation>Для перегляду: {n}. Виберіть рядок, а потім залиште поточне значення або відновіть відкладене.</translation>
    </message>
    <message>
      <source>Record: {record}
Question: {question}</source>
      <translation>Запис: {record}
Питання: {question}</translation>
    </message>
    <message>
      <source>Fieldbook is locked</source>
      <translation>Fieldbook заблоковано</translation>
    </message>
    <message>
      <source>User:</source>
      <translation>Користувач:</translation>
    </message>
    <message>
      <source>Passphrase:</source>
      <translation>Парольна фраза:</translation>
    </message>
    <message>
      <source>Forgot it? Use the recovery key…</source>
      <translation>Забули? Скористайтеся ключем відновлення…</translation>
    </message>
    <message>
      <source>Unlock</source>
      <translation>Розблокувати</translation>
    </message>
    <message>
      <source>Type the recovery key that was shown once when this profile was created (it should be written on paper). Capitals, spaces and dashes do not matter.</source>
      <translation>Введіть ключ відновлення, який було показано один раз під час створення цього профілю (він має бути записаний на папері). Великі літери, пробіли й дефіси не мають значення.</translation>
    </message>
    <message>
      <source>Back</source>
      <translation>Назад</translation>
    </message>
    <message>
      <source>Continue</source>
      <translation>Продовжити</translation>
    </message>
    <message>
      <source>The recovery key is right. Now choose a new passphrase; the old one stops working. The recovery key stays as it is.</source>
      <translation>Ключ відновлення правильний. Тепер виберіть нову парольну фразу; стара перестане діяти. Ключ відновлення залишається тим самим.</translation>
    </message>
    <message>
      <source>For user:</source>
      <translation>Для користувача:</translation>
    </message>
    <message>
      <source>Set passphrase and unlock</source>
      <translation>Встановити фразу й розблокувати</translation>
    </message>
    <message>
      <source>Unlocking…</source>
      <translation>Розблокування…</translation>
    </message>
    <message>
      <source>Checking the recovery key…</source>
      <translation>Перевірка ключа відновлення…</translation>
    </message>
    <message>
      <source>Setting the new passphrase…</source>
      <translation>Встановлення нової парольної фрази…</translation>
    </message>
    <message>
      <source>Type the recovery key first.</source>
      <translation>Спершу введіть ключ відновлення.</translation>
    </message>
    <message>
      <source>The passphrase is too short: use at least 8 characters.</source>
      <translation>Парольна фраза закоротка: використайте щонайменше 8 символів.</translation>
    </message>
    <message>
      <source>Try again in {n} s</source>
      <translation>Повторіть через {n} с</translation>
    </message>
    <message>
      <source>Type your name first.</source>
      <translation>Спершу введіть своє ім’я.</translation>
    </message>
    <message>
      <source>Welcome to Fieldbook</source>
      <translation>Ласкаво просимо до Fieldbook</translation>
    </message>
    <message>
      <source>Language (Мова):</source>
      <translation>Мова (Language):</translation>
    </message>
    <message>
      <source>Everything you record on this laptop is encrypted with your passphrase. Choose one you can remember: a few words are easier than symbols.</source>
      <translation>Усе, що ви записуєте на цьому ноутбуці, шифрується вашою парольною фразою. Виберіть таку, яку запам’ятаєте: кілька слів легші за символи.</translation>
    </message>
    <message>
      <source>Your name:</source>
      <translation>Ваше ім’я:</translation>
    </message>
    <message>
      <source>Passphrase again:</source>
      <translation>Парольна фраза ще раз:</translation>
    </message>
    <message>
      <source>Create profile</source>
      <translation>Створити профіль</translation>
    </message>
    <message>
      <source>This is your recovery key. If every passphrase is forgotten, it is the only way to open this profile. Write it on paper now and keep it apart from the laptop. It will not be shown again.</source>
      <translation>Це ваш ключ відновлення. Якщо всі парольні фрази забуто, лише він відкриє цей профіль. Запишіть його на папері зараз і зберігайте окремо від ноутбука. Його більше не буде показано.</translation>
    </message>
    <message>
      <source>I have written it down</source>
      <translation>Я його записав(-ла)</translation>
    </message>
    <message>
      <source>If your hub gave you a server address and a one-time code, enter them to sync automatically. You can also do this later in Settings.</source>
      <translation>Якщо хаб дав вам адресу сервера й одноразовий код, введіть їх для автоматичної синхронізації. Це можна зробити й пізніше в Налаштуваннях.</translation>
    </message>
    <message>
      <source>Skip for now</source>
      <translation>Пропустити зараз</translation>
    </message>
    <message>
      <source>Enroll and start</source>
      <translation>Зареєструвати й почати</translation>
    </message>
    <message>
      <source>&amp;Fieldbook</source>
      <translation>&amp;Fieldbook</translation>
    </message>
    <message>
      <source>Lock now</source>
      <translation>Заблокувати зараз</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>Вийти</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>&amp;Довідка</translation>
    </message>
    <message>
      <source>About Fieldbook</source>
      <translation>Про Fieldbook</translation>
    </message>
    <message>
      <source>Two laptops changed the same answer. Open Sync and USB to choose which value stays.</source>
      <translation>Два ноутбуки змінили ту саму відповідь. Відкрийте «Синхронізація та USB», щоб вибрати, яке значення залишиться.</translation>
    </message>
    <message>
      <source>Offline-first data collection for field teams. Everything you type is encrypted on this computer, and synced with your team's server or by USB.</source>
      <translation>Збір даних для польових команд, що працює без мережі. Усе, що ви вводите, шифрується на цьому комп’ютері й синхронізується із сервером вашої команди або через USB.</translation>
    </message>
    <message>
      <source>Sections</source>
      <translation>Розділи</translation>
    </message>
    <message>
      <source>This profile was wiped. Close Fieldbook.</source>
      <translation>Цей профіль стерто. Закрийте Fieldbook.</translation>
    </message>
    <message>
      <source>Locked</source>
      <translation>Заблоковано</translation>
    </message>
    <message>
      <source>Home</source>
      <translation>Головна</translation>
    </message>
    <message>
      <source>Desk</source>
      <translation>Пункт видачі</translation>
    </message>
    <message>
      <source>{n} waiting to sync</source>
      <translation>Очікують синхронізації: {n}</translation>
    </message>
    <message>
      <source>{form} — Fieldbook</source>
      <translation>{form} — Fieldbook</translation>
    </message>
    <message>
      <source>Version {version}</source>
      <translation>Версія {version}</translation>
    </message>
    <message>
      <source>{n} set aside</source>
      <translation>відкладено: {n}</translation>
    </message>
  </context>
</TS>
