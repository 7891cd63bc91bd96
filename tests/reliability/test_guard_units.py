"""Unit tests (no servers): request validation, rate limiting, masking, the hardened tracker store."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from painfaq.privacy import ALL_KINDS, Masker, install_log_masking, mask_event, parse_kinds
from painfaq.serving.action_server import token_ok
from painfaq.serving.channel import CHARS_PER_UNIT, Limits, Refusal, clean_text, message_units, parse_body
from painfaq.serving.ratelimit import InFlight, Rate, TokenBuckets
from tests.harness.stack import REPO_ROOT

LIMITS = Limits()


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own (the browser tests' Playwright keeps a loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def refusal(body: bytes) -> Refusal:
    with pytest.raises(Refusal) as info:
        parse_body(body, LIMITS)
    return info.value


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b"", 400, "empty_body"),
        (b"\xff\xfe\x00", 400, "invalid_encoding"),
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "not_an_object"),
        (b'"text"', 400, "not_an_object"),
        (b"null", 400, "not_an_object"),
        (b'{"message": "hi"}', 400, "missing_field"),
        (b'{"sender": "a"}', 400, "missing_field"),
        (b'{"sender": 5, "message": "hi"}', 400, "invalid_sender"),
        (b'{"sender": "a", "message": ["hi"]}', 400, "invalid_message"),
        (b'{"sender": "a", "message": {"text": "hi"}}', 400, "invalid_message"),
        (b'{"sender": "", "message": "hi"}', 400, "invalid_sender"),
        (b'{"sender": "a b", "message": "hi"}', 400, "invalid_sender"),
        (b'{"sender": "x\'; DROP TABLE events;--", "message": "hi"}', 400, "invalid_sender"),
        (json.dumps({"sender": "s" * 129, "message": "hi"}).encode(), 400, "invalid_sender"),
        (b"[" * 100_000, 413, "body_too_large"),
        (b"[" * 5000 + b"]" * 5000, 400, "too_deeply_nested"),
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, 400, "too_deeply_nested"),
        (b"1" * 5000, 400, "invalid_json"),  # more digits than Python converts
    ],
)
def test_malformed_bodies_are_refused_with_a_clear_code(body, status, code):
    error = refusal(body)
    assert (error.status, error.code) == (status, code)
    response = error.to_response()
    assert response.status == status and json.loads(response.body)["error"] == code


def test_valid_body_is_cleaned_and_extra_fields_ignored():
    body = json.dumps(
        {
            "sender": "user-1:a_b.c",
            "message": "hi\x00 there\u202e\r\nnext\ud800\x7f line\t!",
            "metadata": {"x": [1] * 10},
            "input_channel": "admin",
        }
    ).encode()
    assert parse_body(body, LIMITS) == ("user-1:a_b.c", "hi there\nnext line\t!")


def test_emoji_and_non_latin_text_survive_cleaning():
    text = "🙂👍🏽 背中の痛み مرحبا 👨‍👩‍👧"
    assert clean_text(text) == text


def test_rate_parse_and_token_bucket():
    assert Rate.parse("10/30") == Rate(10, 0.5)
    assert Rate.parse("off").unlimited
    with pytest.raises(ValueError):
        Rate.parse("10")
    now = [0.0]
    buckets = TokenBuckets(Rate(3, 1.0), clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # keys are independent
    now[0] += 2.0
    assert buckets.take("a") == 0.0 and buckets.take("a") == 0.0 and buckets.take("a") > 0


def test_token_buckets_memory_is_bounded():
    buckets = TokenBuckets(Rate(1, 1.0), max_keys=100)
    for i in range(1000):
        buckets.take(f"key-{i}")
    assert len(buckets) == 100


def test_in_flight_cap():
    cap = InFlight(2)
    assert cap.acquire("a") and cap.acquire("a") and not cap.acquire("a") and cap.acquire("b")
    cap.release("a")
    assert cap.acquire("a")


def test_limits_from_credentials_and_environment(monkeypatch):
    monkeypatch.setenv("PAINFAQ_RATE_PER_SENDER", "5/60")
    limits = Limits.from_credentials({"max_message_chars": 100, "rate_per_sender": "10/30", "rate_per_address": "off"})
    assert limits.max_message_chars == 100
    assert limits.per_sender == Rate(5, 1.0)  # the environment wins
    assert limits.per_address.unlimited


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me: jane.doe+pain@example.co.uk!", "mail me: [email]!"),
        ("call +1 (555) 123-4567 or 07700 900123", "call [phone] or [phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("ssn 123-45-6789", "ssn [id-number]"),
        ("card 4111 1111 1111 1111", "card [card]"),
        ("from 192.168.10.20", "from [ip]"),
        ("born 1980-05-12", "born [phone]"),
        # Not identifiers: left alone.
        ("pain 7/10 for 3-6 months since 2019, at 10:30", "pain 7/10 for 3-6 months since 2019, at 10:30"),
        ("https://doi.org/10.1016/j.pain.2007.01.022", "https://doi.org/10.1016/j.pain.2007.01.022"),
        ("call 988 now", "call 988 now"),
    ],
)
def test_masker(text, expected):
    assert Masker().mask(text) == expected


def test_masking_kinds_are_configurable():
    assert parse_kinds("none") == () and parse_kinds("") == () and parse_kinds("all") == ALL_KINDS
    assert parse_kinds("phone, email") == ("email", "phone")
    with pytest.raises(ValueError):
        parse_kinds("names")
    assert Masker(parse_kinds("email")).mask("a@b.org 5551234567") == "[email] 5551234567"


def test_mask_event_masks_what_the_user_typed_and_keeps_bot_content():
    user = {
        "event": "user",
        "text": "I'm jane@example.org",
        "parse_data": {
            "text": "I'm jane@example.org",
            "intent": {"name": "x"},
            "entities": [{"entity": "e", "value": "555 123 4567"}],
        },
    }
    masked = mask_event(user, Masker())
    assert masked["text"] == masked["parse_data"]["text"] == "I'm [email]"
    assert masked["parse_data"]["entities"][0]["value"] == "[phone]"
    assert user["text"] == "I'm jane@example.org", "the original must not change"
    slot = mask_event({"event": "slot", "name": "handoff_email", "value": "jane@example.org"}, Masker())
    assert slot["value"] == "[email]"
    bot = mask_event({"event": "bot", "text": "We'll reply to jane@example.org. Crisis line: 1-800-273-8255"}, Masker())
    assert bot["text"] == "We'll reply to [email]. Crisis line: 1-800-273-8255"


def test_log_records_are_masked(caplog):
    install_log_masking(Masker())
    try:
        with caplog.at_level(logging.INFO):
            logging.getLogger("painfaq.test").info("user wrote %s", "call me on 07700 900123 or a@b.org")
        assert "07700" not in caplog.text and "a@b.org" not in caplog.text
        assert "call me on [phone] or [email]" in caplog.text
    finally:
        install_log_masking()


def test_action_server_token_check():
    assert token_ok("Bearer s3cret", "s3cret") and token_ok("bearer s3cret", "s3cret")
    assert not token_ok("", "s3cret") and not token_ok("Bearer wrong", "s3cret") and not token_ok("s3cret", "s3cret")


# ---------------------------------------------------------------- the tracker store


def make_tracker(sender: str, text: str):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({"slots": {"handoff_email": {"type": "text", "mappings": [{"type": "custom"}]}}})
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}, parse_data={"text": text}))
    tracker.update(SlotSet("handoff_email", "jane@example.org"))
    tracker.update(BotUttered("We will write to jane@example.org"))
    return domain, tracker


def test_tracker_store_stores_masked_text_and_reads_it_back(tmp_path):
    from painfaq.stores.tracker_store import MaskingSQLTrackerStore

    db = tmp_path / "t.db"
    domain, tracker = make_tracker("s1", "my email is jane@example.org, phone 555-123-4567")
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    run_coroutine(store.save(tracker))
    raw = "\n".join(row[0] for row in sqlite3.connect(db).execute("SELECT data FROM events"))
    assert "jane@example.org" not in raw and "555-123-4567" not in raw
    assert "my email is [email], phone [phone]" in raw
    retrieved = run_coroutine(store.retrieve("s1"))
    assert retrieved.latest_message.text == "my email is [email], phone [phone]"
    assert retrieved.get_slot("handoff_email") == "[email]"
    # The conversation in memory is untouched (the hand-off still gets the address this turn).
    assert tracker.latest_message.text.startswith("my email is jane@example.org")


def test_tracker_store_masking_can_be_turned_off(tmp_path):
    from painfaq.stores.tracker_store import MaskingSQLTrackerStore

    domain, tracker = make_tracker("s1", "jane@example.org")
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"), mask="none")
    run_coroutine(store.save(tracker))
    assert run_coroutine(store.retrieve("s1")).latest_message.text == "jane@example.org"


def test_tracker_store_gives_up_on_an_unreachable_database(tmp_path):
    from painfaq.stores.tracker_store import MaskingSQLTrackerStore, TrackerStoreUnavailable

    started = time.monotonic()
    with pytest.raises(TrackerStoreUnavailable, match="cannot reach the tracker store database .*after 2 attempt"):
        MaskingSQLTrackerStore(
            dialect="sqlite", db=str(tmp_path / "missing" / "t.db"), connect_attempts=2, connect_retry_seconds=0.2
        )
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("endpoints_file", ["endpoints.yml", "endpoints.production.yml"])
def test_endpoints_name_the_masking_tracker_store(endpoints_file, tmp_path):
    """Both profiles name the project's store in their endpoints file (no plugin swaps `type: SQL`)."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from painfaq.stores.tracker_store import MaskingSQLTrackerStore

    configured = yaml.safe_load((REPO_ROOT / endpoints_file).read_text())["tracker_store"]
    assert configured["type"] == "painfaq.stores.tracker_store.MaskingSQLTrackerStore"
    store = TrackerStore.create(EndpointConfig(type=configured["type"], dialect="sqlite", db=str(tmp_path / "t.db")))
    assert isinstance(store, MaskingSQLTrackerStore)


