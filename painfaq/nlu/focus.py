"""Find the questions in a long message: real people tell a story first and ask last.

The intent classifier is a bag of n-grams: in a 150-word story about a house move, a job and a doctor's
visit, the eight words of the actual question ("I've heard yoga can help. Is that true?") are drowned.
`focus` keeps the question sentences (the last three at most: people often ask several) and the
sentence before the first of them when it leans on it ("is that true?", "what can I do about it?");
short messages are left as they are. A forum or reddit post's title ("Muscle relaxation?", "Shoulder muscle pain
after stress") names what the post is about, so it is kept in front of the questions. Measured on the dev set of real
messages (docs/real-users.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List

# A story needs at least this many sentences or words before it is focused.
MIN_SENTENCES = 3
MIN_WORDS = 40
# A question this short, or one that points back ("that", "it"), also keeps the sentence before it.
SHORT_QUESTION_WORDS = 7
# Several questions in one message: keep the last ones.
MAX_QUESTIONS = 3

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+|\s*\[\.\.\.\]\s*")
_QUESTION_START = re.compile(
    r"^(how|what|what's|whats|why|when|where|which|who|can|could|is|isn't|are|am|does|doesn't|do|did|will|"
    r"would|should|shall|has|have|any|anything|is there|are there)\b",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"\b(i (just )?(want|wanted|need|would like|'d like) to know|i('m| am)? wonder(ing)?|any (advice|tips|ideas|suggestions)"
    r"|please help|what (can|should) i do|can (anyone|someone|you) (help|tell)"
    # A question asked inside a sentence, as forum and Q&A posts do ("So my question is, what could be the cause",
    # "I suffer from lower back pain, is there anything that may help", "can anybody help me please"). Not a thank-you
    # ("thanks for any help", "in case it's of any help").
    r"|my (main |only |real )?question (is|was)|(is|are) there (any|any ?thing|something)|(can|could|would|will) (any|some)(one|body)"
    r"|(any|some)(one|body) ((can|could) )?(suggest|recommend|help|advise|tell)"
    r"|(can|could|would) you (please )?(give|tell|help|suggest|recommend|advise)"
    r"|(?<!for )(?<!of )(?<!for all )any (kind of )?help(?! (is|would be|will be) (appreciated|great)))\b",
    re.IGNORECASE,
)
# "And will physical therapy help me." is a question too.
_LEADING_LINK = re.compile(r"^(and|but|so|also|ok|okay|well|now|anyway|plus)[,\s]+", re.IGNORECASE)
_POINTS_BACK = re.compile(r"\b(that|this|it|they|these|those|this pain|the pain)\b", re.IGNORECASE)
# Words that say what the message is about. Questions without any ("Does anyone else get this? What helps?",
# "I wonder how they stay so relaxed") take the story's last sentences that have them along.
_TOPIC_WORDS = re.compile(
    r"\b(back|backs|backache|neck|shoulders?|spine|spinal|muscles?|tension|tense|tight|tightness|knots?|pain|pains|"
    r"painful|ache|aches|aching|sore|stiff|stiffness|anxiety|anxious|stress|stressed|panic|worry|worried|nerves|"
    r"nervous|sleep|exercise|yoga|breathing|therapy|physio|hurts?)\b",
    re.IGNORECASE,
)
# How many story sentences with topic words join questions that have none.
MAX_TOPIC_SENTENCES = 2
# A post's title: a short first line followed by a blank line, as forums and reddit store "Title\n\nbody".
_TITLE = re.compile(r"^\s*([^\n]{3,120})\n\s*\n")
MAX_TITLE_WORDS = 14


def sentences(text: str) -> List[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def is_question(sentence: str) -> bool:
    sentence = _LEADING_LINK.sub("", sentence)
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence)) or bool(_ASKING.search(sentence))


def with_question_marks(text: str) -> str:
    """`text` with a question mark after each sentence that asks without one ("how long does it last", "is it stress").
    Real people often leave the mark out, and the classifier learned it as part of a question: on the dev set of real
    messages, the same posts with their question marks removed got the right answer 5.7 points less often."""
    parts = sentences(text)
    if not any(is_question(part) and not part.endswith("?") for part in parts):
        return text
    return " ".join(
        part.rstrip(" .!,;:") + "?" if is_question(part) and not part.endswith("?") else part for part in parts
    )


# Each message is focused by several NLU steps in turn (premise gate, scope rescue, remedy request...): cached, it is
# split once per message (0.07 ms a call, about 0.8 ms a long message before).
@lru_cache(maxsize=1024)
def focus(text: str) -> str:
    """The part of `text` that asks, after the post's title if it has one; `text` itself when it is short."""
    focused = _questions(text)
    title = _TITLE.match(text)
    if focused == text or title is None or len(title.group(1).split()) > MAX_TITLE_WORDS:
        return focused
    heading = title.group(1).strip()
    return focused if focused.startswith(heading) else f"{heading} {focused}"


def _questions(text: str) -> str:
    parts = sentences(text)
    if len(parts) < MIN_SENTENCES and len(text.split()) < MIN_WORDS:
        return text
    asked = [index for index, sentence in enumerate(parts) if is_question(sentence)][-MAX_QUESTIONS:]
    if not asked:
        return " ".join(parts[-2:])
    first = parts[asked[0]]
    leans_back = len(first.split()) < SHORT_QUESTION_WORDS or bool(_POINTS_BACK.search(first))
    keep = ([asked[0] - 1] if leans_back and asked[0] > 0 else []) + asked
    if not any(_TOPIC_WORDS.search(parts[index]) for index in keep):
        topical = [i for i, sentence in enumerate(parts) if i not in keep and _TOPIC_WORDS.search(sentence)]
        keep = sorted(topical[-MAX_TOPIC_SENTENCES:] + keep)
    return " ".join(parts[index] for index in keep)
