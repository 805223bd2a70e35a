"""Helpers shared by tests: CSRF tokens from pages, a signed-in client, a database fingerprint."""
import hashlib
import re

import sqlalchemy as sa

from app.extensions import db

FAST_HASH = "pbkdf2:sha256:1000"

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url="/account/password"):
    page = client.get(url).get_data(as_text=True)
    match = META_CSRF.search(page) or FORM_CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, role_or_email, password="demo12345"):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@opora.demo"
        token = csrf_token(self.client, "/login")
        resp = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        self.token = csrf_token(self.client)
        return resp

    def post(self, url, data=None, **kwargs):
        """POST with the CSRF token, as a form in the page would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token or csrf_token(self.client))
        return self.client.post(url, data=data, **kwargs)

    def htmx_post(self, url, data=None):
        headers = {"HX-Request": "true", "X-CSRFToken": self.token or csrf_token(self.client)}
        return self.client.post(url, data=data or {}, headers=headers)

    def logout(self):
        return self.post("/logout")


def database_fingerprint(app):
    """Per table: (row count, sum of versions, digest of every row's content). Equal before
    and after means nothing was written — not even a value changed in place without a version."""
    with app.app_context():
        return _fingerprint()


def _fingerprint():
    result = {}
    for table in db.metadata.sorted_tables:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(table))
        versions = db.session.scalar(sa.select(sa.func.sum(table.c.version))) if "version" in table.c else None
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        for row in db.session.execute(sa.select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
        result[table.name] = (count, versions, digest.hexdigest()[:16])
    db.session.rollback()
    return result


class HttpSession:
    """A browser-like client over real HTTP (urllib + cookies), for tests against running servers."""

    def __init__(self, base_url):
        import http.cookiejar
        import urllib.request

        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.token = None

    def request(self, method, path, data=None, headers=None):
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), dict(exc.headers)

    def login(self, email, password="demo12345"):
        _status, page, _headers = self.request("GET", "/login")
        token = FORM_CSRF.search(page).group(1)
        status, _page, _headers = self.request("POST", "/login", {"email": email, "password": password,
                                                                 "csrf_token": token})
        assert status == 302, status
        _status, page, _headers = self.request("GET", "/account/password")
        self.token = META_CSRF.search(page).group(1)

    def htmx_post(self, path, data):
        return self.request("POST", path, data, {"HX-Request": "true", "X-CSRFToken": self.token})


def _no_redirect_handler():
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return NoRedirect


_NoRedirect = _no_redirect_handler()


def xlsx(headers, rows):
    """An uploaded workbook as a file object: a header row, then `rows`."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer
