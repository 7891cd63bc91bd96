"""Labels for one message of a group: the API (GET /staff/api/group, POST /staff/api/labels with item_id)
and what the export makes of them."""

from __future__ import annotations

from pathlib import Path

import requests
import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from tests.unit.test_staff_access import login, staff_server  # noqa: F401 - staff_server is a fixture

ROOT = Path(__file__).resolve().parents[2]
KEY = "can a mattress help"  # two messages in the seeded inbox: "Can a mattress help?", "can a MATTRESS help"


def test_one_message_of_a_group_can_be_labelled(staff_server):  # noqa: F811
    base, _ = staff_server
    session = requests.Session()
    csrf = login(base, session).json()["csrf"]
    post = lambda body: session.post(  # noqa: E731
        f"{base}/staff/api/labels", json=body, headers={"X-CSRF-Token": csrf}, timeout=10
    )
    session.get(f"{base}/staff/api/inbox", timeout=10)  # reads the events
    group = session.get(f"{base}/staff/api/group", params={"key": KEY}, timeout=10)
    assert group.status_code == 200
    messages = group.json()["items"]
    assert sorted(m["text"] for m in messages) == ["Can a mattress help?", "can a MATTRESS help"]
    assert all(m["labels"] == [] and m["outcome"] == "out_of_scope" and m["guesses"] for m in messages)
    first, second = messages
    saved = post({"item_id": first["id"], "label": "topic", "topic": "sleep"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["item_id"] == first["id"] and saved.json()["text"] == first["text"]
    assert saved.json()["group_key"] == KEY
    # The label is the message's: the other message has none, and the group is still unlabelled.
    after = {
        m["id"]: m for m in session.get(f"{base}/staff/api/group", params={"key": KEY}, timeout=10).json()["items"]
    }
    assert [label["id"] for label in after[first["id"]]["labels"]] == [saved.json()["id"]]
    assert after[second["id"]]["labels"] == []
    unlabelled = session.get(f"{base}/staff/api/inbox", params={"unlabelled": "1"}, timeout=10).json()
    shown = {g["key"]: g for g in unlabelled["groups"]}
    assert KEY in shown and [label["item_id"] for label in shown[KEY]["labels"]] == [first["id"]]
    # A label for the whole group leaves the message's own label alone; a new one for the message replaces it.
    assert post({"group_key": KEY, "label": "out_of_scope"}).status_code == 201
    replaced = post({"item_id": first["id"], "label": "ignore"}).json()
    active = session.get(f"{base}/staff/api/labels", timeout=10).json()["labels"]
    mine = {(label["item_id"], label["label"]) for label in active if label["group_key"] == KEY}
    assert mine == {(None, "out_of_scope"), (first["id"], "ignore")}
    assert replaced["id"] in [label["id"] for label in active]
    unlabelled = session.get(f"{base}/staff/api/inbox", params={"unlabelled": "1"}, timeout=10).json()
    assert KEY not in [g["key"] for g in unlabelled["groups"]]
    # Undo works alike for a message's label.
    undo = session.post(f"{base}/staff/api/labels/{replaced['id']}/undo", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert undo.json() == {"undone": True}
    # Wrong requests.
    assert post({"item_id": first["id"], "group_key": KEY, "label": "ignore"}).status_code == 422
    assert post({"item_id": "1", "label": "ignore"}).status_code == 422
    assert post({"item_id": 999999, "label": "ignore"}).status_code == 422
    assert post({"label": "ignore"}).status_code == 422
    assert session.get(f"{base}/staff/api/group", params={"key": "no such"}, timeout=10).status_code == 404
    assert requests.get(f"{base}/staff/api/group", params={"key": KEY}, timeout=10).status_code == 401


def test_export_writes_a_message_label_for_that_wording_only(staff_server, tmp_path):  # noqa: F811
    _, engine = staff_server
    inbox.sync(engine)
    content = load_content()
    topics = list(content.topics)
    messages = inbox.group_items(engine, KEY)
    one = next(m for m in messages if m["text"] == "Can a mattress help?")
    inbox.add_label(engine, None, "topic", "sleep", "alice", topics, item_id=one["id"])
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    out = tmp_path / "reviewed.yml"
    report = export.export(engine, content, intents, out, include_held_back=True)
    written = {block["intent"]: block["examples"] for block in yaml.safe_load(out.read_text())["nlu"]}
    assert written == {content.topics["sleep"].intent: "- Can a mattress help?\n"}
    assert report.conflicts == [] and report.training_conflicts == []
    # Two reviewers disagreeing on the message: a conflict, nothing written for it.
    inbox.add_label(engine, None, "out_of_scope", None, "bob", topics, item_id=one["id"])
    report = export.export(engine, content, intents, out, include_held_back=True)
    assert report.conflicts == [{"group_key": KEY, "item_id": one["id"], "labels": report.conflicts[0]["labels"]}]
    assert set(report.conflicts[0]["labels"]) == {"out_of_scope", content.topics["sleep"].intent}
    assert "mattress" not in out.read_text()
