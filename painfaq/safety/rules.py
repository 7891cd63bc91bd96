"""Rule-based safety net: recognises back-pain red flags and crisis language in any user message.

All patterns, word lists, negation cues, typo corrections and reply texts live in content/safety.yml
(validated by content/schema/safety.schema.json); this module only compiles and applies them. See the
comment at the top of content/safety.yml for how matching works.

    net = load_default_safety_net()
    finding = net.check("my back hurts and I can't control my bladder")
    if finding:
        text, payload = safety_reply(finding, net.content)
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from painfaq import settings

REPO_ROOT = settings.REPO_ROOT
CONTENT_DIR = settings.CONTENT_DIR.path()
SAFETY_FILE = CONTENT_DIR / "safety.yml"
SAFETY_SCHEMA_FILE = CONTENT_DIR / "schema" / "safety.schema.json"
DEFAULT_SPACY_MODEL = REPO_ROOT / "models" / "spacy" / "en_painfaq"

END = "<end>"  # in followed_by_any: end of message or a punctuation token
EXACT = "="  # a phrase that starts with it is matched word for word, not by lemma (unless_preceded_by)
_LEMMAS = "painfaq_lemmas"  # doc.user_data key: the normalised lemmas


@dataclass(frozen=True)
class SafetyFinding:
    kind: str  # "red_flag" | "crisis"
    category: str  # e.g. "cauda_equina", "suicide"
    rule_id: str  # id of the rule in content/safety.yml ("nlu_intent" when only the NLU model caught it)
    matched_text: str  # the matched words, from the normalised (lower-cased) message
    level: str  # "emergency" | "same_day" | "crisis"


_SENTENCE_ENDS = {".", "!", "?", ";"}


@dataclass(frozen=True)
class _Rule:
    id: str
    kind: str
    category: str
    level: str
    negatable: bool
    window: int
    unless_preceded_by: Tuple[Tuple[str, ...], ...]
    unless_followed_by: Tuple[Tuple[str, ...], ...]
    followed_by_any: Tuple[Tuple[str, ...], ...]
    skip_general_questions: bool
    unless_near: Tuple[Tuple[str, ...], ...] = ()
    unless_in_sentence_before: Tuple[Tuple[str, ...], ...] = ()
    recent_in_sentence: Tuple[Tuple[str, ...], ...] = ()
    unless_in_message: Tuple[Tuple[str, ...], ...] = ()
    only_if_in_message: Tuple[Tuple[str, ...], ...] = ()
    only_if_in_story: Tuple[Tuple[str, ...], ...] = ()
    note_if_near: Tuple[Tuple[str, ...], ...] = ()
    note_if_in_message: Tuple[Tuple[str, ...], ...] = ()
    note_if_in_sentence: Tuple[Tuple[str, ...], ...] = ()
    urgent_if_near: Tuple[Tuple[str, ...], ...] = ()
    urgent_if_in_message: Tuple[Tuple[str, ...], ...] = ()
    urgent_unless_feared: Tuple[Tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class _Match:
    rule: _Rule
    start: int
    end: int


def load_safety_content(path: Path = SAFETY_FILE, validate: bool = True) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        # libyaml's loader when PyYAML has it: 0.04 s instead of 0.28 s for this file, at every start.
        content: Dict[str, Any] = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if validate:
        import jsonschema

        with open(SAFETY_SCHEMA_FILE, encoding="utf-8") as fh:
            jsonschema.validate(content, json.load(fh))
    return content


# `only_if_in_message` reads messages of at least this many tokens on their own.
ONLY_IF_IN_MESSAGE_MIN_TOKENS = 12
# Words that make a stretch between commas a clause ("I'm scared of dying, my chest hurts, my back aches"), not an item
# of a list of things feared: `_list_start`.
_CLAUSE_WORDS = {
    "i",
    "my",
    "me",
    "he",
    "she",
    "his",
    "her",
    "we",
    "our",
    "they",
    "their",
    "you",
    "your",
    "it",
    "have",
    "be",
}
_LIST_SEPARATORS = {",", "and", "or"}
# The longest item of a list read as one ("worry about cancer, blood clots, a pulmonary embolism"): `_list_start`.
MAX_LIST_ITEM_TOKENS = 4
# `only_if_in_story` reads only stories, messages of at least this many tokens (about 30 words): a shorter one
# leans on the conversation with a back-pain assistant ("fell off the roof", "fever and chills since yesterday").
ONLY_IF_IN_STORY_MIN_TOKENS = 40

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'"})


# Words written with a letter starred out, as trigger warnings and moderated forums write them.
_CENSORED = (
    (re.compile(r"\bs[u*][i*]c[i*]d(e|al)\b"), r"suicid\1"),
    (re.compile(r"\bk[i*]ll(s|ing|ed)?\b"), r"kill\1"),
    (re.compile(r"\bunal[i*]ve\b"), "unalive"),
)


def normalise_text(text: str) -> str:
    """Lower-case and tidy a message so the lemmatizer sees ordinary words."""
    # A post's title glued to its body with no space ("I want to end myselfSAD PAIN", "I just want to be freeI don't
    # want to..."), as scraped reddit datasets store them: a capital after a lower-case letter starts a word.
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text.translate(_QUOTES)).lower()
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)  # "bladdder" -> "bladder", "sooo" -> "soo"
    text = re.sub(r"([a-z]{2})([.,;!?:)]+)([a-z])", r"\1\2 \3", text)  # "bladder.also" -> "bladder. also"
    text = re.sub(r"([a-z])([(\[{<]+)", r"\1 \2", text)  # "want to die(<-not sure..." -> "want to die (<-not sure..."
    text = re.sub(r"(\d)(lbs?|kgs?|kilos?|pounds?|st)\b", r"\1 \2", text)  # "10lbs" -> "10 lbs"
    text = re.sub(r"(\d)(years?|yrs?|months?|weeks?|wks?|days?|hours?|hrs?)\b", r"\1 \2", text)  # "2years ago"
    text = re.sub(r"(\d) ?kms\b", r"\1 km", text)  # "a walk covering 3.5 KMS": kilometres, not "kill myself"
    text = re.sub(r"(^|\s)[-*\u2022]+(?=[a-z])", r"\1- ", text)  # list bullets: "-chest pain" -> "- chest pain"
    text = re.sub(r"\b(my|your|him|her|them) (self|selves)\b", r"\1\2", text)  # "hurt my self" -> "hurt myself"
    # "New Year's Day I had a bad chest pain": a date, so "new" there is not the acute marker "something new".
    text = re.sub(r"\bnew (year'?s?|years')(?= |$|[.,!?])", "newyear", text)
    for censored, word in _CENSORED:  # "TW: brief mention of su*cide", "k*ll myself"
        text = censored.sub(word, text)
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def _shorthand_expander(table: Dict[str, str]) -> Callable[[str], str]:
    """Chat shorthand written out (`typos.shorthand`: "gonna" -> "going to", "w/o" -> "without", "rn" -> "right now"):
    the tokenizer splits "gonna" into "gon" "na" and keeps "w/o" whole, so no lemma correction can reach them."""
    if not table:
        return lambda text: text
    words = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w/])(" + "|".join(re.escape(w) for w in words) + r")(?![\w/])")
    return lambda text: pattern.sub(lambda m: table[m.group(1)], text)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    """True if a and b differ by at most one insert, delete, substitution or adjacent swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


