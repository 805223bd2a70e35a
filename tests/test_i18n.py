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
    """Periods the template named («Ноябрь 2027») read «November 2027» in English; a period
    someone renamed keeps its own title in both languages. On a programme made for the test,
    in later years than the demo's."""
    import sqlalchemy as sa

    from app.demo.synthetic import build_programme
    from app.extensions import db
    from app.programmes.models import ReportingPeriod

    with app.app_context():
        programme_id = build_programme(sections=4, tasks=2, indicators=1, start_year=2027)
        periods = db.session.scalars(sa.select(ReportingPeriod).where(
            ReportingPeriod.programme_id == programme_id).order_by(ReportingPeriod.position)).all()
        first, renamed, last = periods[0], periods[1], periods[-1]
        assert (first.title, last.title) == ("Ноябрь 2027", "Июнь 2029")
        renamed.title = "Промежуточный срез"
        db.session.commit()
    auth.login("admin")
    page = auth.client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Ноябрь 2027" in page and "Июнь 2029" in page and "Промежуточный срез" in page
    auth.post("/language/en")
    page = auth.client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "November 2027" in page and "June 2029" in page and "Промежуточный срез" in page
    assert "Ноябрь 2027" not in page and "Июнь 2029" not in page
