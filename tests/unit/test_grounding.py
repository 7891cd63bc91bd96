"""Grounding guarantee: every sentence the bot states as fact is quoted from the article in the repo.

Allowed differences: whitespace and quote marks only. A condensed sentence (not a verbatim quote) must be
listed in REVIEWED_CONDENSED below, with the article sentence it condenses, after a person has checked
that it says nothing the article sentence does not; an unreviewed one fails the test.
"""

from __future__ import annotations

import re
from typing import Dict, List

import pytest
import yaml

from painfaq.content.compose import BULLET, compose_answer, compose_sources_for
from painfaq.content.loader import SAFETY_FILE, Content, Sentence, Topic, load_content

# condensed sentence -> the article sentence it condenses (reviewed by a person). None so far: every
# passage sentence is a verbatim quote.
REVIEWED_CONDENSED: Dict[str, str] = {}

QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip()


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def article(content: Content) -> str:
    return normalise(content.article.text)


def all_sentences(content: Content) -> List[tuple]:
    """Every sentence that must be quoted from the article (topics with their own source are checked below)."""
    return [(t.id, s) for t in content.topics.values() if t.own_source is None for s in t.passage + t.more]


def test_the_only_passage_not_from_the_article_is_the_safety_warning_sign_list(content: Content):
    """The warning-signs topic says exactly what content/safety.yml's warning-sign list says, nothing more."""
    safety = yaml.safe_load((SAFETY_FILE).read_text(encoding="utf-8"))
    signs = safety["warning_signs"]
    numbers = {key: str(value) for key, value in safety["numbers"].items()}
    allowed = {signs["intro"]} | {signs[f"{level}_lead"].format_map(numbers) for level in ("emergency", "same_day")}
    allowed |= {f"{sign[0].upper()}{sign[1:]}." for level in ("emergency", "same_day") for sign in signs[level]}
    own = [t for t in content.topics.values() if t.own_source is not None]
    assert [t.id for t in own] == ["warning_signs"]
    topic = own[0]
    assert topic.own_source.url == signs["source"]["url"] and not topic.more
    assert [s.text for s in topic.passage if s.text not in allowed] == []
    assert len(topic.passage) == 3 + len(signs["emergency"]) + len(signs["same_day"])


def test_article_in_repo_is_the_seed_article(content: Content):
    text = content.article.text
    assert text.startswith("Can Anxiety Cause Back Pain? The Truth About the Mind-Body Connection")
    assert "References" in text and len(text) > 10_000


def test_every_passage_sentence_is_quoted_from_the_article(content: Content, article: str):
    ungrounded = [
        (topic_id, s.text)
        for topic_id, s in all_sentences(content)
        if normalise(s.text) not in article and s.text not in REVIEWED_CONDENSED
    ]
    assert not ungrounded, f"sentences not found in content/article.txt: {ungrounded}"


def test_reviewed_condensed_sentences_point_at_real_article_sentences(article: str):
    for condensed, source in REVIEWED_CONDENSED.items():
        assert normalise(source) in article, f"condensed {condensed!r}: source sentence not in the article"


def test_normalisation_allows_only_whitespace_and_quote_marks(article: str):
    # The check itself must be able to fail: a reworded sentence is not grounded.
    assert normalise("The answer is yes.") in article
    assert normalise("The answer is definitely yes.") not in article
    assert normalise("“There’s definitely a clear relationship") in article
    assert normalise("Yoga cures back pain.") not in article


def lines_are_grounded(text_lines: List[str], sentences: List[Sentence], content: Content, lead: str = "") -> List[str]:
    """Return the composed lines that are neither quoted sentences nor the fixed non-factual frame."""
    citation_urls = {content.article.url} | {r.link for r in content.references.values()}
    citation_urls |= {t.own_source.url for t in content.topics.values() if t.own_source is not None}
    frame = {content.messages["sources_heading"], content.disclaimer, content.messages["all_sources"], lead}
    bad = []
    for line in text_lines:
        if line in frame:
            continue
        if line.startswith(BULLET) and any(line.endswith(". " + url) for url in citation_urls):
            continue
        remaining = line[len(BULLET) :] if line.startswith(BULLET) else line
        for sentence in sentences:
            if remaining.startswith(sentence.text):
                remaining = remaining[len(sentence.text) :].lstrip(" ")
        if remaining:
            bad.append(line)
    return bad


@pytest.mark.parametrize("topic_id", sorted(load_content().topics))
def test_composed_answers_say_nothing_but_quotes_sources_and_disclaimer(content: Content, topic_id: str):
    topic: Topic = content.topics[topic_id]
    variants = [(compose_answer(content, topic), list(topic.passage), "")]
    if topic.more:
        variants.append((compose_answer(content, topic, sentences=topic.more), list(topic.more), ""))
    lead = content.messages["sources_for_topic"].format(question=topic.question)
    variants.append((compose_sources_for(content, topic), [], lead))
    for answer, sentences, lead_line in variants:
        assert lines_are_grounded(answer.text.split("\n"), sentences, content, lead_line) == []


def test_the_grounding_check_catches_an_invented_line(content: Content):
    topic = content.topics["yoga"]
    answer = compose_answer(content, topic)
    tampered = answer.text.replace(content.messages["sources_heading"], "Yoga cures anxiety in a week.\nSources:")
    assert lines_are_grounded(tampered.split("\n"), list(topic.passage), content) == ["Yoga cures anxiety in a week."]