class SafetyNet:
    """Compiled safety rules. Build once (it takes about a second) and reuse; `check` keeps no state
    between calls."""

    def __init__(self, content: Dict[str, Any], nlp: Language) -> None:
        self.content = content
        self.nlp = nlp
        matching = content.get("matching", {})
        negation = content["negation"]
        typos = content.get("typos", {})
        self._levels: List[str] = list(content["levels"])
        self._gap_stops: List[str] = list(matching.get("gap_stops", []))
        self._default_window: int = int(matching.get("context_window", 3))
        self._near_window: int = int(matching.get("near_window", 8))
        self._crisis_cues = [re.compile(p, re.IGNORECASE) for p in content.get("learned_crisis_cues", [])]
        self._weak_crisis_cues = [re.compile(p, re.IGNORECASE) for p in content.get("learned_crisis_weak_cues", [])]
        general = matching.get("general_question", {})
        self._gq_window: int = int(general.get("window", 3))
        self._gq_personal: Set[str] = set(general.get("personal_words", []))
        self._gq_question_words: Set[str] = set(general.get("question_words", []))
        self._gq_max_words: int = int(general.get("max_question_words", 0))
        self._gq_topic_words: Set[str] = set(general.get("question_topic_words", []))
        self._gq_openers: List[Tuple[str, ...]] = [tuple(o.split()) for o in general.get("general_subject_openers", [])]
        self._gq_opener_prefixes: Set[str] = set(general.get("opener_prefixes", []))
        self._gq_own_words: Set[str] = self._gq_personal - set(general.get("everyone_words", []))
        self._neg_cues: Set[str] = set(negation["cues"])
        self._neg_bridge: Set[str] = set(negation["bridge"])
        self._neg_terminators: Set[str] = set(negation["terminators"])
        self._neg_max: int = int(negation["max_distance"])
        self._neg_clause_starters: Set[str] = set(negation.get("clause_starters", []))
        self._neg_double_cues: Set[str] = set(negation.get("double_negative_cues", []))
        self._neg_list_cues: Set[str] = set(negation.get("list_cues", []))
        self._corrections: Dict[str, str] = {str(k): str(v) for k, v in typos.get("corrections", {}).items()}
        self._shorthand = _shorthand_expander({str(k): str(v) for k, v in typos.get("shorthand", {}).items()})
        fuzzy = typos.get("fuzzy", {})
        self._fuzzy_targets: List[str] = list(fuzzy.get("targets", []))
        self._fuzzy_min: int = int(fuzzy.get("min_length", 6))
        self._fuzzy_protect: Set[str] = set(fuzzy.get("protect", []))
        self._fuzzy_target_set: Set[str] = set(self._fuzzy_targets)
        self._is_known = self._lemma_table_words()
        self._lexicon: Dict[str, List[str]] = {
            name: self._with_lemmas(words) for name, words in content.get("lexicon", {}).items()
        }
        for name in negation.get("bridge_lexicons", []):
            self._neg_bridge.update(self._lexicon[name])
        self._symptom_words: Set[str] = set()
        for name in negation.get("symptom_lexicons", []):
            self._symptom_words.update(self._lexicon[name])
        self._gq_cues = self._phrase_lemmas(general.get("cues", []))
        self._rules: Dict[str, _Rule] = {}
        self._matcher = Matcher(nlp.vocab)
        self._phrase_matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        categories = content["categories"]
        for raw in content["rules"]:
            category = categories.get(raw["category"])
            if category is None:
                raise ValueError(f"rule {raw['id']}: unknown category {raw['category']!r}")
            if category["kind"] != raw["kind"]:
                raise ValueError(
                    f"rule {raw['id']}: kind {raw['kind']} but category {raw['category']} is {category['kind']}"
                )
            if raw["id"] in self._rules:
                raise ValueError(f"duplicate rule id {raw['id']}")
            level = raw.get("level", category["level"])
            if level not in self._levels:
                raise ValueError(f"rule {raw['id']}: unknown level {level!r}")
            rule = _Rule(
                id=raw["id"],
                kind=raw["kind"],
                category=raw["category"],
                level=level,
                negatable=bool(raw.get("negatable", raw["kind"] in negation.get("applies_to", ["red_flag"]))),
                window=int(raw.get("context_window", self._default_window)),
                unless_preceded_by=self._phrase_lemmas(raw.get("unless_preceded_by", [])),
                unless_followed_by=self._phrase_lemmas(raw.get("unless_followed_by", [])),
                followed_by_any=self._phrase_lemmas(raw.get("followed_by_any", [])),
                skip_general_questions=bool(raw.get("skip_general_questions", False)),
                unless_near=self._phrase_lemmas(raw.get("unless_near", [])),
                unless_in_sentence_before=self._phrase_lemmas(raw.get("unless_in_sentence_before", [])),
                recent_in_sentence=self._phrase_lemmas(raw.get("recent_in_sentence", [])),
                unless_in_message=self._phrase_lemmas(raw.get("unless_in_message", [])),
                only_if_in_message=self._phrase_lemmas(raw.get("only_if_in_message", [])),
                only_if_in_story=self._phrase_lemmas(raw.get("only_if_in_story", [])),
                note_if_near=self._phrase_lemmas(raw.get("note_if_near", [])),
                note_if_in_message=self._phrase_lemmas(raw.get("note_if_in_message", [])),
                note_if_in_sentence=self._phrase_lemmas(raw.get("note_if_in_sentence", [])),
                urgent_if_near=self._phrase_lemmas(raw.get("urgent_if_near", [])),
                urgent_if_in_message=self._phrase_lemmas(raw.get("urgent_if_in_message", [])),
                urgent_unless_feared=self._phrase_lemmas(raw.get("urgent_unless_feared", [])),
            )
            self._rules[rule.id] = rule
            patterns = [self._expand_pattern(p, rule.id) for p in raw.get("patterns", [])]
            if patterns:
                self._matcher.add(rule.id, patterns)
            phrases = [self._analyse(p) for p in raw.get("phrases", [])]
            if phrases:
                self._phrase_matcher.add(rule.id, phrases)

    @classmethod
    def from_file(cls, path: Path, nlp: Language) -> "SafetyNet":
        return cls(load_safety_content(Path(path)), nlp)

    # ------------------------------------------------------------------ public API
    def check(self, text: str) -> Optional[SafetyFinding]:
        """The most urgent finding in `text`, or None. Crisis > emergency > same_day, then earliest."""
        findings = self.findings(text)
        return findings[0] if findings else None

    def findings(self, text: str) -> List[SafetyFinding]:
        """Every finding in `text` (one per rule), most urgent first."""
        return self._findings(text)[0]

    def assess(self, text: str) -> Tuple[Optional[SafetyFinding], bool]:
        """`check` and `wants_note` from one analysis of the text (the NLU component's per-turn call)."""
        findings, noted = self._findings(text)
        return (findings[0], False) if findings else (None, noted)

    def wants_note(self, text: str) -> bool:
        """True when a rule matched only in a way that calls for the warning-sign note under the answer, not
        for an urgent reply (`note_if_near`: "my chest gets tight whenever I'm anxious" is the person's known
        pattern, not a new emergency) and nothing else triggered."""
        findings, noted = self._findings(text)
        return not findings and noted

    def _findings(self, text: str) -> Tuple[List[SafetyFinding], bool]:
        if not text or not text.strip():
            return [], False
        doc = self._analyse(text)
        matches = self._raw_matches(doc)
        covered = {i for m in matches for i in range(m.start, m.end)}
        best: Dict[str, _Match] = {}
        noted = False
        for m in matches:
            if m.rule.id in best or not self._keep(doc, m, covered):
                continue
            if self._calls_for_note(doc, m):
                noted = True
                continue
            best[m.rule.id] = m
        ordered = sorted(best.values(), key=lambda m: (self._levels.index(m.rule.level), m.start))
        return [
            SafetyFinding(
                kind=m.rule.kind,
                category=m.rule.category,
                rule_id=m.rule.id,
                matched_text=doc[m.start : m.end].text,
                level=m.rule.level,
            )
            for m in ordered
        ], noted

    def has_crisis_cue(self, text: str) -> bool:
        """True when the message uses the language of despair, self-harm or ending things
        (`learned_crisis_cues`); without such a cue the learned layer may not give the crisis reply. True for
        every message when the content lists no cues (the layer then decides alone, as before). A weak cue
        (`learned_crisis_weak_cues`: "life", "living") counts only next to a second cue or another weak word."""
        if not self._crisis_cues:
            return True
        plain = text.translate(_QUOTES)
        if any(cue.search(plain) for cue in self._crisis_cues):
            return True
        weak_words = {_word_family(m.group(0)) for cue in self._weak_crisis_cues for m in cue.finditer(plain)}
        return len(weak_words) >= 2

    def only_negated_red_flags(self, text: str) -> bool:
        """True if the message mentions red-flag symptoms only to deny them ("no numbness, no bladder
        problems - is it anxiety?"): no rule triggers, and every symptom word
        (`negation.symptom_lexicons`) is negated. SafetyNetClassifier uses this to overrule an
        NLU-only `red_flag` prediction.
        """
        if not text or not text.strip():
            return False
        doc = self._analyse(text)
        matches = self._raw_matches(doc)
        covered = {i for m in matches for i in range(m.start, m.end)}
        negated_tokens: Set[int] = set()
        for m in matches:
            if not self._passes_context(doc, m):
                continue
            cue = self._negation_cue(doc, m.start, m.end, covered) if m.rule.negatable else None
            if cue is None:
                return False  # something triggers (a crisis rule is never negated)
            negated_tokens.update(range(cue, m.end))
        symptoms = [i for i, t in enumerate(doc) if t.lemma_ in self._symptom_words or t.lower_ in self._symptom_words]
        if not symptoms:
            return False
        return all(i in negated_tokens or self._negation_cue(doc, i, i + 1, covered) is not None for i in symptoms)

    def finding_for_intent(self, intent: str) -> Optional[SafetyFinding]:
        """A finding for a message only the NLU model flagged (intent `red_flag` or `crisis`)."""
        return finding_for_intent(intent, self.content)

    # ------------------------------------------------------------------ analysis
    def _analyse(self, text: str) -> Doc:
        doc = self.nlp(self._shorthand(normalise_text(text)))
        for token in doc:
            lemma = self._normalise_lemma(token.lower_, token.lemma_)
            if lemma != token.lemma_:
                token.lemma_ = lemma
        doc.user_data[_LEMMAS] = [token.lemma_ for token in doc]
        return doc

    def _normalise_lemma(self, lower: str, lemma: str) -> str:
        if lower in self._corrections:
            return self._corrections[lower]
        if lemma in self._corrections:
            return self._corrections[lemma]
        if (
            len(lower) >= self._fuzzy_min
            and lemma == lower  # the lemmatizer changed nothing: it does not know the word
            and lower not in self._fuzzy_target_set
            and lower.replace("-", "").isalpha()
            and lower not in self._fuzzy_protect
            and not self._is_known(lower)
        ):
            for target in self._fuzzy_targets:
                if target[0] == lower[0] and _edit_distance_at_most_one(lower, target):
                    return self._corrections.get(target, target)
        return lemma

    def _lemma_table_words(self) -> Callable[[str], bool]:
        """A test for words the lookup lemmatizer knows (as a form or a lemma): never fuzzy-corrected."""
        try:
            table = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
        except (KeyError, ValueError, AttributeError):
            return lambda word: False
        lemmas = {value for value in table.values() if isinstance(value, str)}
        return lambda word: word in table or word in lemmas

    def _with_lemmas(self, words: Iterable[Any]) -> List[str]:
        """The words plus, for single-token words, their (normalised) lemma: 'going' -> 'go'."""
        out: List[str] = []
        for word in words:
            word = str(word)
            forms = [word]
            analysed = self._analyse(word)
            if len(analysed) == 1:
                forms.append(analysed[0].lemma_)
            for form in forms:
                if form not in out:
                    out.append(form)
        return out

    def _phrase_lemmas(self, phrases: Sequence[Any]) -> Tuple[Tuple[str, ...], ...]:
        """Each phrase as its lemmas; nested lists (shared marker lists, one rule's list inside another's) are merged."""
        out: List[Tuple[str, ...]] = []
        flat = _flatten(phrases)
        for phrase in flat:
            phrase = str(phrase)
            if phrase == END:
                out.append((END,))
            elif phrase.startswith(EXACT):
                # The words as written: "thought i was having" is not "i think i'm having" (same lemmas).
                out.append((EXACT, *(t.lower_ for t in self._analyse(phrase[len(EXACT) :]))))
            else:
                # `YEAR` is kept as written (the analysis would lower-case it into the word "year").
                pieces = [tuple(t.lemma_ for t in self._analyse(part)) for part in phrase.split(YEAR)]
                out.append(
                    tuple(word for index, piece in enumerate(pieces) for word in (((YEAR,) if index else ()) + piece))
                )
        return tuple(out)

    def _expand_value(self, value: Any, rule_id: str, attr: str) -> Any:
        """Expand $lexicon references; LEMMA word lists also get each word's lemma."""
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in self._lexicon:
                raise ValueError(f"rule {rule_id}: unknown lexicon list {value}")
            return {"IN": list(self._lexicon[name])}
        if isinstance(value, dict):
            expanded: Dict[str, Any] = {}
            for op, arg in value.items():
                if op in ("IN", "NOT_IN") and isinstance(arg, list):
                    words: List[str] = []
                    for item in arg:
                        if isinstance(item, str) and item.startswith("$"):
                            words.extend(self._expand_value(item, rule_id, attr)["IN"])
                        else:
                            words.append(str(item))
                    expanded[op] = self._with_lemmas(words) if attr == "LEMMA" and op == "IN" else words
                else:
                    expanded[op] = arg
            return expanded
        if isinstance(value, (bool, int, float)):
            return value
        if attr == "LEMMA":
            forms = self._with_lemmas([value])
            return forms[0] if len(forms) == 1 else {"IN": forms}
        return str(value)

    def _expand_pattern(self, pattern: List[Dict[str, Any]], rule_id: str) -> List[Dict[str, Any]]:
        tokens: List[Dict[str, Any]] = []
        for spec in pattern:
            if "GAP" in spec:
                gap: Dict[str, Any] = {"OP": "?", "LOWER": {"NOT_IN": self._gap_stops}}
                if "EXCEPT" in spec:
                    except_ = spec["EXCEPT"] if isinstance(spec["EXCEPT"], list) else [spec["EXCEPT"]]
                    gap["LEMMA"] = {"NOT_IN": self._expand_value({"IN": except_}, rule_id, "LEMMA")["IN"]}
                tokens.extend(dict(gap) for _ in range(int(spec["GAP"])))
                continue
            tokens.append(
                {key: (val if key == "OP" else self._expand_value(val, rule_id, key)) for key, val in spec.items()}
            )
        return tokens

    # ------------------------------------------------------------------ filtering
    def _raw_matches(self, doc: Doc) -> List[_Match]:
        strings = self.nlp.vocab.strings
        seen: Set[Tuple[str, int, int]] = set()
        out: List[_Match] = []
        for match_id, start, end in [*self._matcher(doc), *self._phrase_matcher(doc)]:
            rule_id = strings[match_id]
            if (rule_id, start, end) not in seen:
                seen.add((rule_id, start, end))
                out.append(_Match(self._rules[rule_id], start, end))
        out.sort(key=lambda m: (m.start, m.end))
        return out

    def _keep(self, doc: Doc, m: _Match, covered: Set[int]) -> bool:
        if not self._passes_context(doc, m):
            return False
        return not (m.rule.negatable and self._negation_cue(doc, m.start, m.end, covered) is not None)

    def _passes_context(self, doc: Doc, m: _Match) -> bool:
        """Every filter except negation."""
        rule = m.rule
        if rule.unless_preceded_by and self._preceded_by(doc, m.start, rule.unless_preceded_by, rule.window):
            return False
        if rule.unless_followed_by and self._followed_by(doc, m.end, rule.unless_followed_by, rule.window):
            return False
        if rule.followed_by_any and not self._followed_by(doc, m.end, rule.followed_by_any, 1):
            return False
        if rule.skip_general_questions and self._general_question(doc, m):
            return False
        if rule.unless_near and self._near(doc, m, rule.unless_near):
            return False
        if rule.unless_in_sentence_before and self._told_after_history(doc, m):
            return False
        if rule.unless_in_message and self._in_message(doc, rule.unless_in_message):
            return False
        # A short message leans on the conversation ("had cancer" after a question about back pain): only a
        # longer one is read on its own for `only_if_in_message`. Crisis rules are read on their own at any length:
        # their condition is what makes the words a farewell ("thanks for everything" closes many chats).
        if (
            rule.only_if_in_message
            and (len(doc) >= ONLY_IF_IN_MESSAGE_MIN_TOKENS or rule.kind == "crisis")
            and not self._in_message(doc, rule.only_if_in_message)
        ):
            return False
        # A warning sign of back pain in a story that never names the back, hips or legs is no report of one
        # ("pneumonia three times this year ... very painful", a friend's cancer in a post about loneliness).
        if (
            rule.only_if_in_story
            and len(doc) >= ONLY_IF_IN_STORY_MIN_TOKENS
            and not self._in_message(doc, rule.only_if_in_story)
        ):
            return False
        return True

    def _calls_for_note(self, doc: Doc, m: _Match) -> bool:
        """The match is the person's known pattern, so the answer gets the warning-sign note instead of the
        urgent reply: a pattern phrase near it (`note_if_near`), or a context phrase anywhere in the message
        (`note_if_in_message`: a panic-attack story, a heart already checked), or in the same sentence
        (`note_if_in_sentence`: "the panic attacks where I shake, can't move, can't breathe"); never with something acute near
        the match (`urgent_if_near`: "today", "spreading", "crushing") or a heart history anywhere
        (`urgent_if_in_message`)."""
        rule = m.rule
        # A heart history outranks every known pattern ("my dad died of a heart attack ... I get chest pain
        # when I'm stressed").
        if rule.urgent_if_in_message and self._told_as_fact(doc, rule.urgent_if_in_message, rule.urgent_unless_feared):
            return False
        # Something acute next to the symptom outranks a known pattern too ("chest pain for months, but right
        # now it's spreading into my jaw").
        if self._acute_near(doc, m):
            return False
        if rule.note_if_near and self._near(doc, m, rule.note_if_near):
            return True
        if rule.note_if_in_sentence and self._near(doc, m, rule.note_if_in_sentence, window=len(doc)):
            return True
        return bool(rule.note_if_in_message) and self._in_message(doc, rule.note_if_in_message)

    def _told_as_fact(self, doc: Doc, phrases: Tuple[Tuple[str, ...], ...], fears: Tuple[Tuple[str, ...], ...]) -> bool:
        """One of `phrases` occurs in the message and is not a fear ending just before it (`fears`, within
        `context_window` tokens): "I had a stent" is a heart history, "I'm concerned that I have a heart condition"
        or "am I going to get heart failure?" is health anxiety."""
        if not fears:
            return self._in_message(doc, phrases)
        lemmas = doc.user_data[_LEMMAS]
        for phrase in phrases:
            n = len(phrase)
            for start in range(len(lemmas) - n + 1):
                if _phrase_at(lemmas, start, phrase) and not self._preceded_by(doc, start, fears, self._default_window):
                    return True
        return False

    @staticmethod
    def _in_message(doc: Doc, phrases: Tuple[Tuple[str, ...], ...]) -> bool:
        # "=" phrases are read word for word, as in `unless_preceded_by` ("=won't need": not "will not need").
        exact = tuple(phrase[1:] for phrase in phrases if phrase[:1] == (EXACT,))
        by_lemma = tuple(phrase for phrase in phrases if phrase[:1] != (EXACT,))
        return _contains(doc.user_data[_LEMMAS], by_lemma) or (
            bool(exact) and _contains([t.lower_ for t in doc], exact)
        )

    def _near(
        self,
        doc: Doc,
        m: _Match,
        phrases: Tuple[Tuple[str, ...], ...],
        window: Optional[int] = None,
        fears: Tuple[Tuple[str, ...], ...] = (),
    ) -> bool:
        """A phrase within `matching.near_window` (or `window`) tokens before or after the match, in the same
        sentence: "fell off my bike as a kid", "years ago I was in a car accident", "chest gets tight (heart
        checked, fine)". With `fears`, a phrase right after a fear does not count ("I'm so paranoid I have cancer"
        tells no cancer; "I'm scared because I was diagnosed with cancer" does)."""
        lemmas = doc.user_data[_LEMMAS]
        window = self._near_window if window is None else window
        first, last = m.start, m.end
        while first > 0 and m.start - first < window and lemmas[first - 1] not in _SENTENCE_ENDS:
            first -= 1
        while last < len(lemmas) and last - m.end < window and lemmas[last] not in _SENTENCE_ENDS:
            last += 1
        if not fears:
            return _contains(lemmas[first:last], phrases)
        return any(
            start + len(phrase) <= last
            and _phrase_at(lemmas, start, phrase)
            and not self._preceded_by(doc, start, fears, 1)
            for phrase in phrases
            for start in range(first, last)
        )

    def _told_after_history(self, doc: Doc, m: _Match) -> bool:
        """The sentence just before the match's own dates what it tells ("I was in accident several years ago. Broke
        neck and busted spine."), and the match's sentence names nothing recent of its own ("Yesterday I fell again")."""
        lemmas = doc.user_data[_LEMMAS]
        start = m.start
        while start > 0 and lemmas[start - 1] not in _SENTENCE_ENDS:
            start -= 1
        end = m.end
        while end < len(lemmas) and lemmas[end] not in _SENTENCE_ENDS:
            end += 1
        if _contains(lemmas[start:end], m.rule.recent_in_sentence):
            return False
        before_end = start
        while before_end > 0 and lemmas[before_end - 1] in _SENTENCE_ENDS:
            before_end -= 1
        before_start = before_end
        while before_start > 0 and lemmas[before_start - 1] not in _SENTENCE_ENDS:
            before_start -= 1
        return before_end > before_start and _contains(
            lemmas[before_start:before_end], m.rule.unless_in_sentence_before
        )

    def _general_question(self, doc: Doc, m: _Match) -> bool:
        """'can anxiety cause chest tightness?' / 'can a uti cause back pain?': a cue such as 'cause' near the
        symptom, before or after it, or a short message asked as a question ('what does anxiety chest pain feel
        like', 'can anxiety make it hard to breathe?'), and nothing in the whole message makes it personal (no I / my
        / he / mom ...)."""
        if self._asks_about_people_in_general(doc):
            return True
        if not (
            self._preceded_by(doc, m.start, self._gq_cues, self._gq_window)
            or self._followed_by(doc, m.end, self._gq_cues, 3)
            or (self._short_question(doc) and not self._acute_near(doc, m))
        ):
            return False
        return not any(t.lower_ in self._gq_personal or t.lemma_ in self._gq_personal for t in doc)

    def _asks_about_people_in_general(self, doc: Doc) -> bool:
        """'ELI5: why do we get out of breath less, the more we exercise?', 'why does your body ache after a fever?':
        the message opens with a question about bodies in general, and nothing in it is the writer's own or a
        relative's ("we" and "you" are everyone here, so only I / my / he / mom ... count)."""
        words = [t.lower_ for t in doc if not (t.is_punct or t.is_space)]
        while words and words[0] in self._gq_opener_prefixes:
            words = words[1:]
        if not any(tuple(words[: len(opener)]) == opener for opener in self._gq_openers):
            return False
        return not any(t.lower_ in self._gq_own_words for t in doc)

    def _acute_near(self, doc: Doc, m: _Match) -> bool:
        """Something acute next to the match ("what to do for crushing chest pain right now?"): asked, but happening."""
        rule = m.rule
        return bool(rule.urgent_if_near) and self._near(doc, m, rule.urgent_if_near, fears=rule.urgent_unless_feared)

    def _short_question(self, doc: Doc) -> bool:
        """The message is short, opens with a question word or with anxiety or stress, and names anxiety or stress: a
        search-box or general question about what anxiety does to the body ("what does anxiety chest pain feel like",
        "anxiety chest pain relief")."""
        words = [t for t in doc if not (t.is_punct or t.is_space)]
        if not words or len(words) > self._gq_max_words:
            return False
        if not any(t.lower_ in self._gq_topic_words or t.lemma_ in self._gq_topic_words for t in words):
            return False
        first = words[0]
        return first.lower_ in self._gq_question_words or first.lower_ in self._gq_topic_words

    def _preceded_by(self, doc: Doc, start: int, phrases: Tuple[Tuple[str, ...], ...], window: int) -> bool:
        """A phrase ends within `window` tokens before `start`, in the same sentence, or before the list the match is
        an item of: "my health anxiety makes me worry about getting cancer, tumors, blood clots, going blind, heart
        attacks" fears every item, not only the first."""
        if self._preceded_within(doc, start, phrases, window):
            return True
        head = _list_start(doc.user_data[_LEMMAS], start, self._gap_stops)
        return head != start and self._preceded_within(doc, head, phrases, window + MAX_LIST_ITEM_TOKENS)

    def _preceded_within(self, doc: Doc, start: int, phrases: Tuple[Tuple[str, ...], ...], window: int) -> bool:
        lemmas = doc.user_data[_LEMMAS]
        for stop in range(start, start - window, -1):
            if stop <= 0 or any(lemma in self._gap_stops for lemma in lemmas[stop:start]):
                break
            for phrase in phrases:
                if phrase[:1] == (EXACT,):
                    words = phrase[1:]
                    n = len(words)
                    if n and stop - n >= 0 and tuple(t.lower_ for t in doc[stop - n : stop]) == words:
                        return True
                    continue
                n = len(phrase)
                if n and stop - n >= 0 and tuple(lemmas[stop - n : stop]) == phrase:
                    return True
        return False

    def _followed_by(self, doc: Doc, end: int, phrases: Tuple[Tuple[str, ...], ...], window: int) -> bool:
        """A phrase starts within `window` tokens after `end`, in the same sentence."""
        lemmas = doc.user_data[_LEMMAS]
        for begin in range(end, end + window):
            if begin > len(lemmas) or any(lemma in self._gap_stops for lemma in lemmas[end:begin]):
                break
            for phrase in phrases:
                if phrase == (END,):
                    if begin == end and (end == len(doc) or doc[end].is_punct):
                        return True
                elif phrase[:1] == (EXACT,):
                    words = phrase[1:]
                    if words and tuple(t.lower_ for t in doc[begin : begin + len(words)]) == words:
                        return True
                elif tuple(lemmas[begin : begin + len(phrase)]) == phrase:
                    return True
        return False

    def _negation_cue(self, doc: Doc, start: int, end: int, covered: Set[int]) -> Optional[int]:
        """Index of a negation cue before tokens [start, end) with only bridge words / other symptom
        words in between, or None if they are not negated."""
        own = set(range(start, end))
        i, steps, listed = start - 1, 0, False
        while i >= 0 and steps < self._neg_max:
            lemma = doc[i].lemma_
            if lemma in self._neg_terminators:
                return None
            if lemma == "," and i + 1 < len(doc) and doc[i + 1].lemma_ in self._neg_clause_starters:
                return None  # "I don't have a fever, I have chills": a new clause
            if lemma in self._neg_cues:
                if listed and lemma not in self._neg_list_cues:
                    return None  # "I can't move or even lie down": an inability listed, not a symptom denied
                return None if self._double_negative(doc, i) else i
            if lemma not in self._neg_bridge and not (i in covered and i not in own):
                if not self._listed_with_or(doc, i, start):
                    return None
                listed = True
            i -= 1
            steps += 1
        return None

    @staticmethod
    def _listed_with_or(doc: Doc, i: int, start: int) -> bool:
        """A one-word item of a list joined by "or" before the symptom ("no tiredness or sleepiness or shortness of
        breath"): denied with the rest of the list."""
        return i + 1 < start and doc[i + 1].lower_ in ("or", "nor") and doc[i].is_alpha

    def _double_negative(self, doc: Doc, cue: int) -> bool:
        """'I can't walk without my legs giving way': 'not ... without' cancels out."""
        if doc[cue].lemma_ not in self._neg_double_cues:
            return False
        for j in range(cue - 1, max(cue - 4, -1), -1):
            lemma = doc[j].lemma_
            if lemma in self._neg_terminators or doc[j].is_punct:
                return False
            if lemma in self._neg_cues:
                return True
        return False


