def test_english_is_available_and_russian_is_default(auth):
    page = auth.client.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in page and "Войти" in page
    auth.login("admin")
    resp = auth.post("/language/en", data={"next": "/orgs"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/orgs"
    page = auth.client.get("/orgs").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Schools and organisations" in page and "Log out" in page
    auth.post("/language/ru")
    assert "Школы и организации" in auth.client.get("/orgs").get_data(as_text=True)


def test_language_choice_is_remembered_for_the_next_login(app, auth):
    auth.login("curator")
    auth.post("/language/en")
    auth.logout()
    auth.login("curator")
    assert '<html lang="en">' in auth.client.get("/").get_data(as_text=True)


def test_template_period_names_read_in_the_readers_language(app, auth):
    """Periods the template named («Ноябрь 2026») read «November 2026» in English; a period
    someone renamed keeps its own title in both languages."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.programmes.models import Programme, ReportingPeriod

    with app.app_context():
        programme = db.session.scalar(sa.select(Programme).order_by(Programme.id))
        periods = db.session.scalars(sa.select(ReportingPeriod).where(
            ReportingPeriod.programme_id == programme.id).order_by(ReportingPeriod.position)).all()
        first, renamed = periods[0], periods[1]
        russian = first.title
        english = f"{first.deadline.strftime('%B')} {first.deadline.year}"
        renamed.title = "Промежуточный срез"
        db.session.commit()
        programme_id = programme.id
    auth.login("admin")
    page = auth.client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert russian in page and "Промежуточный срез" in page
    auth.post("/language/en")
    page = auth.client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert english in page and russian not in page and "Промежуточный срез" in page
