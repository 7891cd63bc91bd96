"""The whole review loop in Chromium: real conversations over REST -> the inbox shows them grouped -> label
with the keyboard only -> `scripts.review_export` (which validates the data) -> train -> the same questions
are now answered by the new model -> `scripts.review_eval` against the recorded running model."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from painfaq.content.loader import load_content
from painfaq.serving.commands import train_command
from painfaq.staff import accounts, export, inbox
from painfaq.stores import db
from painfaq.support.report import normalise
from tests.harness.stack import REPO_ROOT, child_env, current_model

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(600)]

PASSWORD = "correct horse battery staple"
# Questions the article answers that the shipped model declines or is unsure about, with the topic a
# reviewer gives them. Neither is in the held-back fifth (painfaq.staff.export.is_held_back).
QUESTIONS = {
    "is a hammock nap any good for my lumbar knots from work pressure": "faq_relief_overview",
    "is soaking in epsom salt any use when my lower back seizes from pressure at work": "faq_relief_overview",
}
# In the held-back fifth: labelled, not learned, measured by `make review-eval`.
HELD_BACK = ("would gardening on weekends calm the ache in my lower back from work worries", "exercise")


def answered(model: str, question: str) -> str:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        parsed = pool.submit(asyncio.run, agent.parse_message(question)).result()
    ranking = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
    top, second = ranking[0], ranking[1]["confidence"]
    # The pipeline's FallbackClassifier: below 0.4 or within 0.05 of the second guess is "did you mean".
    return top["name"] if top["confidence"] >= 0.4 and top["confidence"] - second >= 0.05 else "unsure"


def test_review_loop(live_servers, demo, new_page, tmp_path, monkeypatch):
    assert not any(export.is_held_back(normalise(q)) for q in QUESTIONS)
    assert export.is_held_back(normalise(HELD_BACK[0]))
    content = load_content()
    # 1. Real conversations over REST (twice each, as two people would ask).
    assert live_servers.send(f"loop-{uuid.uuid4().hex[:8]}", HELD_BACK[0])
    for question in QUESTIONS:
        for _ in range(2):
            replies = live_servers.send(f"loop-{uuid.uuid4().hex[:8]}", question)
            assert replies, question
    # 2. The staff page on the same database as the running servers.
    db_url = f"sqlite:///{live_servers.workdir / 'tracker.db'}"
    monkeypatch.setenv("PAINFAQ_DB_URL", db_url)
    engine = db.get_engine(db_url)
    accounts.create_user(engine, "reviewer", PASSWORD)
    # The database holds every conversation of the test session by now. The page waits 1.5 s for its first sync and
    # then shows what is read so far (the next request shows more), which under a loaded CI run was nothing yet:
    # read it here, so the page opens on this test's conversations.
    assert inbox.sync(engine) > 0
    base = demo("http://127.0.0.1:5005") + "staff/"
    page = new_page().page
    page.goto(base)
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    rows = page.locator("#inbox tbody tr")
    expect(rows.first).to_be_visible()
    # 3. Label each question's group with the keyboard only: j/k to its row, t, arrows to the topic, Enter.
    topic_title = {t.intent: t.question for t in content.topics.values()}
    picker = page.locator("#topic-picker")
    for question, intent in QUESTIONS.items():
        row = rows.filter(has_text=question)
        expect(row).to_have_count(1)
        expect(row.locator("td").first).to_have_text("2")  # both askings grouped
        texts = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]
        wanted = next(i for i, text in enumerate(texts) if question in text)
        selected = page.evaluate(
            "() => [...document.querySelectorAll('#inbox tbody tr')].findIndex("
            "r => r.getAttribute('aria-selected') === 'true')"
        )
        for _ in range(abs(wanted - selected)):
            page.keyboard.press("j" if wanted > selected else "k")
        expect(row).to_have_attribute("aria-selected", "true")
        page.keyboard.press("t")
        expect(picker).to_be_focused()
        options = picker.locator("option").all_inner_texts()
        steps = options.index(topic_title[intent]) - picker.evaluate("p => p.selectedIndex")
        for _ in range(abs(steps)):
            page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
        expect(picker).to_have_value(next(t.id for t in content.topics.values() if t.intent == intent))
        page.keyboard.press("Enter")
        expect(rows.filter(has_text=question)).to_have_count(0)  # labelled: gone from "unlabelled only"
    # (One more label, through the API, in the held-back fifth.)
    page.evaluate(
        """async ([key, topic]) => {
             const session = await (await fetch('/staff/api/session')).json();
             const r = await fetch('/staff/api/labels', {method: 'POST', headers: {'Content-Type': 'application/json',
               'X-CSRF-Token': session.csrf}, body: JSON.stringify({group_key: key, label: 'topic', topic})});
             if (r.status !== 201) throw new Error('label: ' + r.status);
           }""",
        [normalise(HELD_BACK[0]), HELD_BACK[1]],
    )
    # 4. `make review-export`'s script, into a copy of the project's training data: it writes and validates.
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "data", project / "data")
    reviewed = project / "data" / "nlu" / "reviewed.yml"
    exported = subprocess.run(
        [sys.executable, "-m", "scripts.review_export", "--db-url", db_url, "--out", str(reviewed)],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert exported.returncode == 0, exported.stdout[-3000:] + exported.stderr[-3000:]
    assert "training data valid" in exported.stdout and "CONFLICT" not in exported.stdout
    written = {block["intent"]: block["examples"] for block in yaml.safe_load(reviewed.read_text())["nlu"]}
    assert all(question in written.get(intent, "") for question, intent in QUESTIONS.items())
    assert HELD_BACK[0][:40] in exported.stdout and HELD_BACK[0] not in reviewed.read_text()  # held back
    # 5. train, 6. ask again.
    old_model = current_model()
    assert all(answered(old_model, q) != intent for q, intent in QUESTIONS.items())
    subprocess.run(
        train_command(project / "data", project / "models", fixed_model_name="reviewed"),
        cwd=REPO_ROOT,
        env=child_env(),
        check=True,
        capture_output=True,
        timeout=500,
    )
    new_model = str(project / "models" / "reviewed.tar.gz")
    assert {q: answered(new_model, q) for q in QUESTIONS} == QUESTIONS
    # 7. make review-eval: the running model (as scripts/run.sh records it) and the new one on the held-back
    # fifth, printed and written to JSON.
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "serving_model").write_text(str(REPO_ROOT / old_model) + "\n")
    results = tmp_path / "review_eval.json"
    evaluated = subprocess.run(
        [sys.executable, "-m", "scripts.review_eval", "--new", new_model, "--json", str(results)],
        cwd=REPO_ROOT,
        env={**child_env(), "PAINFAQ_DB_URL": db_url, "RUN_DIR": str(run_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "old" in evaluated.stdout and "new" in evaluated.stdout
    measured = json.loads(results.read_text())
    assert measured["messages"] >= 1 and measured["old_model"] == str(REPO_ROOT / old_model)
    assert sum(measured["old"].values()) == sum(measured["new"].values()) == measured["messages"]
