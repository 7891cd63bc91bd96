"""The content file matches its schema, and the schema/cross-reference checks reject broken content."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from painfaq.content.loader import load_content, load_raw, parse

ARTICLE_TITLE = "Can Anxiety Cause Back Pain? The Truth About the Mind-Body Connection"
ARTICLE_URL = "https://www.hingehealth.com/resources/articles/can-anxiety-cause-back-pain/"


@pytest.fixture
def raw():
    return load_raw()


def test_content_file_is_valid():
    content = load_content()
    assert content.article.title == ARTICLE_TITLE
    assert content.article.url == ARTICLE_URL
    assert content.article.publisher == "Hinge Health"
    assert {e["name"] for e in content.experts} == {"Nikki Bond", "Claudia Canales"}
    assert "not medical advice" in content.disclaimer


def test_every_reference_in_the_article_list_is_in_the_content(raw):
    article_text = load_content().article.text
    references_section = article_text.split("\nReferences\n", 1)[1]
    listed = [line for line in references_section.splitlines() if line.strip()]
    assert len(listed) == len(raw["references"]) == 8
    for reference in load_content().references.values():
        assert reference.doi or reference.url
        needle = reference.doi or reference.url
        assert needle in references_section, f"{reference.id}: {needle} not in the article's reference list"


@pytest.mark.parametrize(
    "topic_id, claim_fragment, reference_id",
    [
        ("can_anxiety_cause_back_pain", "almost twice as likely to have anxiety", "demyttenaere2007"),
        ("inactivity", "bidirectional pattern between physical activity", "azevedo2012"),
        ("sleep", "Back pain, anxiety, and sleep all intersect", "skarpsno2021"),
        ("breathing", "review of 11 studies", "shi2023"),
        ("yoga", "yoga significantly improved pain", "anheyer2021"),
        ("therapy", "mindfulness-based stress reduction program", "cherkin2016"),
        ("therapy", "2016 study in the journal JAMA", "cherkin2016"),
    ],
)
def test_claims_cite_the_study_the_article_cites(topic_id, claim_fragment, reference_id):
    topic = load_content().topics[topic_id]
    sentence = next(s for s in topic.passage if claim_fragment in s.text)
    assert reference_id in sentence.refs


def test_prevalence_topic_cites_nimh():
    assert "nimh2024" in load_content().topics["how_common"].reference_ids()


def test_every_topic_has_suggestions_and_a_question():
    for topic in load_content().topics.values():
        assert topic.suggestions, topic.id
        assert topic.question.endswith("?"), topic.id


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.pop("disclaimer"), "disclaimer"),
        (lambda r: r["references"][0].update(doi="not-a-doi"), "does not match"),
        (lambda r: r["topics"][0]["passage"][0].update(text=""), "short"),
        (lambda r: r["topics"][0].update(intent="yoga"), "does not match"),
        (lambda r: r["article"].update(url="http://insecure.example"), "does not match"),
    ],
)
def test_schema_rejects_broken_content(raw, mutate, message):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError, match=message):
        parse(broken)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r["topics"][0]["passage"][1].update(refs=["nobody2020"]), "unknown reference nobody2020"),
        (lambda r: r["topics"][0].update(suggestions=["no_such_topic"]), "bad suggestion"),
        (lambda r: r["topics"].append(copy.deepcopy(r["topics"][0])), "duplicate topic ids"),
        (lambda r: r.update(example_topics=["missing"]), "example topic missing"),
    ],
)
def test_cross_references_are_checked(raw, mutate, message):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(ValueError, match=message):
        parse(broken)


def test_relief_overview_bullets_name_its_suggestions_in_order():
    """ "Any other options?" (actions.ActionOtherOptions) picks the overview's bullets by suggestion position."""
    content = load_content()
    overview = content.topics["relief_overview"]
    bullets = [s.text.lower() for s in overview.passage if s.bullet]
    assert len(bullets) == len(overview.suggestions)
    for bullet, topic_id in zip(bullets, overview.suggestions):
        first_word = content.topics[topic_id].question.lower().split()[-2 if topic_id == "physical_therapy" else -2]
        assert first_word.rstrip("?") in bullet or topic_id.split("_")[0] in bullet, (bullet, topic_id)
