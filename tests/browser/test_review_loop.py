"""The whole review loop in Chromium: real conversations over REST -> the inbox shows them grouped -> label
with the keyboard -> export -> train -> the same questions are now answered by the new model."""

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
from painfaq.staff import accounts, export
from painfaq.stores import db
from painfaq.support.report import normalise
from tests.harness.stack import REPO_ROOT, child_env, current_model

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(600)]

PASSWORD = "correct horse battery staple"
# Questions the article answers that the shipped model declines or is unsure about, with the topic a
# reviewer gives them. Neither is in the held-back fifth (painfaq.staff.export.is_held_back).
QUESTIONS = {
    "can humming songs settle my back when i'm wound up": "faq_relief_overview",
    "do warm baths count as a remedy when my tension hits my lumbar area": "faq_relief_overview",
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
    base = demo("http://127.0.0.1:5005") + "staff/"
    page = new_page().page
    page.goto(base)
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    rows = page.locator("#inbox tbody tr")
    expect(rows.first).to_be_visible()
    # 3. Label each question's group with the keyboard: select its row, t, pick the topic, Enter.
    topic_title = {t.intent: t.question for t in content.topics.values()}
    for question, intent in QUESTIONS.items():
        row = rows.filter(has_text=question)
        expect(row).to_have_count(1)
        expect(row.locator("td").first).to_have_text("2")  # both askings grouped
        row.click()
        page.keyboard.press("t")
        page.locator("#topic-picker").select_option(label=topic_title[intent])
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
    # 4. Export into a copy of the project's training data, 5. train, 6. ask again.
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "data", project / "data")
    intents = set(yaml.safe_load((REPO_ROOT / "domain.yml").read_text())["intents"])
    report = export.export(engine, content, intents, project / "data" / "nlu" / "reviewed.yml")
    assert report.conflicts == [] and sum(report.written.values()) >= len(QUESTIONS)
    assert (
        HELD_BACK[0] in report.held_back_texts
        and HELD_BACK[0] not in (project / "data" / "nlu" / "reviewed.yml").read_text()
    )
    old_model = current_model()
    assert all(answered(old_model, q) != intent for q, intent in QUESTIONS.items())
    validate = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--data",
            str(project / "data"),
            "--domain",
            "domain.yml",
            "--config",
            "config.yml",
            "--fail-on-warnings",
        ],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            str(project / "data"),
            "--out",
            str(project / "models"),
            "--fixed-model-name",
            "reviewed",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        env=child_env(),
        check=True,
        capture_output=True,
        timeout=500,
    )
    new_model = str(project / "models" / "reviewed.tar.gz")
    assert {q: answered(new_model, q) for q in QUESTIONS} == QUESTIONS
    # 7. make review-eval: both models on the held-back fifth, printed and written to JSON.
    results = tmp_path / "review_eval.json"
    evaluated = subprocess.run(
        [sys.executable, "-m", "scripts.review_eval", "--old", old_model, "--new", new_model, "--json", str(results)],
        cwd=REPO_ROOT,
        env={**child_env(), "PAINFAQ_DB_URL": db_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "old" in evaluated.stdout and "new" in evaluated.stdout
    measured = json.loads(results.read_text())
    assert measured["messages"] >= 1
    assert sum(measured["old"].values()) == sum(measured["new"].values()) == measured["messages"]