# ---------------------------------------------------------------------- replies
NUMBER = "#"  # in a marker phrase: any number, in digits or words ("for # years": "for 3 years", "for two years")
_NUMBER_WORDS = frozenset(
    "a an one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty few couple several many".split()
)


YEAR = "YEAR"  # in a marker phrase: a calendar year ("back in YEAR": "back in 2010", not "back in 5 minutes")
_WILDCARDS = (NUMBER, YEAR)


def _list_start(lemmas: Sequence[str], start: int, stops: Collection[str]) -> int:
    """The comma before the first item of the comma-separated list (three items or more) that the words at `start` end,
    or `start` when they are not in one. An item is at most MAX_LIST_ITEM_TOKENS words ("going blind", "a pulmonary
    embolism") with no person or verb of its own; a longer stretch, or one that has them, is a clause ("I have crushing
    chest pain", "my chest hurts"), which ends the list."""
    head, commas, separators = start, 0, 0
    while True:
        i, words = head - 1, 0
        while i >= 0 and lemmas[i] not in _LIST_SEPARATORS and words < MAX_LIST_ITEM_TOKENS:
            if lemmas[i] in stops or lemmas[i] in _CLAUSE_WORDS:
                i = -1
                break
            i -= 1
            words += 1
        # (the words at `start` are the last item; before it, two separators in a row end the list)
        if i < 0 or lemmas[i] not in _LIST_SEPARATORS or (words == 0 and head != start):
            return head if commas and separators >= 2 else start
        head, separators = i, separators + 1
        commas += lemmas[i] == ","


