"""Browser tests: the app served on a free port, driven by Playwright in Debian's Chromium."""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("OPORA_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def login(live_server):
    def do(page, role):
        page.goto(f"{live_server}/login")
        page.get_by_label("Электронная почта").fill(f"{role}@opora.demo")
        page.get_by_label("Пароль").fill("demo12345")
        page.get_by_role("button", name="Войти").click()
        page.wait_for_url(f"{live_server}/")
        page.wait_for_function("() => window.htmx !== undefined")
        return page

    return do
