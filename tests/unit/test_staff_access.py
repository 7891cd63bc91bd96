"""Staff pages and API on the demo server: login, session cookie, CSRF, rate limit, no access without login."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from painfaq.staff import accounts
from painfaq.stores import db
from tests.harness.staff_seed import STAFF_PASSWORD, staff_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = STAFF_PASSWORD


def load_serve_demo():
    spec = importlib.util.spec_from_file_location("serve_demo", ROOT / "scripts" / "serve_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def staff_server(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("PAINFAQ_DB_URL", url)
    engine = staff_database(url)
    server = load_serve_demo().start_in_thread(host="127.0.0.1", port=0, rasa_url="http://localhost:5005", quiet=True)
    yield f"http://127.0.0.1:{server.server_address[1]}", engine
    server.shutdown()
    server.server_close()
    db.dispose_engines()


def login(base: str, session: requests.Session, password: str = PASSWORD) -> requests.Response:
    return session.post(f"{base}/staff/api/login", json={"username": "alice", "password": password}, timeout=10)


def test_no_access_without_login(staff_server):
    base, _ = staff_server
    for method, path in [
        ("GET", "/staff/api/inbox"),
        ("GET", "/staff/api/labels"),
        ("GET", "/staff/api/session"),
        ("POST", "/staff/api/labels"),
        ("POST", "/staff/api/labels/1/undo"),
    ]:
        response = requests.request(method, base + path, json={}, timeout=10)
        assert response.status_code == 401, path
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"] == "unauthorized"


def test_login_sets_a_locked_down_cookie_and_stores_only_a_hash(staff_server):
    base, engine = staff_server
    session = requests.Session()
    assert login(base, session, "wrong password!!").status_code == 401
    response = login(base, session)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    with engine.connect() as conn:
        stored = conn.execute(sa.select(db.staff_users.c.password_hash)).scalar_one()
        tokens = conn.execute(sa.select(db.staff_sessions.c.token_hash)).scalars().all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert session.cookies.get("painfaq_staff") not in tokens  # only its SHA-256 is stored


def test_writes_need_the_csrf_token(staff_server):
    base, _ = staff_server
    session = requests.Session()
    csrf = login(base, session).json()["csrf"]
    inbox = session.get(f"{base}/staff/api/inbox", timeout=10).json()
    key = inbox["groups"][0]["key"]
    payload = {"group_key": key, "label": "out_of_scope"}
    assert session.post(f"{base}/staff/api/labels", json=payload, timeout=10).status_code == 403
    wrong = session.post(f"{base}/staff/api/labels", json=payload, headers={"X-CSRF-Token": "x" * 43}, timeout=10)
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"
    saved = session.post(f"{base}/staff/api/labels", json=payload, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert saved.status_code == 201 and saved.json()["labelled_by"] == "alice"
    labels = session.get(f"{base}/staff/api/labels", timeout=10).json()["labels"]
    assert [label["group_key"] for label in labels] == [key]
    undo = f"{base}/staff/api/labels/{saved.json()['id']}/undo"
    assert session.post(undo, headers={"X-CSRF-Token": csrf}, timeout=10).json() == {"undone": True}
    assert session.get(f"{base}/staff/api/labels", timeout=10).json()["labels"] == []
    bad = session.post(
        f"{base}/staff/api/labels",
        json={"group_key": key, "label": "topic", "topic": "nope"},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert bad.status_code == 422
    # Logging out ends the session.
    assert session.post(f"{base}/staff/api/logout", headers={"X-CSRF-Token": csrf}, timeout=10).status_code == 200
    assert requests.get(f"{base}/staff/api/inbox", cookies={"painfaq_staff": "stale"}, timeout=10).status_code == 401


def test_login_attempts_are_rate_limited(staff_server):
    base, _ = staff_server
    codes = [login(base, requests.Session(), "wrong password!!").status_code for _ in range(7)]
    assert codes[:5] == [401] * 5
    assert codes[-1] == 429
    limited = login(base, requests.Session())
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_staff_page_has_its_own_policy_and_is_not_linked_from_the_public_pages(staff_server):
    base, _ = staff_server
    page = requests.get(f"{base}/staff/", timeout=10)
    assert page.status_code == 200 and "Review inbox" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for public in ("index.html", "widget.js"):
        path = ROOT / "web" / public
        if path.exists():
            assert "/staff" not in path.read_text()
    assert "/staff" not in requests.get(f"{base}/", timeout=10).text


def test_user_command_refuses_short_passwords(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'users.db'}")
    db.ensure_tables(engine)
    with pytest.raises(accounts.AccountError):
        accounts.create_user(engine, "bob", "short")
    with pytest.raises(accounts.AccountError):
        accounts.create_user(engine, "bob smith", PASSWORD)
    assert accounts.create_user(engine, "Bob", PASSWORD) == "bob"
    assert accounts.verify_password(engine, "bob", PASSWORD) == "bob"
    assert accounts.verify_password(engine, "bob", PASSWORD + "x") is None
    assert accounts.verify_password(engine, "nobody", PASSWORD) is None


def test_login_takes_json_only_and_refuses_other_sites(staff_server):
    base, _ = staff_server
    url = f"{base}/staff/api/login"
    credentials = {"username": "alice", "password": PASSWORD}
    # What an HTML form on any site can send: refused before the password is even checked.
    form = requests.post(url, data=credentials, timeout=10)
    assert form.status_code == 415 and form.json()["error"] == "unsupported_media_type"
    plain = requests.post(url, data=json.dumps(credentials), headers={"Content-Type": "text/plain"}, timeout=10)
    assert plain.status_code == 415 and "Set-Cookie" not in plain.headers
    # JSON a browser marks as coming from another site.
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        refused = requests.post(url, json=credentials, headers=headers, timeout=10)
        assert refused.status_code == 403 and "Set-Cookie" not in refused.headers, headers
    # The page's own request (same origin) and a script's (no browser headers) log in.
    same = requests.post(url, json=credentials, headers={"Origin": base, "Sec-Fetch-Site": "same-origin"}, timeout=10)
    assert same.status_code == 200
    assert requests.post(url, json=credentials, timeout=10).status_code == 200


def test_a_body_over_64_kb_gets_json_413(staff_server):
    base, _ = staff_server
    session = requests.Session()
    csrf = login(base, session).json()["csrf"]
    huge = session.post(
        f"{base}/staff/api/labels",
        data=b"{" + b" " * (65 * 1024) + b"}",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
        timeout=10,
    )
    assert huge.status_code == 413
    assert huge.headers["Content-Type"].startswith("application/json") and huge.json()["error"] == "too_large"
    # Over what a handler reads (16 KB) but under the server's limit: 413 as well, from the handler.
    big = session.post(
        f"{base}/staff/api/labels",
        data=b'{"label": "' + b"x" * (20 * 1024) + b'"}',
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
        timeout=10,
    )
    assert big.status_code == 413 and big.json()["error"] == "too_large"


def test_labels_are_paged(staff_server):
    base, engine = staff_server
    session = requests.Session()
    csrf = login(base, session).json()["csrf"]
    keys = [g["key"] for g in session.get(f"{base}/staff/api/inbox", timeout=10).json()["groups"]]
    for key in keys:
        payload = {"group_key": key, "label": "ignore"}
        assert session.post(f"{base}/staff/api/labels", json=payload, headers={"X-CSRF-Token": csrf}).status_code == 201
    seen, offset, pages = [], 0, 0
    while offset is not None:
        page = session.get(f"{base}/staff/api/labels", params={"limit": 4, "offset": offset}, timeout=10).json()
        assert page["total"] == len(keys) and page["limit"] == 4 and len(page["labels"]) <= 4
        seen += [label["id"] for label in page["labels"]]
        offset, pages = page["next_offset"], pages + 1
    assert pages == 2 and len(seen) == len(set(seen)) == len(keys)
    assert seen == sorted(seen, reverse=True)  # newest first, across pages
    assert session.get(f"{base}/staff/api/labels", params={"limit": "x"}, timeout=10).status_code == 400


def test_staff_user_script_creates_a_user_and_refuses_a_short_password(tmp_path, monkeypatch, capsys):
    from scripts import staff_user

    url = f"sqlite:///{tmp_path / 'users.db'}"
    engine = db.make_engine(url)
    db.ensure_tables(engine)
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    assert staff_user.main(["carol", "--db-url", url]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert accounts.verify_password(engine, "carol", "short") is None
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    assert staff_user.main(["Carol", "--db-url", url]) == 0
    assert "'carol' can log in" in capsys.readouterr().out
    assert accounts.verify_password(engine, "carol", PASSWORD) == "carol"
    # Asked twice without echo when STAFF_PASSWORD is unset: two different answers create nothing.
    monkeypatch.delenv("STAFF_PASSWORD")
    answers = iter(["a long enough password", "another long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert staff_user.main(["dave", "--db-url", url]) == 2
    assert accounts.verify_password(engine, "dave", "a long enough password") is None