def _flatten(items: Sequence[Any]) -> List[Any]:
    return [leaf for item in items for leaf in (_flatten(item) if isinstance(item, list) else [item])]


def _is_number(lemma: str) -> bool:
    return lemma in _NUMBER_WORDS or lemma.replace(".", "", 1).replace("-", "", 1).isdigit()


def _is_year(lemma: str) -> bool:
    return len(lemma) == 4 and lemma.isdigit() and 1900 <= int(lemma) <= 2099


def _matches_word(lemma: str, word: str) -> bool:
    return lemma == word or (word == NUMBER and _is_number(lemma)) or (word == YEAR and _is_year(lemma))


def _phrase_at(lemmas: Sequence[str], i: int, phrase: Tuple[str, ...]) -> bool:
    return all(_matches_word(lemmas[i + k], word) for k, word in enumerate(phrase))


def _contains(lemmas: Sequence[str], phrases: Tuple[Tuple[str, ...], ...]) -> bool:
    """One of `phrases` (as lemmas; `#` stands for a number, `YEAR` for a calendar year) occurs in `lemmas`."""
    for phrase in phrases:
        n = len(phrase)
        if any(wildcard in phrase for wildcard in _WILDCARDS):
            if any(_phrase_at(lemmas, i, phrase) for i in range(len(lemmas) - n + 1)):
                return True
        elif any(tuple(lemmas[i : i + n]) == phrase for i in range(len(lemmas) - n + 1)):
            return True
    return False


