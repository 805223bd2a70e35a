"""Operator commands: `flask create-municipality`, `flask create-user`, `flask seed-demo`, `flask demo-logins`."""
import click
from sqlalchemy import func

from . import transaction
from .activity.labels import N_
from .extensions import db


def init_app(app):
    from . import backup

    backup.init_app(app)
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo municipality (idempotent: a second run changes nothing)."""
        from .demo.seed import seed_demo

        m = seed_demo()
        click.echo(f"Демо-данные загружены: {m.name}.")

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo logins."""
        from .demo.seed import DEMO_LOGINS, DEMO_PASSWORD

        click.echo("\nOpora: http://127.0.0.1:5000 — демо-входы (пароль у всех: %s)" % DEMO_PASSWORD)
        for email, role, who in DEMO_LOGINS:
            click.echo(f"  {email:<22} {role:<9} {who}")
        click.echo("")

    @app.cli.command("create-municipality")
    @click.option("--code", required=True, help="Код (латиница), например nazarovo")
    @click.option("--name", required=True, help="Название муниципалитета")
    @click.option("--region", default="", help="Субъект РФ")
    @click.option("--timezone", default="Asia/Krasnoyarsk", show_default=True, help="Часовой пояс (IANA)")
    @click.option("--department", default="", help="Полное название органа управления образованием")
    def create_municipality_command(code, name, region, timezone, department):
        """Create a municipality with its department and the regulations' reference lists."""
        from .provisioning import ProvisioningError, create_municipality

        try:
            m = create_municipality(code, name, region=region, timezone=timezone, department_name=department)
        except ProvisioningError as exc:
            raise click.ClickException(str(exc)) from None
        transaction.commit()
        click.echo(f"Создан муниципалитет «{m.name}» (код {m.code}, часовой пояс {m.timezone}). "
                   f"Первого администратора добавьте командой flask create-user --role admin.")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True, help="ФИО")
    @click.option("--role", type=click.Choice(["admin", "curator", "tutor", "school", "observer"]), required=True)
    @click.option("--municipality", "municipality_code", required=True, help="Код муниципалитета")
    @click.option("--organisation", "organisation_name", default="", help="Краткое название организации")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user_command(email, full_name, role, municipality_code, organisation_name, password):
        """Create a user (an operator's way to add the first administrator)."""
        from .accounts.models import User
        from .accounts.services import USER_FIELDS
        from .activity.services import record, snapshot
        from .orgs.models import Municipality, Organisation

        m = db.session.scalar(db.select(Municipality).where(Municipality.code == municipality_code))
        if m is None:
            raise click.ClickException(f"Муниципалитет с кодом «{municipality_code}» не найден.")
        if db.session.scalar(db.select(User.id).where(func.lower(User.email) == email.lower())):
            raise click.ClickException(f"Пользователь {email} уже есть.")
        org = None
        if organisation_name:
            org = db.session.scalar(db.select(Organisation).where(
                Organisation.municipality_id == m.id, Organisation.short_name == organisation_name))
            if org is None:
                raise click.ClickException(f"Организация «{organisation_name}» не найдена.")
        if role in ("school", "tutor") and (org is None or not org.is_school):
            raise click.ClickException("Для ролей school и tutor укажите школу (--organisation).")
        if len(password) < 10 or password.isdigit() or password.isalpha():
            raise click.ClickException("Пароль: не короче 10 символов, буквы и цифры.")
        user = User(email=email.lower(), full_name=full_name, role=role, municipality_id=m.id,
                    organisation_id=org.id if org else None)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        # In the history like every change (and so every cached page that lists people renews).
        record(None, user, "create", {f: [None, v] for f, v in snapshot(user, USER_FIELDS).items()},
               message=N_("%(name)s (flask create-user)"), params={"name": user.full_name})
        transaction.commit()
        click.echo(f"Создан пользователь {user.email} ({role}).")

    @app.cli.command("remind-overdue")
    def remind_overdue_command():
        """Notify owners of overdue tasks and of recommendation deadlines within 3 days (once each).
        Run daily from cron."""
        from .programmes.services import overdue_reminders
        from .visits.services import deadline_reminders

        with app.test_request_context():  # notifications carry links built with url_for
            click.echo(f"Напоминаний отправлено: {overdue_reminders() + deadline_reminders()}.")

    @app.cli.group("export")
    def export_group():
        """Scheduled exports for operators."""

    @export_group.command("summary")
    @click.option("--municipality", "code", required=True, help="Код муниципалитета")
    @click.option("--year", type=click.IntRange(2015, 2040), required=True, help="Учебный год начинается в")
    @click.option("--period", type=click.Choice(["", "nov", "jan", "mar", "jun"]), default="")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
    def export_summary_command(code, year, period, out):
        """The department summary workbook of a municipality (all its supported schools)."""
        from .exports.services import scope_for_cli, summary_workbook
        from .orgs.models import Municipality

        municipality = db.session.scalar(db.select(Municipality).where(Municipality.code == code))
        if municipality is None:
            raise click.ClickException(f"Муниципалитет с кодом «{code}» не найден.")
        count = summary_workbook(out, scope_for_cli(municipality), municipality, year, period)
        click.echo(f"Сводка записана: {out} (школ: {count}).")

    @export_group.command("programme")
    @click.argument("programme_id", type=int)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
    def export_programme_command(programme_id, out):
        """One programme as a document (passport, plan by section, indicators by period)."""
        from sqlalchemy.orm import joinedload

        from .exports.services import programme_workbook
        from .orgs.models import Partnership
        from .programmes.models import Programme

        programme = db.session.get(Programme, programme_id, options=[
            joinedload(Programme.partnership).joinedload(Partnership.tutor_school), joinedload(Programme.school)])
        if programme is None:
            raise click.ClickException(f"Программа {programme_id} не найдена.")
        programme_workbook(out, programme)
        click.echo(f"Программа записана: {out}.")

    @app.cli.command("municipalities")
    def municipalities_command():
        """List municipality codes."""
        from .orgs.models import Municipality

        for m in db.session.scalars(db.select(Municipality).order_by(Municipality.code)):
            click.echo(f"{m.code}\t{m.name}")

