import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.orgs.models import Municipality, Organisation, Partnership
from helpers import database_fingerprint


def test_seed_demo_is_idempotent(app, runner):
    before = database_fingerprint(app)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert database_fingerprint(app) == before


def test_demo_has_ten_schools_three_supported_and_a_second_municipality(app):
    with app.app_context():
        nazarovo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "nazarovo"))
        schools = db.session.scalars(sa.select(Organisation.short_name).where(
            Organisation.municipality_id == nazarovo.id, Organisation.kind == "school")).all()
        assert len(schools) == 10
        for name in ("Павловская", "Сахаптинская", "Сережская", "Преображенская", "Степновская", "Крутоярская",
                     "Гляденская", "Сохновская", "Подсосенская", "Краснополянская"):
            assert any(s.startswith(name) for s in schools), name
        low = db.session.scalars(sa.select(Organisation.short_name).where(
            Organisation.municipality_id == nazarovo.id, Organisation.is_low_results.is_(True))).all()
        assert sorted(low) == ["Павловская СОШ", "Сахаптинская СОШ", "Сережская ООШ"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Partnership).where(
            Partnership.municipality_id == nazarovo.id)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) == 2
        roles = set(db.session.scalars(sa.select(User.role).where(User.email.like("%@opora.demo"))))
        assert roles == {"admin", "curator", "tutor", "school", "observer"}


def test_demo_logins_are_printed(runner):
    result = runner.invoke(args=["demo-logins"])
    for role in ("admin", "curator", "tutor", "school", "observer"):
        assert f"{role}@opora.demo" in result.output
    assert "demo12345" in result.output


def test_create_user(app, runner):
    result = runner.invoke(args=["create-user", "--email", "Operator@Example.ru", "--name", "Оператор Иван",
                                 "--role", "admin", "--municipality", "nazarovo", "--password", "Operator12345"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "operator@example.ru"))
        assert user.role == "admin" and user.check_password("Operator12345")
        from app.activity.services import history_of

        created = history_of(user)
        assert [e.action for e in created] == ["create"] and created[0].actor_id is None
        assert created[0].changes["email"] == [None, "operator@example.ru"]
    again = runner.invoke(args=["create-user", "--email", "operator@example.ru", "--name", "X", "--role", "admin",
                                "--municipality", "nazarovo", "--password", "Operator12345"])
    assert again.exit_code != 0 and "уже есть" in again.output


def test_create_user_refuses_bad_input(runner):
    cases = [
        (["--municipality", "nowhere", "--role", "admin"], "не найден"),
        (["--municipality", "nazarovo", "--role", "school"], "укажите школу"),
        (["--municipality", "nazarovo", "--role", "school", "--organisation", "Марсианская СОШ"], "не найдена"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=["create-user", "--email", "a@b.ru", "--name", "X", "--password", "Password12345",
                                     *extra])
        assert result.exit_code != 0 and message in result.output, result.output
    weak = runner.invoke(args=["create-user", "--email", "a@b.ru", "--name", "X", "--role", "admin",
                               "--municipality", "nazarovo", "--password", "12345"])
    assert weak.exit_code != 0 and "Пароль" in weak.output
