"""painfaq.rasa_patches.speedups (used by the launchers) and painfaq.stores.lean_queries (painfaq/serving/rasa_server.py, action_server.py): each speed-up gives
exactly Rasa's results, and the launchers really keep TensorFlow and JAX out of the servers."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import yaml

from painfaq.rasa_patches import speedups
from painfaq.rasa_patches.replacing import temporarily
from painfaq.stores.lean_queries import LeanQueries
from tests.harness.stack import REPO_ROOT, child_env, current_model

HOLDOUT = REPO_ROOT / "tests" / "nlu" / "holdout.yml"


def holdout_texts(limit: int = 150) -> list:
    texts = []
    for item in yaml.safe_load(HOLDOUT.read_text()).get("nlu", []):
        for line in (item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                texts.append(line[2:].strip())
    return texts[:limit]


def rankings(agent, texts):
    async def parse_all():
        out = []
        for text in texts:
            result = await agent.parse_message(text)
            out.append([(r["name"], r["confidence"]) for r in result["intent_ranking"][:5]])
        return out

    return asyncio.run(parse_all())


@pytest.mark.parametrize(
    "module, absent",
    [("painfaq.serving.action_server", ["tensorflow", "jax"]), ("painfaq.serving.rasa_server", ["jax"])],
    # (serve_rasa keeps TensorFlow out too, for models that allow it: tests/production/test_tensorflow_stub.py)
)
def test_launchers_keep_unused_libraries_out(module, absent):
    """Import what each server imports at start, after the launcher's blocking, in a fresh interpreter."""
    imports = {
        "painfaq.serving.action_server": "import actions.faq, actions.handoff, actions.feedback, actions.safety, rasa_sdk.endpoint",
        "painfaq.serving.rasa_server": "import tensorflow, rasa.core.agent, painfaq.nlu.safety_classifier",
    }[module]
    blocked = (
        "speedups.ACTION_SERVER_UNUSED_MODULES" if module.endswith("action_server") else "speedups.RASA_UNUSED_MODULES"
    )
    code = (
        f"import sys; from painfaq.rasa_patches import speedups; speedups.block_unused_imports({blocked}); {imports}; "
        f"print([m for m in {absent!r} if sys.modules.get(m) is not None])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _store_with_conversations(store):
    """Three senders; one with two sessions; events of several kinds."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    async def fill():
        for sender, sessions in (("a", 1), ("b", 2), ("c", 1)):
            tracker = DialogueStateTracker(sender, store.domain.slots)
            for session in range(sessions):
                tracker.update(ActionExecuted("action_session_start"))
                tracker.update(SessionStarted())
                tracker.update(ActionExecuted("action_listen"))
                for turn in range(3):
                    tracker.update(UserUttered(f"{sender} {session} {turn}", {"name": "faq_yoga", "confidence": 0.9}))
                    tracker.update(ActionExecuted("action_answer_faq"))
                    tracker.update(BotUttered(f"reply {turn}"))
                    tracker.update(SlotSet("last_topic", "yoga"))
                    tracker.update(ActionExecuted("action_listen"))
                    await store.save(tracker)

    asyncio.run(fill())


def _compare_lean_queries(rasa_store, lean_store):
    """Rasa's SQLTrackerStore and the project's LeanQueries, reading the same database."""
    _store_with_conversations(rasa_store)

    def snapshot(store):
        out = {}
        for sender in ("a", "b", "c", "nobody"):
            for everything in (False, True):
                tracker = asyncio.run(store._retrieve(sender, everything))
                out[(sender, everything)] = None if tracker is None else [e.as_dict() for e in tracker.events]
            if out[(sender, False)]:
                tracker = asyncio.run(store._retrieve(sender, False))
                with store.session_scope() as session:
                    out[(sender, "new")] = len(list(store._additional_events(session, tracker)))
        return out

    theirs = snapshot(rasa_store)
    ours = snapshot(lean_store)
    assert ours == theirs
    assert len(theirs[("b", False)]) < len(theirs[("b", True)]), "the latest session only, by default"
    assert theirs[("nobody", False)] is None


def test_lean_tracker_queries_match_rasa_on_sqlite(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(REPO_ROOT / "domain.yml"))
    db = str(tmp_path / "t.db")
    _compare_lean_queries(
        SQLTrackerStore(domain, dialect="sqlite", db=db), LeanQueries(domain, dialect="sqlite", db=db)
    )


def test_lean_tracker_queries_match_rasa_on_postgresql(services):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    env = services.postgres.env()
    domain = Domain.load(str(REPO_ROOT / "domain.yml"))
    where = dict(
        dialect="postgresql",
        host=env["DB_HOST"],
        port=env["DB_PORT"],
        db=env["DB_NAME"],
        username=env["DB_USER"],
        password=env["DB_PASSWORD"],
    )
    rasa_store, lean_store = SQLTrackerStore(domain, **where), LeanQueries(domain, **where)  # creates the table
    with services.postgres.connect() as conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM events WHERE sender_id IN ('a', 'b', 'c')")
    _compare_lean_queries(rasa_store, lean_store)


def test_cached_event_type_lookup_answers_like_rasa():
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type  # Rasa's own walk
    with temporarily(speedups.cache_event_type_lookup):
        assert Event.resolve_by_type is not original
        _cached_lookup_answers_like(original)
    assert Event.resolve_by_type is original


def _cached_lookup_answers_like(original):
    from rasa.shared.core.events import Event, SlotSet
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in sorted(names):
        assert Event.resolve_by_type(name) is original(name)
        assert Event.resolve_by_type(name) is original(name)  # from the cache now
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")

    class LateEvent(Event):  # defined after the cache is warm: it must be found
        type_name = "painfaq_test_late_event"

        def __eq__(self, other):
            return isinstance(other, LateEvent)

        def __hash__(self):
            return 1

        def as_story_string(self):
            return None

    assert Event.resolve_by_type("painfaq_test_late_event") is original("painfaq_test_late_event") is LateEvent
    for name in sorted(names):
        assert Event.resolve_by_type(name) is original(name)


def _turns_on(store) -> list:
    """A fixed script of turns through retrieve -> update -> save, like Rasa's processor; the stored rows."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    clock = iter(range(1_000_000))

    def stamp(event):
        event.timestamp = float(next(clock))
        return event

    async def turn(sender, text, new_session=False, saves=1):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, store.domain.slots)
        if not tracker.events or new_session:
            for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
                tracker.update(stamp(event))
        tracker.update(stamp(UserUttered(text, {"name": "faq_yoga", "confidence": 0.9})))
        for _ in range(saves - 1):
            await store.save(tracker)
        for event in (
            ActionExecuted("action_answer_faq"),
            BotUttered(f"re: {text}"),
            SlotSet("last_topic", "yoga"),
            ActionExecuted("action_listen"),
        ):
            tracker.update(stamp(event))
        await store.save(tracker)

    async def script():
        for sender in ("x", "y"):
            await turn(sender, "one")
            await turn(sender, "two", saves=2)
            await turn(sender, "three", new_session=True)
            await turn(sender, "four")
            await turn(sender, "five", new_session=True, saves=3)
            await turn(sender, "six")

    asyncio.run(script())
    with store.session_scope() as session:
        table = SQLTrackerStore.SQLEvent.__table__
        import sqlalchemy as sa

        return [
            tuple(row)
            for row in session.execute(
                sa.select(table.c.sender_id, table.c.type_name, table.c.data).order_by(table.c.id)
            )
        ]


