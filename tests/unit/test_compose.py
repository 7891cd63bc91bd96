"""The one answer path: passage, then sources, then disclaimer, as text and as a structured payload."""

from __future__ import annotations

from painfaq.content.compose import compose_answer, compose_sources_for, render_passage
from painfaq.content.loader import Sentence, load_content


def test_answer_order_is_passage_sources_disclaimer():
    content = load_content()
    answer = compose_answer(content, content.topics["breathing"])
    lines = answer.text.split("\n")
    assert lines[0].startswith("This breathing technique can help to relieve lower back pain")
    heading = lines.index("Sources:")
    assert lines[heading + 1].endswith(content.article.url)
    assert "Shi et al. (2023)" in lines[heading + 2]
    assert lines[heading + 2].endswith("https://doi.org/10.1016/j.ctim.2023.102993")
    assert lines[-1] == content.disclaimer


def test_no_blank_lines_so_channels_keep_one_bubble():
    content = load_content()
    for topic in content.topics.values():
        assert "\n\n" not in compose_answer(content, topic).text


def test_payload_carries_the_same_data_as_the_text():
    content = load_content()
    answer = compose_answer(content, content.topics["therapy"])
    payload = answer.payload
    assert payload["type"] == "answer" and payload["topic"] == "therapy"
    assert payload["passage"] in answer.text
    assert payload["disclaimer"] == content.disclaimer
    assert [c["url"] for c in payload["citations"]] == [content.article.url, "https://doi.org/10.1001/jama.2016.2323"]
    assert payload["suggestions"] == answer.buttons
    assert {b["payload"] for b in answer.buttons} == {"/faq_breathing", "/faq_relief_overview"}


def test_only_studies_behind_the_quoted_sentences_are_cited():
    content = load_content()
    topic = content.topics["can_anxiety_cause_back_pain"]
    more = compose_answer(content, topic, sentences=topic.more)
    assert [c["url"] for c in more.payload["citations"]] == [content.article.url]


def test_sources_for_a_topic_list_every_study_behind_it():
    content = load_content()
    answer = compose_sources_for(content, content.topics["how_common"])
    urls = [c["url"] for c in answer.payload["citations"]]
    assert urls == [
        content.article.url,
        "https://doi.org/10.1016/j.pain.2007.01.022",
        "https://doi.org/10.1176/appi.focus.20160044",
        "https://www.nimh.nih.gov/health/statistics/any-anxiety-disorder",
    ]
    assert answer.payload["passage"] == ""


def test_sources_topic_lists_all_references():
    content = load_content()
    answer = compose_answer(content, content.topics["sources"])
    assert len(answer.payload["citations"]) == 1 + len(content.references)


def test_bullets_get_their_own_lines():
    text = render_passage([Sentence("Intro:"), Sentence("One.", bullet=True), Sentence("Two.", bullet=True)])
    assert text == "Intro:\n• One.\n• Two."
