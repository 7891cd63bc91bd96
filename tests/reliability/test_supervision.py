"""`make run` under supervision (scripts/run.sh, painfaq/serving/supervision.py): a killed server is restarted
and users keep getting answers (the apology while the action server restarts), SIGTERM stops everything
cleanly, and too many restarts in a row stop everything with exit status 1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from tests.harness.supervised import Supervised

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture
def supervised(tmp_path) -> Iterator[callable]:
    started: List[Supervised] = []

    def start(max_restarts: int = 5) -> Supervised:
        run = Supervised(tmp_path / f"run{len(started)}", max_restarts)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_killed_servers_come_back_and_users_keep_getting_replies(supervised):
    run = supervised()
    assert run.turn("warm-up")["status"] == 200
    actions = run.pid("actions")
    os.kill(actions, signal.SIGKILL)
    started = time.monotonic()
    replies = []
    while time.monotonic() - started < 12:
        replies.append(run.turn(f"during-{len(replies)}"))
        time.sleep(0.5)
    assert all(r["status"] == 200 for r in replies), replies  # the apology, never an error, while it restarts
    assert any("something went wrong" in str(r["text"]) for r in replies[:3]), replies[:3]
    assert "anxiety" in str(replies[-1]["text"]).lower(), replies[-1]  # answering again
    assert run.pid("actions") != actions
    # The Rasa server: restarted too. supervisord holds its port, so a turn sent while it reloads its model
    # waits in the socket's backlog and is answered, instead of being refused.
    rasa = run.pid("rasa")
    os.kill(rasa, signal.SIGKILL)
    # Once supervisord has started the new process, the port is held again (the socket is prepared before the
    # spawn); the new Rasa then needs seconds to load its model.
    deadline = time.monotonic() + 30
    while True:
        try:
            if run.pid("rasa") not in (0, rasa):
                break
        except ValueError:  # no pid between the death and the restart
            pass
        assert time.monotonic() < deadline, "Rasa was not restarted:\n" + run.log()
        time.sleep(0.1)
    started = time.monotonic()
    during_reload = run.turn("during-rasa-restart")
    assert during_reload["status"] == 200, during_reload
    assert "anxiety" in str(during_reload["text"]).lower(), during_reload
    assert time.monotonic() - started > 1, "answered at once: Rasa cannot have restarted yet"
    assert run.pid("rasa") != rasa
    assert run.wait_ready(120) < 120
    assert run.turn("after-rasa")["status"] == 200
    # Searched in the whole output: the degraded-turn warnings above can push it out of the tail.
    assert "exited unexpectedly" in run.log(tail=0), run.log()
    # SIGTERM stops everything: exit status 0, no server left.
    pids = [run.pid(name) for name in ("actions", "rasa", "demo")]
    assert run.stop() == 0
    time.sleep(1)
    assert not [pid for pid in pids if alive(pid)]


def test_too_many_restarts_in_a_row_stop_everything_with_a_message(supervised):
    run = supervised(max_restarts=1)
    first = run.pid("actions")
    os.kill(first, signal.SIGKILL)
    os.kill(run.wait_running("actions", replacing=first), signal.SIGKILL)
    assert run.process.wait(timeout=60) == 1
    assert "actions died 2 times" in run.log(tail=0), run.log()


def stored_events(tracker_db: Path, sender: str) -> List[Dict[str, object]]:
    with sqlite3.connect(tracker_db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_sigterm_finishes_the_turn_in_progress_and_stores_it_whole(supervised):
    """Graceful shutdown: a turn in progress when SIGTERM arrives is answered and stored completely, the Rasa
    server takes no new connection meanwhile, and everything still exits with status 0."""
    run = supervised()
    assert run.turn("warm-up")["status"] == 200
    actions = run.pid("actions")
    os.kill(actions, signal.SIGSTOP)  # the turn below waits on the action server: "in progress"
    try:
        in_progress: Dict[str, object] = {}
        worker = threading.Thread(target=lambda: in_progress.update(run.turn("draining")))
        worker.start()
        time.sleep(1.5)
        os.kill(run.process.pid, signal.SIGTERM)
        # The demo server stops first, then Rasa, which stops accepting connections and drains: a new request
        # is no longer served (it waits in the held socket's backlog until that closes, or is refused).
        not_served = False
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not not_served:
            try:
                requests.get(f"http://127.0.0.1:{run.rasa}/webhooks/rest/ready", timeout=1)
            except requests.RequestException:
                not_served = True
            time.sleep(0.2)
        assert not_served, "the Rasa server still served new requests after SIGTERM:\n" + run.log()
        assert worker.is_alive(), in_progress  # the turn is still waiting on the (stopped) action server
    finally:
        os.kill(actions, signal.SIGCONT)
    worker.join(timeout=30)
    assert in_progress.get("status") == 200, in_progress
    text = str(in_progress.get("text", "")).lower()
    assert "something went wrong" not in text and "anxiety" in text, text  # the real answer, not the apology
    assert run.process.wait(timeout=60) == 0, run.log()
    events = stored_events(run.tmp / "tracker.db", "draining")
    texts = [e.get("text") for e in events if e.get("event") == "user"]
    assert texts == ["how long does it last?"], texts
    # Stored whole: the bot's answer and the closing action_listen after the user's message.
    assert any(e.get("event") == "bot" for e in events), events
    assert events[-1].get("event") == "action" and events[-1].get("name") == "action_listen", events[-3:]


def test_turns_in_flight_on_a_killed_rasa_are_answered_by_the_restarted_one_and_stored_once(supervised):
    """HAProxy in front of Rasa (painfaq/serving/balancer.py) sends a turn whose Rasa died again; it waits in
    the held port for the new process. A turn that was in progress (its action call paused) gets its real
    answer, not a closed connection, and is stored once."""
    run = supervised()
    assert "proxy" in (run.tmp / "run" / "supervision" / "supervisord.conf").read_text(), "no HAProxy in front"
    senders = [f"in-flight-{n}" for n in range(3)]
    with requests.Session() as session:  # a second turn on a kept-alive connection, as a widget sends it
        for sender in senders:
            session.post(f"http://127.0.0.1:{run.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
    actions, rasa = run.pid("actions"), run.pid("rasa")
    os.kill(actions, signal.SIGSTOP)  # every turn below is now in progress inside Rasa
    replies: Dict[str, Dict[str, object]] = {}
    threads = [
        threading.Thread(target=lambda s=s: replies.__setitem__(s, run.turn(s, "does yoga help?"))) for s in senders
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        os.kill(rasa, signal.SIGKILL)
    finally:
        os.kill(actions, signal.SIGCONT)
    for thread in threads:
        thread.join(60)
    for sender in senders:
        assert replies[sender]["status"] == 200, replies
        assert "Yoga encourages you" in str(replies[sender]["text"]), replies[sender]
        texts = [e.get("text") for e in stored_events(run.tmp / "tracker.db", sender) if e.get("event") == "user"]
        assert texts == ["hi", "does yoga help?"], texts
    assert run.pid("rasa") != rasa
