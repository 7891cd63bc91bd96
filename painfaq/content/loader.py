"""Typed access to content/faq.yml, the article as data.

Both the action server and the tests load content through here, so the schema is checked in one place.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import jsonschema
import yaml

from painfaq import settings

REPO_ROOT = settings.REPO_ROOT
CONTENT_DIR = settings.CONTENT_DIR.path()
FAQ_FILE = CONTENT_DIR / "faq.yml"
FAQ_SCHEMA_FILE = CONTENT_DIR / "schema" / "faq.schema.json"
SAFETY_FILE = CONTENT_DIR / "safety.yml"


@dataclass(frozen=True)
class Reference:
    id: str
    authors: str
    short_authors: str
    year: int
    title: str
    journal: str
    doi: Optional[str] = None
    url: Optional[str] = None

    @property
    def link(self) -> str:
        # DOIs resolve through doi.org; a DOI is a URL path, so parentheses stay as they are.
        return f"https://doi.org/{self.doi}" if self.doi else str(self.url)

    @property
    def short_citation(self) -> str:
        return f"{self.short_authors} ({self.year}). {self.title}. {self.journal}. {self.link}"


@dataclass(frozen=True)
class Citation:
    label: str
    url: str


@dataclass(frozen=True)
class Sentence:
    text: str
    refs: Tuple[str, ...] = ()
    bullet: bool = False


@dataclass(frozen=True)
class Topic:
    id: str
    intent: str
    question: str
    passage: Tuple[Sentence, ...]
    more: Tuple[Sentence, ...] = ()
    extra_refs: Tuple[str, ...] = ()
    suggestions: Tuple[str, ...] = ()
    list_all_references: bool = False
    # Set when the passage is not from the article (the warning signs of content/safety.yml): cited instead of it.
    own_source: Optional["Citation"] = None

    def reference_ids(self, include_more: bool = False) -> List[str]:
        """Studies cited for this topic, in the order their claims appear, without repeats."""
        sentences = self.passage + (self.more if include_more else ())
        ordered: List[str] = []
        for ref_id in [r for s in sentences for r in s.refs] + list(self.extra_refs):
            if ref_id not in ordered:
                ordered.append(ref_id)
        return ordered


@dataclass(frozen=True)
class Article:
    title: str
    publisher: str
    url: str
    text: str

    @property
    def citation(self) -> str:
        return f'{self.publisher}, "{self.title}". {self.url}'


@dataclass(frozen=True)
class Content:
    article: Article
    disclaimer: str
    references: Dict[str, Reference]
    topics: Dict[str, Topic]
    messages: Dict[str, str]
    support_email: str
    example_topics: Tuple[str, ...]
    experts: Tuple[Dict[str, str], ...] = field(default_factory=tuple)

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        return next((t for t in self.topics.values() if t.intent == intent), None)

    @property
    def faq_intents(self) -> List[str]:
        return [t.intent for t in self.topics.values()]


def _sentences(raw: List[Dict[str, Any]]) -> Tuple[Sentence, ...]:
    return tuple(
        Sentence(text=s["text"], refs=tuple(s.get("refs", [])), bullet=bool(s.get("bullet", False))) for s in raw
    )


def validate_raw(raw: Dict[str, Any]) -> None:
    """Schema check plus the cross-references a JSON Schema cannot express."""
    schema = json.loads(FAQ_SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(raw, schema)
    reference_ids = {r["id"] for r in raw["references"]}
    topic_ids = [t["id"] for t in raw["topics"]]
    problems: List[str] = []
    if len(set(topic_ids)) != len(topic_ids):
        problems.append("duplicate topic ids")
    if len(reference_ids) != len(raw["references"]):
        problems.append("duplicate reference ids")
    for topic in raw["topics"]:
        for sentence in topic["passage"] + topic.get("more", []):
            for ref in sentence.get("refs", []):
                if ref not in reference_ids:
                    problems.append(f"{topic['id']}: unknown reference {ref}")
        for ref in topic.get("extra_refs", []):
            if ref not in reference_ids:
                problems.append(f"{topic['id']}: unknown reference {ref}")
        for suggestion in topic.get("suggestions", []):
            if suggestion not in topic_ids or suggestion == topic["id"]:
                problems.append(f"{topic['id']}: bad suggestion {suggestion}")
        from_safety = topic.get("passage_from_safety_warning_signs")
        if from_safety and topic["passage"]:
            problems.append(f"{topic['id']}: passage must be empty when it comes from safety.yml")
        if not topic["passage"] and not topic.get("list_all_references") and not from_safety:
            problems.append(f"{topic['id']}: empty passage")
    for topic_id in raw["example_topics"]:
        if topic_id not in topic_ids:
            problems.append(f"example topic {topic_id} does not exist")
    if problems:
        raise ValueError("content/faq.yml: " + "; ".join(problems))


def warning_sign_passage(safety: Dict[str, Any]) -> Tuple[Tuple[Sentence, ...], Citation]:
    """The warning-sign list of content/safety.yml as a passage: intro, then each level's lead and signs."""
    signs = safety["warning_signs"]
    numbers = {key: str(value) for key, value in safety["numbers"].items()}
    sentences = [Sentence(text=signs["intro"])]
    for level in ("emergency", "same_day"):
        sentences.append(Sentence(text=signs[f"{level}_lead"].format_map(numbers)))
        sentences += [Sentence(text=f"{sign[0].upper()}{sign[1:]}.", bullet=True) for sign in signs[level]]
    return tuple(sentences), Citation(label=signs["source"]["label"], url=signs["source"]["url"])


def parse(raw: Dict[str, Any], content_dir: Path = CONTENT_DIR) -> Content:
    validate_raw(raw)
    needs_safety = any(t.get("passage_from_safety_warning_signs") for t in raw["topics"])
    safety_passage = warning_sign_passage(load_raw(content_dir / SAFETY_FILE.name)) if needs_safety else None
    article_raw = raw["article"]
    article = Article(
        title=article_raw["title"],
        publisher=article_raw["publisher"],
        url=article_raw["url"],
        text=(content_dir / article_raw["text_file"]).read_text(encoding="utf-8"),
    )
    references = {r["id"]: Reference(**r) for r in raw["references"]}
    topics = {
        t["id"]: Topic(
            id=t["id"],
            intent=t["intent"],
            question=t["question"],
            passage=safety_passage[0]
            if safety_passage and t.get("passage_from_safety_warning_signs")
            else _sentences(t["passage"]),
            own_source=safety_passage[1] if safety_passage and t.get("passage_from_safety_warning_signs") else None,
            more=_sentences(t.get("more", [])),
            extra_refs=tuple(t.get("extra_refs", [])),
            suggestions=tuple(t.get("suggestions", [])),
            list_all_references=bool(t.get("list_all_references", False)),
        )
        for t in raw["topics"]
    }
    return Content(
        article=article,
        disclaimer=raw["disclaimer"],
        references=references,
        topics=topics,
        messages=dict(raw["messages"]),
        support_email=raw["support"]["email"],
        example_topics=tuple(raw["example_topics"]),
        experts=tuple(raw["experts"]),
    )


def load_raw(path: Path = FAQ_FILE) -> Dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when available


@functools.lru_cache(maxsize=1)
def load_content() -> Content:
    return parse(load_raw(FAQ_FILE), FAQ_FILE.parent)