def _category(content: Dict[str, Any], name: str) -> Dict[str, Any]:
    categories: Dict[str, Any] = content["categories"]
    return categories.get(name) or categories["unspecified"]


def safety_reply(finding: SafetyFinding, content: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """The reply text for a finding, and the custom payload for the channel."""
    category = _category(content, finding.category)
    replies = content["replies"]
    if "reply" in category:
        template = category["reply"]
    elif finding.kind == "crisis":
        template = replies["crisis"]
    else:
        template = replies["red_flag"].get(finding.level) or replies["red_flag"]["emergency"]
    values = reply_values(content)
    values["summary"] = str(category.get("summary", _category(content, "unspecified")["summary"]))
    text = template.format_map(values).strip()
    payload = {"type": "safety", "level": finding.level, "kind": finding.kind, "category": finding.category}
    return text, payload


def _spoken_list(items: List[str]) -> str:
    """ "a, b or c": how the replies name the warning signs in one sentence."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def reply_values(content: Dict[str, Any]) -> Dict[str, str]:
    """Placeholders every reply text may use: the numbers and the warning signs as one phrase per level."""
    values = {key: str(value) for key, value in content["numbers"].items()}
    signs = content["warning_signs"]
    values["emergency_signs"] = _spoken_list(list(signs["emergency"]))
    values["same_day_signs"] = _spoken_list(list(signs["same_day"]))
    return values


def warning_note(content: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """The short warning-sign note added under an answer when only the NLU model suspected a red flag."""
    text = content["replies"]["warning_note"].format_map(reply_values(content)).strip()
    return text, {"type": "warning_note"}


def finding_for_intent(intent: str, content: Dict[str, Any]) -> Optional[SafetyFinding]:
    """A finding for a message only the NLU model flagged (intent `red_flag` or `crisis`)."""
    default = content.get("nlu_only", {}).get(intent)
    if default is None:
        return None
    return SafetyFinding(
        kind=intent, category=default["category"], rule_id="nlu_intent", matched_text="", level=default["level"]
    )


def finding_from_parse_data(parse_data: Dict[str, Any], content: Dict[str, Any]) -> Optional[SafetyFinding]:
    """Rebuild the finding the SafetyNetClassifier stored on a parsed message (tracker.latest_message).

    Falls back to `finding_for_intent` when the NLU model predicted red_flag/crisis on its own.
    """
    stored = parse_data.get("safety")
    if isinstance(stored, dict) and stored.get("kind"):
        return SafetyFinding(
            kind=str(stored["kind"]),
            category=str(stored.get("category", "unspecified")),
            rule_id=str(stored.get("rule_id", "")),
            matched_text=str(stored.get("matched_text", "")),
            level=str(stored.get("level", "emergency")),
        )
    entities = {e.get("entity"): e.get("value") for e in parse_data.get("entities") or []}
    intent = (parse_data.get("intent") or {}).get("name")
    if "safety_category" in entities and intent in ("red_flag", "crisis"):
        category = str(entities["safety_category"])
        level = str(entities.get("safety_level") or _category(content, category)["level"])
        return SafetyFinding(kind=intent, category=category, rule_id="", matched_text="", level=level)
    return finding_for_intent(intent, content) if intent else None


# ---------------------------------------------------------------------- default instance
# The project's spaCy pipeline, loaded once per process: the safety net and Rasa's SpacyNLP read the same
# one (painfaq/rasa_patches/speedups.py shares Rasa's), instead of three copies at 0.45 s each per start.
_PIPELINES: Dict[str, Language] = {}


def load_spacy_model(path: Optional[Path] = None) -> Language:
    model = path or (settings.SPACY_MODEL.path() if settings.SPACY_MODEL.is_set() else DEFAULT_SPACY_MODEL)
    key = str(Path(model).resolve())
    if key not in _PIPELINES:
        _PIPELINES[key] = spacy.load(model)
    return _PIPELINES[key]


def share_spacy_pipeline(path: str, nlp: Language) -> None:
    """Offer a pipeline already loaded from `path` (by Rasa) to `load_spacy_model`; the first one stays."""
    _PIPELINES.setdefault(str(Path(path).resolve()), nlp)


@functools.lru_cache(maxsize=None)
def load_default_safety_net() -> SafetyNet:
    """The safety net from content/safety.yml and the project's spaCy pipeline (cached per process).

    PAINFAQ_SPACY_MODEL overrides the spaCy model path, PAINFAQ_CONTENT_DIR the content directory.
    """
    return SafetyNet.from_file(SAFETY_FILE, load_spacy_model())


def _word_family(word: str) -> str:
    """'living', 'lives' and 'life' are one weak cue ("living a life free of fear"), 'alive' another."""
    word = word.lower()
    return "live" if word.startswith(("liv", "lif")) else word[:5]