def test_tracker_store_gives_up_on_an_unreachable_postgres_without_showing_the_password():
    from painfaq.stores.tracker_store import MaskingSQLTrackerStore, TrackerStoreUnavailable
    from tests.harness.stack import free_port

    with pytest.raises(TrackerStoreUnavailable) as info:
        MaskingSQLTrackerStore(
            dialect="postgresql",
            host="127.0.0.1",
            port=free_port(),
            username="rasa",
            password="hunter2-secret",
            db="rasa",
            connect_attempts=1,
        )
    assert "cannot reach the tracker store database postgresql://rasa:***@127.0.0.1" in str(info.value)
    assert "hunter2" not in str(info.value)


# ---------------------------------------------------------------- the turn: never silence


@pytest.fixture
def channel(monkeypatch):
    import painfaq.serving.channel as channel_module

    monkeypatch.setattr(channel_module, "install_process_wide", lambda limits: None)  # no process-wide changes here
    return channel_module.GuardedRestInput(Limits(turn_timeout=0.3))


def test_turn_outcomes(channel):
    from painfaq.content.loader import load_content

    content = load_content()
    finished = []

    async def answers(message):
        await message.output_channel.send_text_message(message.sender_id, "an answer")

    async def slow(message):
        await asyncio.sleep(0.8)
        await message.output_channel.send_text_message(message.sender_id, "late answer")
        finished.append(message.text)

    async def fails(message):
        raise RuntimeError("lock store down")

    async def action_fails(message):
        await message.output_channel.send_text_message(message.sender_id, "partial")
        logging.getLogger("rasa.core.processor").error("Encountered an exception while running action 'x'.")

    async def silent(message):
        return None

    async def run_all():
        import painfaq.serving.channel as channel_module

        logging.getLogger("rasa.core.processor").addFilter(channel_module._ActionFailureFilter())
        outcomes = {}
        for name, handler in [
            ("answers", answers),
            ("slow", slow),
            ("fails", fails),
            ("action_fails", action_fails),
            ("silent", silent),
        ]:
            outcomes[name] = await channel.run_turn(handler, "s1", f"text for {name}")
        await asyncio.sleep(1.0)  # the slow turn finishes in the background
        return outcomes

    outcomes = run_coroutine(run_all())
    assert outcomes["answers"] == ([{"recipient_id": "s1", "text": "an answer"}], None)
    for name, reason in (("slow", "timeout"), ("fails", "error")):
        messages, degraded = outcomes[name]
        assert degraded == reason and content.support_email in messages[0]["text"], name
        assert messages[1]["custom"] == {"type": "error", "reason": reason, "support_email": content.support_email}
    messages, degraded = outcomes["action_fails"]
    assert (
        degraded == "action_failed"
        and messages[0]["text"] == "partial"
        and content.support_email in messages[1]["text"]
    )
    messages, degraded = outcomes["silent"]
    assert degraded is None and messages[0]["text"] == content.messages["cancel_nothing"]
    assert finished == ["text for slow"], "a timed-out turn still completes"


