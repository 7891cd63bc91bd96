"""The one code path that turns article content into a reply: passage, then sources, then disclaimer.

Every health answer the bot gives (a topic, "tell me more", "source for that?") goes through
`compose_answer`, so the sources and the disclaimer cannot be forgotten by a new action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from painfaq.content.loader import Citation, Content, Sentence, Topic

BULLET = "• "


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    buttons: List[Dict[str, str]]
    payload: Dict[str, Any]


def render_passage(sentences: Sequence[Sentence]) -> str:
    """Running sentences share a line; bullet items get a line each (no blank lines: they split bubbles)."""
    lines: List[str] = []
    for sentence in sentences:
        if sentence.bullet:
            lines.append(BULLET + sentence.text)
        elif lines and not lines[-1].startswith(BULLET):
            lines[-1] = f"{lines[-1]} {sentence.text}"
        else:
            lines.append(sentence.text)
    return "\n".join(lines)


def citations_for(
    content: Content, reference_ids: Sequence[str], own_source: Optional[Citation] = None
) -> List[Citation]:
    """The article first (it is the source of every sentence), then each study behind a claim. A passage
    that is not from the article (`own_source`) cites its own source instead."""
    article = content.article
    citations = [own_source or Citation(label=f"{article.publisher}: {article.title}", url=article.url)]
    for ref_id in reference_ids:
        reference = content.references[ref_id]
        label = f"{reference.short_authors} ({reference.year}). {reference.title}. {reference.journal}"
        citations.append(Citation(label=label, url=reference.link))
    return citations


def suggestion_buttons(content: Content, topic_ids: Sequence[str]) -> List[Dict[str, str]]:
    return [{"title": content.topics[t].question, "payload": f"/{content.topics[t].intent}"} for t in topic_ids]


def compose_answer(
    content: Content,
    topic: Topic,
    sentences: Optional[Sequence[Sentence]] = None,
    lead: Optional[str] = None,
    reference_ids: Optional[Sequence[str]] = None,
    suggestions: Optional[Sequence[str]] = None,
) -> ComposedAnswer:
    """Compose an answer about `topic` from `sentences` (default: the topic's passage).

    `lead` is an optional framing line that states no health fact (e.g. "These are the sources for...").
    `suggestions` replaces the topic's follow-up buttons (e.g. only the options not shown yet).
    """
    chosen = tuple(topic.passage if sentences is None else sentences)
    if topic.list_all_references:
        lead = lead or content.messages["all_sources"]
        reference_ids = list(content.references)
    elif reference_ids is None:
        cited_here = {ref for s in chosen for ref in s.refs}
        reference_ids = [r for r in topic.reference_ids(include_more=True) if r in cited_here or r in topic.extra_refs]
    citations = citations_for(content, reference_ids, topic.own_source)
    passage = render_passage(chosen)
    body = "\n".join(part for part in (lead, passage) if part)
    source_lines = [f"{BULLET}{c.label}. {c.url}" for c in citations]
    text = "\n".join([body, content.messages["sources_heading"], *source_lines, content.disclaimer])
    buttons = suggestion_buttons(content, topic.suggestions if suggestions is None else suggestions)
    payload = {
        "type": "answer",
        "topic": topic.id,
        "question": topic.question,
        "lead": lead,
        "passage": passage,
        "citations": [{"label": c.label, "url": c.url} for c in citations],
        "disclaimer": content.disclaimer,
        "suggestions": buttons,
    }
    return ComposedAnswer(text=text, buttons=buttons, payload=payload)


def compose_sources_for(content: Content, topic: Topic) -> ComposedAnswer:
    """Answer "what's the source for that?" about the last topic: every study behind it, no passage."""
    lead = content.messages["sources_for_topic"].format(question=topic.question)
    return compose_answer(content, topic, sentences=(), lead=lead, reference_ids=topic.reference_ids(include_more=True))


FEEDBACK_HELPFUL_PAYLOAD = "/feedback_helpful"
FEEDBACK_NOT_HELPFUL_PAYLOAD = "/feedback_not_helpful"


def compose_feedback_prompt(content: Content, topic_id: str) -> ComposedAnswer:
    """The small "Was this helpful?" message sent after every composed answer (see actions.send_answer)."""
    buttons = [
        {"title": content.messages["feedback_yes"], "payload": FEEDBACK_HELPFUL_PAYLOAD},
        {"title": content.messages["feedback_no"], "payload": FEEDBACK_NOT_HELPFUL_PAYLOAD},
    ]
    payload = {"type": "feedback_prompt", "topic": topic_id, "buttons": buttons}
    return ComposedAnswer(text=content.messages["feedback_prompt"], buttons=buttons, payload=payload)
