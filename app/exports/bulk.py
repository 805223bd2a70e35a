"""Importing schools and users from xlsx templates: all or nothing, errors by row and column."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from .. import imports
from ..accounts.models import ROLES, User
from ..activity.labels import N_
from ..activity.services import record
from ..extensions import db
from ..orgs.models import Organisation

SCHOOL_HEADERS = ("Краткое название", "Полное название", "Тип", "Адрес", "Руководитель", "Обучающихся",
                  "ШНОР (да/нет)", "ШНСУ (да/нет)")
KINDS = {"школа": "school", "управление образования": "department", "методический центр": "method_centre"}
# No password column: an imported account gets none; each person sets theirs by a one-time link.
USER_HEADERS = ("Электронная почта", "ФИО", "Должность", "Роль", "Организация")
ROLE_NAMES = {"руководитель": "admin", "куратор": "curator", "школа-тьютор": "tutor", "школа": "school",
              "наблюдатель": "observer", **{r: r for r in ROLES}}


def _yes_no(errors, number, column, value):
    text = imports.text(value).lower()
    if text not in ("", "да", "нет"):
        errors.append((number, column, _("нужно «да» или «нет»")))
    return text == "да"


SCHOOL_EXAMPLE = ("Новосёловская СОШ", "МБОУ «Новосёловская СОШ»", "школа", "с. Новосёлово", "Петрова А. А.", 180,
                  "нет", "нет")


def import_schools(actor, file_storage):
    rows = imports.read_rows(file_storage, SCHOOL_HEADERS, max_rows=3000)
    existing = {n.lower() for n in db.session.scalars(select(Organisation.short_name).where(
        Organisation.municipality_id == actor.municipality_id))}
    errors, parsed, seen = [], [], {}
    for number, row in rows:
        if imports.is_example(row, SCHOOL_HEADERS, SCHOOL_EXAMPLE):
            # An older template had its example on the data sheet: it is never imported.
            errors.append((number, "Краткое название", _("это пример из шаблона — удалите строку")))
            continue
        short, full = imports.text(row["Краткое название"]), imports.text(row["Полное название"])
        if not short:
            errors.append((number, "Краткое название", _("не заполнено")))
        elif len(short) > 120:
            errors.append((number, "Краткое название", _("длиннее 120 символов")))
        elif short.lower() in existing:
            errors.append((number, "Краткое название", _("такая организация уже есть")))
        elif short.lower() in seen:
            errors.append((number, "Краткое название", _("повторяет строку %(r)s", r=seen[short.lower()])))
        seen.setdefault(short.lower(), number)
        if not full:
            errors.append((number, "Полное название", _("не заполнено")))
        elif len(full) > 300:
            errors.append((number, "Полное название", _("длиннее 300 символов")))
        kind = KINDS.get(imports.text(row["Тип"]).lower() or "школа")
        if kind is None:
            errors.append((number, "Тип", _("допустимо: %(v)s", v=", ".join(KINDS))))
        students = imports.cell(errors, number, "Обучающихся", imports.integer, row["Обучающихся"],
                                minimum=0, maximum=10000)
        low = _yes_no(errors, number, "ШНОР (да/нет)", row["ШНОР (да/нет)"])
        unfavourable = _yes_no(errors, number, "ШНСУ (да/нет)", row["ШНСУ (да/нет)"])
        parsed.append(Organisation(municipality_id=actor.municipality_id, kind=kind or "school", short_name=short[:120],
                                   name=full[:300], address=imports.text(row["Адрес"])[:300],
                                   director=imports.text(row["Руководитель"])[:200], students=students,
                                   is_low_results=low, is_unfavourable=unfavourable))
    if errors:
        raise imports.RowErrors(errors)
    return _save_all(actor, parsed, "organisations")


def import_users(actor, file_storage):
    """Accounts from the users template, all or nothing, without passwords: each gets a one-time
    link to set one (accounts.services.issue_setup_link). Returns the links, to be shown now."""
    from ..accounts.services import issue_setup_link

    file_storage = _refuse_password_column(file_storage)
    rows = imports.read_rows(file_storage, USER_HEADERS, max_rows=3000)
    orgs = {o.short_name.lower(): o for o in db.session.scalars(select(Organisation).where(
        Organisation.municipality_id == actor.municipality_id))}
    taken = {e.lower() for e in db.session.scalars(select(func.lower(User.email)))}
    errors, parsed, seen = [], [], {}
    for number, row in rows:
        email = imports.text(row["Электронная почта"]).lower()
        if not email or "@" not in email or len(email) > 254 or " " in email:
            errors.append((number, "Электронная почта", _("неверный адрес")))
        elif email in taken:
            errors.append((number, "Электронная почта", _("пользователь с такой почтой уже есть")))
        elif email in seen:
            errors.append((number, "Электронная почта", _("повторяет строку %(row)s", row=seen[email])))
        seen.setdefault(email, number)
        name = imports.text(row["ФИО"])
        if not name or len(name) > 200:
            errors.append((number, "ФИО", _("не заполнено") if not name else _("длиннее 200 символов")))
        if (email, name.lower()) == OLD_EXAMPLE:
            errors.append((number, "Электронная почта", _("это пример из старого шаблона, а не пользователь")))
        role = ROLE_NAMES.get(imports.text(row["Роль"]).lower())
        if role is None:
            errors.append((number, "Роль", _("допустимо: %(roles)s", roles=", ".join(list(ROLE_NAMES)[:5]))))
        org_name = imports.text(row["Организация"])
        org = orgs.get(org_name.lower()) if org_name else None
        if org_name and org is None:
            errors.append((number, "Организация", _("организация «%(name)s» не найдена", name=org_name)))
        if role in ("school", "tutor") and (org is None or not org.is_school):
            errors.append((number, "Организация", _("для этой роли нужна школа")))
        parsed.append(User(email=email, full_name=name[:200], position=imports.text(row["Должность"])[:200],
                           role=role or "observer", municipality_id=actor.municipality_id,
                           organisation_id=org.id if org else None, password_hash=None))
    if errors:
        raise imports.RowErrors(errors)
    _save_all(actor, parsed, "users")
    return [issue_setup_link(actor, user) for user in parsed]


LEGACY_USER_HEADERS = USER_HEADERS + ("Пароль",)  # the template before issue 13
OLD_EXAMPLE = ("ivanova@school.ru", "иванова анна сергеевна")  # that template's example row, never an account
# Shown on the instructions sheet only; refused like the old one if copied onto the data sheet.
USER_EXAMPLE = ("ivanova@school.ru", "Иванова Анна Сергеевна", "заместитель директора", "школа", "Павловская СОШ")


def _refuse_password_column(file_storage):
    """A file made from the old template (with a «Пароль» column) is refused as a whole: passwords
    are no longer taken from files. The upload is buffered so both readings see the whole file;
    the check is cheap for a current file (read_rows stops at its header row)."""
    import io

    from werkzeug.datastructures import FileStorage

    data = file_storage.stream.read(imports.MAX_BYTES + 1)

    def copy():
        return FileStorage(io.BytesIO(data), filename=file_storage.filename, name=file_storage.name,
                           content_type=file_storage.content_type)

    try:
        imports.read_rows(copy(), LEGACY_USER_HEADERS, max_rows=3000)
    except (imports.ImportRefused, imports.RowErrors):
        return copy()  # not the old template (or a file the real reading refuses with its own message)
    raise imports.ImportRefused(_(
        "В файле есть столбец «Пароль»: это старый шаблон. Пароли больше не загружаются из файла — каждый "
        "пользователь получит ссылку, по которой сам задаст пароль. Скачайте новый шаблон; ожидаются "
        "заголовки: %(h)s.", h="; ".join(USER_HEADERS)))


def _save_all(actor, objects, what):
    try:
        db.session.add_all(objects)
        db.session.flush()
        record(actor, actor.municipality, "import", {what: [None, len(objects)]}, message=N_("Импорт из Excel"),
               municipality_id=actor.municipality_id)
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return len(objects)


def schools_template():
    return imports.template("Организации", SCHOOL_HEADERS, [
        _("Как заполнить лист «Организации»"),
        _("Одна строка — одна организация. Краткое название — как в Опоре, уникально в муниципалитете."),
        _("Тип — одно из: %(v)s (пусто — школа).", v=", ".join(KINDS)),
        _("Обучающихся — целое число от 0 до 10 000 (не дробь); ШНОР и ШНСУ — «да» или «нет»."),
        _("Если хотя бы одна строка с ошибкой, не загружается ничего: Опора назовёт строку и столбец.")],
        sample=[SCHOOL_EXAMPLE], widths={"Полное название": 40, "Краткое название": 26})


def users_template():
    days = current_app.config["SETUP_LINK_DAYS"]
    return imports.template("Пользователи", USER_HEADERS, [
        _("Как заполнить лист «Пользователи»"),
        _("Одна строка — один пользователь. Почта уникальна."),
        _("Роль — руководитель, куратор, школа-тьютор, школа или наблюдатель."),
        _("Организация — краткое название, как в Опоре; для ролей «школа» и «школа-тьютор» — школа."),
        ngettext("Паролей в файле нет: после загрузки Опора покажет для каждого одноразовую ссылку, по которой "
                 "он сам задаст пароль (ссылка действует %(num)s день).",
                 "Паролей в файле нет: после загрузки Опора покажет для каждого одноразовую ссылку, по которой "
                 "он сам задаст пароль (ссылка действует %(num)s дней).", days),
        _("Если хотя бы одна строка с ошибкой, не загружается ничего.")],
        sample=[USER_EXAMPLE], widths={"ФИО": 32, "Электронная почта": 28})
