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
