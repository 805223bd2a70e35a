"""A new municipality from nothing: the tenant, its department and the reference lists the
regulations give every municipality (context factors, observation checklist, deficit areas,
mechanisms catalogue). Called by `flask create-municipality`; the demo uses the same path.

Reference lists are copied into the municipality so that each department can then edit its
own (rename a criterion, switch one off) without touching another's.
"""
from zoneinfo import available_timezones

from . import catalogue
from .extensions import db
from .orgs.models import ContextFactor, Municipality, Organisation


class ProvisioningError(ValueError):
    """A municipality that cannot be created as asked; the message is for the operator."""


def create_municipality(code, name, *, region="", timezone="Asia/Krasnoyarsk", department_name=""):


    code = (code or "").strip().lower()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise ProvisioningError("Код муниципалитета: латинские буквы, цифры, дефис.")
    if timezone not in available_timezones():
        raise ProvisioningError(f"Неизвестный часовой пояс «{timezone}» (пример: Asia/Krasnoyarsk).")
    if db.session.scalar(db.select(Municipality.id).where(Municipality.code == code)):
        raise ProvisioningError(f"Муниципалитет с кодом «{code}» уже есть.")
    municipality = Municipality(code=code, name=name.strip(), region=region.strip(), timezone=timezone)
    db.session.add(municipality)
    db.session.flush()
    db.session.add(Organisation(municipality_id=municipality.id, kind="department",
                                name=department_name.strip() or f"Управление образования: {municipality.name}",
                                short_name="Управление образования"))
    for position, factor in enumerate(catalogue.CONTEXT_FACTORS):
        db.session.add(ContextFactor(municipality_id=municipality.id, code=factor["code"], name=factor["name"],
                                     direction=factor["direction"], position=position))
    db.session.flush()
    provide_reference_lists(municipality.id)
    return municipality


def provide_reference_lists(municipality_id):
    """The regulations' default lists a municipality works with: the observation checklist, the
    deficit catalogue, the mechanisms catalogue — each only where the municipality has none.
    Written here (and by the demo seed, and migration c13a00000004 for older municipalities),
    so that the pages that show them only read. Flushes; the caller commits."""
    from .mechanisms.services import create_default_catalogue as mechanisms_catalogue
    from .teachers.services import create_default_catalogue as deficit_catalogue
    from .visits.services import create_default_checklist

    create_default_checklist(municipality_id)
    deficit_catalogue(municipality_id)
    mechanisms_catalogue(municipality_id)