def test_lean_saves_store_exactly_what_rasa_stores(tmp_path):
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(REPO_ROOT / "domain.yml"))
    counts = {}

    def store(name):
        kind = SQLTrackerStore if name == "rasa" else LeanQueries
        created = kind(domain, dialect="sqlite", db=str(tmp_path / f"{name}.db"))
        counts[name] = 0

        def count_counts(conn, cursor, statement, *args):
            counts[name] += "count(" in statement.lower()

        sa.event.listen(created.engine, "before_cursor_execute", count_counts)
        return created

    theirs = _turns_on(store("rasa"))
    ours = _turns_on(store("lean"))
    assert len(theirs) > 50
    assert ours == theirs
    assert counts["lean"] < counts["rasa"] / 2, counts


def test_direct_graph_runs_give_rasas_results():
    """NLU and policy predictions through dask (Rasa) and through the direct graph runs."""
    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(current_model())
    texts = holdout_texts(120) + ["tell me more", "what's the source for that?", "hi", "", "🙂"]

    def outcomes():
        async def run():
            out = []
            for text in texts:
                parsed = await agent.parse_message(text)
                tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], agent.domain.slots)
                tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed))
                prediction = agent.processor._predict_next_with_tracker(tracker)
                out.append(
                    (
                        parsed["intent"],
                        parsed["intent_ranking"],
                        parsed["entities"],
                        prediction.max_confidence_index,
                        prediction.policy_name,
                        prediction.probabilities,
                    )
                )
            return out

        return asyncio.run(run())

    rasas_run = DaskGraphRunner.run
    with temporarily(speedups.run_graphs_directly):
        assert DaskGraphRunner.run is not rasas_run
        ours = outcomes()
    assert DaskGraphRunner.run is rasas_run
    theirs = outcomes()
    assert ours == theirs


def test_agent_loading_warms_up_and_loads_the_agent_rasa_would(monkeypatch):
    """agent_loading: the wrapped load_agent_on_start returns an agent that answers exactly like the one Rasa's
    own loader returns, and before returning it has built the action-response validator, run the warm-up
    parse on that agent and returned freed memory (malloc_trim)."""
    import types

    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints

    from painfaq.rasa_patches import action_validation, agent_loading

    def load(loader):
        async def run():
            app = types.SimpleNamespace(ctx=types.SimpleNamespace())
            agent = await loader(current_model(), AvailableEndpoints(), None, app, asyncio.get_running_loop())
            assert app.ctx.agent is agent
            return agent

        return asyncio.run(run())

    warmed, released = [], []
    warm_up, release = speedups.warm_up_agent, speedups.release_freed_memory

    async def recording_warm_up(agent):
        warmed.append(agent)
        await warm_up(agent)

    monkeypatch.setattr(speedups, "warm_up_agent", recording_warm_up)
    monkeypatch.setattr(speedups, "release_freed_memory", lambda: released.append(True) or release())
    action_validation._action_response_validator.cache_clear()

    rasas_loader = rasa.core.run.load_agent_on_start
    with temporarily(agent_loading.apply):
        assert rasa.core.run.load_agent_on_start is not rasas_loader
        ours = load(rasa.core.run.load_agent_on_start)
    assert rasa.core.run.load_agent_on_start is rasas_loader
    assert warmed == [ours] and released == [True]
    assert action_validation._action_response_validator.cache_info().currsize == 1

    theirs = load(rasas_loader)
    assert len(warmed) == 1, "Rasa's own loader does no warm-up"
    texts = holdout_texts(60) + ["hello", "", "🙂"]
    assert rankings(ours, texts) == rankings(theirs, texts)
