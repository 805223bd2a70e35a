"""Importing schools and users from xlsx templates: all or nothing, errors by row and column."""
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
USER_HEADERS = ("Электронная почта", "ФИО", "Должность", "Роль", "Организация", "Пароль")
ROLE_NAMES = {"руководитель": "admin", "куратор": "curator", "школа-тьютор": "tutor", "школа": "school",
              "наблюдатель": "observer", **{r: r for r in ROLES}}


def _yes_no(errors, number, column, value):
    text = imports.text(value).lower()
    if text not in ("", "да", "нет"):
        errors.append((number, column, "нужно «да» или «нет»"))
    return text == "да"


def import_schools(actor, file_storage):
    rows = imports.read_rows(file_storage, SCHOOL_HEADERS, max_rows=3000)
    existing = {n.lower() for n in db.session.scalars(select(Organisation.short_name).where(
        Organisation.municipality_id == actor.municipality_id))}
    errors, parsed, seen = [], [], {}
    for number, row in rows:
        short, full = imports.text(row["Краткое название"]), imports.text(row["Полное название"])
        if not short:
            errors.append((number, "Краткое название", "не заполнено"))
        elif len(short) > 120:
            errors.append((number, "Краткое название", "длиннее 120 символов"))
        elif short.lower() in existing:
            errors.append((number, "Краткое название", "такая организация уже есть"))
        elif short.lower() in seen:
            errors.append((number, "Краткое название", f"повторяет строку {seen[short.lower()]}"))
        seen.setdefault(short.lower(), number)
        if not full:
            errors.append((number, "Полное название", "не заполнено"))
        elif len(full) > 300:
            errors.append((number, "Полное название", "длиннее 300 символов"))
        kind = KINDS.get(imports.text(row["Тип"]).lower() or "школа")
        if kind is None:
            errors.append((number, "Тип", f"допустимо: {', '.join(KINDS)}"))
        students = row["Обучающихся"]
        if students not in (None, ""):
            try:
                students = int(float(str(students).replace(",", ".")))
                if not 0 <= students <= 10000:
                    raise ValueError
            except ValueError:
                errors.append((number, "Обучающихся", "целое число от 0 до 10 000"))
                students = None
        else:
            students = None
        low = _yes_no(errors, number, "ШНОР (да/нет)", row["ШНОР (да/нет)"])
        unfavourable = _yes_no(errors, number, "ШНСУ (да/нет)", row["ШНСУ (да/нет)"])
        parsed.append(Organisation(municipality_id=actor.municipality_id, kind=kind or "school", short_name=short[:120],
                                   name=full[:300], address=imports.text(row["Адрес"])[:300],
                                   director=imports.text(row["Руководитель"])[:200], students=students,
                                   is_low_results=low, is_unfavourable=unfavourable))
    if errors:
        raise imports.RowErrors(errors)
    return _save_all(actor, parsed, "organisations")


def import_users(actor, file_storage, hash_method):
    rows = imports.read_rows(file_storage, USER_HEADERS, max_rows=3000)
    orgs = {o.short_name.lower(): o for o in db.session.scalars(select(Organisation).where(
        Organisation.municipality_id == actor.municipality_id))}
    taken = {e.lower() for e in db.session.scalars(select(func.lower(User.email)))}
    errors, parsed, seen = [], [], {}
    for number, row in rows:
        email = imports.text(row["Электронная почта"]).lower()
        if not email or "@" not in email or len(email) > 254 or " " in email:
            errors.append((number, "Электронная почта", "неверный адрес"))
        elif email in taken:
            errors.append((number, "Электронная почта", "пользователь с такой почтой уже есть"))
        elif email in seen:
            errors.append((number, "Электронная почта", f"повторяет строку {seen[email]}"))
        seen.setdefault(email, number)
        name = imports.text(row["ФИО"])
        if not name or len(name) > 200:
            errors.append((number, "ФИО", "не заполнено" if not name else "длиннее 200 символов"))
        role = ROLE_NAMES.get(imports.text(row["Роль"]).lower())
        if role is None:
            errors.append((number, "Роль", f"допустимо: {', '.join(list(ROLE_NAMES)[:5])}"))
        org_name = imports.text(row["Организация"])
        org = orgs.get(org_name.lower()) if org_name else None
        if org_name and org is None:
            errors.append((number, "Организация", f"организация «{org_name}» не найдена"))
        if role in ("school", "tutor") and (org is None or not org.is_school):
            errors.append((number, "Организация", "для этой роли нужна школа"))
        password = "" if row["Пароль"] is None else str(row["Пароль"])
        if len(password) < 10 or not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
            errors.append((number, "Пароль", "не короче 10 символов, буквы и цифры"))
        user = User(email=email, full_name=name[:200], position=imports.text(row["Должность"])[:200],
                    role=role or "observer", municipality_id=actor.municipality_id,
                    organisation_id=org.id if org else None)
        parsed.append((user, password))
    if errors:
        raise imports.RowErrors(errors)
    from werkzeug.security import generate_password_hash

    for user, password in parsed:
        user.password_hash = generate_password_hash(password, method=hash_method)
    return _save_all(actor, [u for u, _p in parsed], "users")


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
        "Как заполнить лист «Организации»",
        "Одна строка — одна организация. Краткое название — как в Опоре, уникально в муниципалитете.",
        f"Тип — одно из: {', '.join(KINDS)} (пусто — школа).",
        "Обучающихся — целое число; ШНОР и ШНСУ — «да» или «нет».",
        "Если хотя бы одна строка с ошибкой, не загружается ничего: Опора назовёт строку и столбец."],
        examples=[("Новосёловская СОШ", "МБОУ «Новосёловская СОШ»", "школа", "с. Новосёлово", "Петрова А. А.", 180,
                   "нет", "нет")], widths={"Полное название": 40, "Краткое название": 26})


def users_template():
    return imports.template("Пользователи", USER_HEADERS, [
        "Как заполнить лист «Пользователи»",
        "Одна строка — один пользователь. Почта уникальна.",
        "Роль — руководитель, куратор, школа-тьютор, школа или наблюдатель.",
        "Организация — краткое название, как в Опоре; для ролей «школа» и «школа-тьютор» — школа.",
        "Пароль — не короче 10 символов, буквы и цифры; попросите сменить его при первом входе.",
        "Если хотя бы одна строка с ошибкой, не загружается ничего."],
        examples=[("ivanova@school.ru", "Иванова Анна Сергеевна", "заместитель директора", "школа", "Павловская СОШ",
                   "Vremenny2026")], widths={"ФИО": 32, "Электронная почта": 28})