def test_a_message_too_long_to_read_gets_the_limit_and_the_crisis_and_emergency_numbers(channel):
    """A long post may be a crisis: the refusal names the numbers of content/safety.yml, not only the limit."""
    from painfaq.safety.rules import load_safety_content

    numbers = load_safety_content()["numbers"]
    messages = channel.too_long("s1", 9123)
    text = messages[0]["text"]
    assert "9123 characters" in text and f"under {channel.limits.max_message_chars} characters" in text
    assert str(numbers["crisis_number"]) in text and str(numbers["emergency_number"]) in text
    assert messages[1]["custom"] == {"type": "error", "reason": "message_too_long", "max_chars": 8000}


def test_a_long_forum_post_is_within_the_default_limit():
    """Real people tell a story first and ask last; a 1,200-word post must be read, not refused."""
    post = ("I have had back pain for years and work is stressful. " * 120).strip() + " Can stress make it worse?"
    limit = Limits().max_message_chars
    assert 6000 < len(post) <= limit and message_units(post) <= limit // CHARS_PER_UNIT
    # ...but a run of emoji under the character limit costs the NLU a token each: it is refused like a long message.
    assert message_units("🙂" * 4000) > limit // CHARS_PER_UNIT


def test_sqlite_store_uses_the_write_ahead_log_and_follows_a_replaced_file(tmp_path):
    """The kept SQLite connection (write-ahead log) must not keep writing to a file that was moved away.
    One thread throughout, as in the server (the pool keeps one connection per thread)."""
    from painfaq.stores.tracker_store import MaskingSQLTrackerStore

    db = tmp_path / "t.db"
    domain, tracker = make_tracker("s1", "does yoga help?")
    _, other = make_tracker("s2", "how long does it last?")

    async def scenario():
        store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db), mask="none")
        await store.save(tracker)
        assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert (await store.retrieve("s1")).latest_message.text == "does yoga help?"
        # The file is moved away and an empty database takes its place (e.g. restored from an old backup).
        for suffix in ("", "-wal", "-shm"):
            if (tmp_path / f"t.db{suffix}").exists():
                (tmp_path / f"t.db{suffix}").rename(tmp_path / f"moved.db{suffix}")
        fresh = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db), mask="none")
        assert await fresh.retrieve("s1") is None
        assert await store.retrieve("s1") is None, "the store still reads the moved file"
        await store.save(other)
        return (await fresh.retrieve("s2")).latest_message.text

    assert run_coroutine(scenario()) == "how long does it last?"
    moved_senders = {row[0] for row in sqlite3.connect(tmp_path / "moved.db").execute("SELECT sender_id FROM events")}
    assert moved_senders == {"s1"}, "the store wrote to the moved file"


def test_typed_text_that_starts_with_a_slash_is_read_as_words():
    from painfaq.serving.channel import as_typed_text

    intents = ["faq_yoga", "request_human"]
    assert as_typed_text("/faq_yoga", intents) == "/faq_yoga"  # a button
    assert as_typed_text("/request_human", intents) == "/request_human"
    assert as_typed_text("/my email is jane@example.org", intents) == "my email is jane@example.org"
    assert as_typed_text("/faq_unknown", intents) == "faq_unknown"
    assert as_typed_text('/faq_yoga{"remedy": "x"}', intents) == 'faq_yoga{"remedy": "x"}'
    assert as_typed_text("// /faq_yoga", intents) == "faq_yoga"
    assert as_typed_text("does yoga help?", intents) == "does yoga help?"
