"""Rasa NLU component: a question that asks how to make the pain stop wants the article's remedies.

    pipeline:
      ...
      - name: painfaq.nlu.scope_rescue.ScopeRescue
      - name: painfaq.nlu.remedy_request.RemedyRequest    # after the premises, before the safety net

The intent classifier is a bag of n-grams: in "I often get stress headaches, backaches and neck aches. How can I
try to eliminate them?" the words of the complaint outweigh the form of the question, and the answer was the
signs that pain is stress-related. When the question (painfaq.nlu.focus) asks for a way to stop, cure or ease
the pain and the classifier's best guess is one of the article's explanations (how anxiety causes pain, its
signs, how common or how long it is), the overview of what helps takes that guess's place. A search-box query that
names back pain and nothing else ("lower back pain", "chronic backache") asks the same: every topic's probability
goes to the overview (the classifier spread it over the warning signs, sleep and the cause, and asked back). Measured
on the dev set of real messages (docs/real-users.md): 3 wrong answers of 25 relief requests and 4 "did you mean" of 4
bare queries became right, nothing else moved.

A person with back pain who asks what to do about it ("what should I do?", "can you suggest any alternatives?", "any
recommendations?") wants the remedies too, even where the classifier, reading the words of the story around the
question, said out of scope. When the question asks for help, the message names the back and an ache, and names no
test, procedure, medicine or condition the article does not cover, the out-of-scope probability goes to the overview.
Help asked in other words counts too: "is there anything that can help?", "I need a real solution", "some good
stretches for the lower back". Muscles that stress keeps tight or sore count as the back does, the back named or
not ("tips on how to relax your muscles due to stress?", "how does one cope with the body aches of anxiety?"): the
labelling guide's settled case. The request is read in the whole message as well as in its questions: on a
question-and-answer site the title asks ("Lower back pain?") and the body pleads without a question mark ("does anyone
know how to get it to go away ... any advise would be great thanks"). A condition the person denies ("I know I'm not
pregnant") or only guesses at in a question ("Is this arthritis, or just age?") does not make the message another
subject. The classifier's own red-flag or crisis guess, which the safety net sets aside, does not hide the request
either. Beyond the phrases, any question of the message that asks for a remedy in its own words counts ("How to help
lower back pain?", "Suggestions for relieving low-back pain?", "How did you fix it?"). Measured on the dev set of real
messages (docs/real-users.md).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.content.premises import (
    FIRST_QUESTION_CONDITION_WORDS,
    NAMES_STRESS,
    SPEAKS_OF_THE_BACK,
    TELLS_OF_VIOLENCE,
    asks_for_a_medicine,
    tells_of_lifting_without_stress,
    without_figures_of_speech,
)
from painfaq.nlu.focus import focus, is_question, sentences
from painfaq.nlu.rule_step import RuleStep, confidence, give_top_guess_to, typed_messages

RELIEF_INTENT = "faq_relief_overview"
OUT_OF_SCOPE = "out_of_scope"
# The intent classifier's own safety guesses: the safety net after this step decides red flags and crisis.
SAFETY_GUESSES = ("red_flag", "crisis")
TOPIC_PREFIX = "faq_"
# Below this, the classifier's top topic would be asked back ("did you mean", config.yml's FallbackClassifier).
UNSURE_BELOW = 0.4
# The article's explanations: what they answer is why or how much, never what to do about it.
EXPLANATION_INTENTS = (
    "faq_signs",
    "faq_how_long",
    "faq_how_common",
    "faq_how_anxiety_causes_back_pain",
    "faq_nervous_system",
)
# "a cure for", "relief for"; "I've been in treatment for ..." tells, it does not ask.
_REMEDY_FOR = r"(?<!in )(?<!had )(?<!getting )(?<!under )(cure|remedy|treatment|relief) for"
ASKS_FOR_RELIEF = re.compile(
    r"\b(how (can|do|should|could|would) (i|we|you|one) (\w+ ){0,3}?(get rid of|eliminate|stop|cure|fix|ease|relieve|"
    r"treat|manage|deal with|reduce|prevent|overcome|heal|get past|get over|beat|lessen|alleviate)"
    r"|is there (a|any) (cure|treatment|remedy)"
    r"|is there (a|any) way to (stop|cure|fix|ease|relieve|treat|get rid of|make it)"
    r"|what (can|should) i do (about|for|to)|any (tips|remedies)"
    r"|" + _REMEDY_FOR + r")\b",
    re.IGNORECASE,
)

# A search-box query that names back pain and nothing else ("lower back pain", "chronic backache", "back pain
# relief"): the person wants to know what helps, and every topic the classifier spread its guess over is part of
# that answer. A symptom, a place or a cause added ("throbbing", "and leg", "causes") makes it another question.
BARE_BACK_PAIN_QUERY = re.compile(
    r"^\W*(my\s+)?((chronic|constant|persistent|bad|severe|terrible|lower|low|upper|mid|middle)\s+)*"
    r"(back\s*(pain|ache)s?|backaches?)(\s+(relief|help|remedies|treatment))?\W*$",
    re.IGNORECASE,
)

# A request for help of any wording. "Any ideas what this could be?" asks for a diagnosis, not for help.
ASKS_FOR_HELP = re.compile(
    r"\b(what (can|should|could|do) (i|we|you|one|she|he) do( about| for| to (help|ease|stop|relieve)| 2 try|\W*$)"
    # Yahoo! Answers wording: "what i can do to relieve the pain", "how i can treat it", "is there anything I can do for
    # my lower back pain?", "anyone knows any solutions?", "suggestions please?", "what is good for low back pain?"
    r"|what (i|we) (can|could|should) do (to|for|about)\b|how (i|we) (can|could|should) (\w+ ){0,2}?(treat|fix|ease|relieve|"
    r"heal|stop|get rid of)|is there anything (i|we|you) (can|could) do|\b(any|some) solutions?\b|\bsuggestions? please"
    r"|what('?s| is| are) good for"
    # "not sure what the best solution is", "does anyone know how to get it to go away"
    r"|best (solution|treatment|remedy|way to (treat|fix|ease|relieve|stop|deal with|get rid))"
    r"|(get|make) (it|this|the pain|the ache) (to )?go away"
    r"|what (can|should) be done|what to do( about| for|\W*$)"
    r"|any (tips|advice|suggestions?|recommendations?|remedies)\b(?! (on|about|for) what)"
    r"|(tips|remedies) (on|for|to)"
    r"|how (can|do|does|should|could|would|to) (i|we|you|one )?(\w+ ){0,3}?(get rid of|eliminate|stop|cure|fix|ease|"
    r"relieve|treat|manage|deal with|cope with|reduce|prevent|overcome|heal|relax|loosen|get over|beat|lessen|alleviate)"
    r"|what (actually |really |else )?(helps|works|would help|might help|can help)|(suggest|recommend) (me )?(anything|something|any|some)\b"
    # "What's a beginner to do?", "what is one to do"
    r"|what('?s| is) (a|an|one) (\w+ )?to do\b"
    r"|alternatives?\b|is there (a|any) (cure|treatment|remedy|way to (stop|ease|relieve|fix|get rid))"
    r"|" + _REMEDY_FOR +
    # "is there anything that can help me?", "I need a real solution", "some good stretches for the lower back"
    # ...and "is there anything else that actually helps?"
    r"|\b(is there )?anything( else)? (that )?(actually |really )?((can|could|would|will|might|to) help|helps)"
    r"|\b(need|want|looking for|find) (a |some |any )?(real |good |permanent )?(solution|relief)"
    r"|\b(certain|any|some|best|good) (yoga )?(poses|stretches|exercises)\b"
    # "How can I make my back feel better?", "i want to know what to do", "Can anyone offer any help", "lead me in the
    # right direction", "We need your advice", "What things help with this?", "Fitness programs for lower back pain?",
    # "strengthen my back/core", "been to chiropractor, doctor, and physical therapist, nothing helps?"
    r"|how (can|do|could) (i|we) make (my|the|our) (back|pain)|(want|need) to know what to do|offer (any|some) help"
    r"|right direction|your advice|what things help|programs? for|strengthen (my|the) (back|core)"
    r"|nothing (seems to )?helps?\W*$"
    # "What steps can I solve this problem?", "anything help for bodily sensations?" (r79)
    r"|what steps?\b|how (can|do|could|should) (i|we) solve\b|^\W*anything (that )?helps? (for|with)\b"
    # "anyone can help me?", "Can somebody please help?", "I don't know what to do next", "what should I do if it happens
    # again", "What can I do. Also ...", "how to handle lower back pain?"
    r"|(can|could|would) (any|some) ?(one|body) (please )?help( me)?\W*$|(don'?t|do not|dunno) know what (else )?to do"
    r"|what (should|can|do) (i|we) do if|what (can|should) (i|we) do\s*[.!?]|how (to|do (i|you)) handle"
    # "What are interventions needed for low back pain?"
    r"|interventions? (needed |required )?for"
    # "How do i sooth lower back pains?", "anything that could ease it up", "Does anybody know ... mabye a cure?",
    # "Low back hip pain-cures?"
    r"|how (can|do|to) (i |you )?sooth(e|ing)?\b|tips on how to sooth"
    r"|anything (that )?(i )?(could|can|would|to) (do )?(to )?(ease|help|relieve|sooth)|\b(a|any) cures?\b|-cures?\b)",
    re.IGNORECASE,
)
# A question that asks for a remedy in words of its own: a way to make the pain better ("How to help lower back pain?",
# "how did you fix it", "How do you speed up the process"), a kind of remedy ("Suggestions for relieving low-back pain?",
# "Any help or stretches", "need advice?"), or what to do or try ("Is there anything i should do?", "What else can I
# do?"). Read in every question of the message, the title's too; a request read only as a phrase list missed every new
# wording of it. The nouns are read in questions only: "I exercise three times a week" tells, and "suggestions of what
# could be wrong" asks for a diagnosis.
_REMEDY_VERB = (
    r"(help|relieve|reduce|ease|sooth(e)?|fix|stop|cure|treat|heal|overcome|get rid of|eliminate|alleviate|lessen|"
    r"manage|cope with|deal with|prevent|remove|speed up|strengthen|loosen|relax|solve|resolve|take care of|get relief|"
    r"make (it|this|the pain|my back|the ache) (stop|better|less|go away|hurt less|feel better))"
)
ASKS_FOR_A_REMEDY = re.compile(
    r"\bhow (to|do|can|could|should|did|does|would) (\w+ ){0,4}?" + _REMEDY_VERB + r"\b"
    # "suggestions of what could be wrong" asks for a diagnosis.
    r"|\b(advice|suggestions?|remed(y|ies)|solutions?|cures?|stretches|stretching|exe?rc[ie]ses|poses|quick fix)\b"
    r"(?!\s+(of |on |as to |about |for )?what)"
    r"|\bwhat else (should|can|could|do) (i|we) (do|try)\b"
    r"|\bwhat (do|should|can) (i|we) do( to " + _REMEDY_VERB + r"|\W*$)"
    r"|\banything (else )?(i|we) (should|can|could) (do|try)\b|\b(ideas|anything|something) to " + _REMEDY_VERB + r"\b"
    r"|\bcourse of action\b|\bwould you recommend\b"
    r"|\b(anyone|anybody|someone|you) (advise|suggest) (me|any|some)\b",
    re.IGNORECASE,
)


def asks_for_a_remedy(text: str) -> bool:
    """One of the message's questions (its title included) asks for a remedy."""
    return any(is_question(sentence) and ASKS_FOR_A_REMEDY.search(sentence) for sentence in sentences(text))


# An ache: "pain" counts here, because the back is named next to it in the same message.
NAMES_AN_ACHE = re.compile(
    r"\b(pain\w*|pian|ache\w*|aching|hurt\w*|sore\w*|stiff\w*|tight\w*|tens(e|ion)|knots?|"
    r"spasms?)\b",
    re.IGNORECASE,
)
# Where the article says anxious people hold tension, besides the back (the labelling guide's settled case: aches or
# tight muscles a person puts down to stress and asks about are the article's, the back named or not).
NAMES_TENSE_MUSCLES = re.compile(r"\b(necks?|shoulders?|muscles?|body ?aches?)\b", re.IGNORECASE)
# What the article's remedies are no reply to: a condition it does not cover, a test, a procedure, a medicine, a
# body part or a life event of its own.
NOT_THE_ARTICLES_SUBJECT = re.compile(
    r"\b("
    + "|".join(
        FIRST_QUESTION_CONDITION_WORDS
        + r"mri x-?rays? scans? surger\w* surgeon discs? injections? drugs? meds medications? morphine opioids? kratom "
        # (a period is read as the premises read it, among the condition words: not "for an extended period")
        r"breasts? bras? cysts?".split()
    )
    + r")\b",
    re.IGNORECASE,
)


# A test the person says came back normal ("I've gone in for x-rays twice and they show that nothing is wrong", "x-rays
# results negative") leaves an unexplained back pain, the article's subject, not a finding of its own.
NORMAL_TEST_RESULT = re.compile(
    r"\b(x-?rays?|xrays?|mri'?s?|scans?|blood ?work|blood tests?|tests?)\b(\W+\w+){0,8}?\W+(normal|negative|nothing (is )?wrong|"
    r"fine|clear|good|came back ok(ay)?|showed nothing|show nothing|found nothing)\b",
    re.IGNORECASE,
)


# A condition, medicine or test the person denies ("I know im not pregnant", "I don't have my period yet", "how to relieve
# it without using medication") or only guesses at in a question ("Is this arthritis, a muscular problem, or just
# age?", "could it be my kidneys?") is no finding of theirs: the back pain stays unexplained, the article's subject.
_DENIED_BEFORE = re.compile(
    r"(\b(not|no|never|without|nor|dont|doesnt|didnt|isnt|arent|wasnt|havent|hasnt|cannot|cant|wont|ruled? out)|n't)"
    r"\W+((\w+'?\w*)\W+){0,5}$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"\b(but|because|since|so|and|as|though|although|except)\b|[,;:()]", re.IGNORECASE)
_GUESS_BEFORE = re.compile(
    r"\b((is|could|can|might|may|would|will) (this|it|that|these|they)|maybe|possibly|perhaps|or|do i have|"
    r"(a )?sign of|what if)\b",
    re.IGNORECASE,
)
# "...the pain I get on my period (which i am not)".
_DENIED_AFTER = re.compile(r"^\W*(which |that )?(i'?m|i am|it'?s|it is) not\b", re.IGNORECASE)
_GUESS_AFTER = re.compile(r"^\W*(\w+\W+){0,6}?(or|maybe)\b", re.IGNORECASE)


def _asserted(sentence: str, start: int, end: int) -> bool:
    """The condition named at sentence[start:end] is the person's own, not denied nor only guessed at in a question."""
    before = sentence[:start]
    denial = _DENIED_BEFORE.search(before)
    if denial and not _CLAUSE_BREAK.search(before[denial.end(1) :]):
        return False
    after = sentence[end:]
    if _DENIED_AFTER.match(after):
        return False
    if re.match(r"[^.!]*\?", after) and (_GUESS_BEFORE.search(before) or _GUESS_AFTER.search(after)):
        return False
    return True


def names_a_subject_of_its_own(text: str) -> bool:
    """The message names a condition, test, procedure or medicine the article leaves out, as the person's own."""
    for sentence in sentences(NORMAL_TEST_RESULT.sub(" ", text)):
        for match in NOT_THE_ARTICLES_SUBJECT.finditer(sentence):
            if _asserted(sentence, match.start(), match.end()):
                return True
    return False


# The pain named where help is asked: "What can I do to stop the pain?", or a title such as "Lower Back Pain. Suggestions
# please?"; not "Any tips to fix this?" or "Any tips or cues?" of a lift's form or a programme.
PAIN_ASKED_ABOUT = re.compile(r"\b(pain|pains|ache|aches|aching|hurt|hurts|hurting|sore|soreness)\b", re.IGNORECASE)
TITLE_MAX_WORDS = 8


def asks_for_help_with_the_pain(text: str) -> bool:
    """A sentence asks what helps, and names the pain, or the message opens with a short title that does."""
    parts = sentences(text)
    asking = [part for part in parts if ASKS_FOR_HELP.search(part) or ASKS_FOR_RELIEF.search(part)]
    if not asking:
        return False
    if any(PAIN_ASKED_ABOUT.search(part) for part in asking):
        return True
    title = parts[0]
    return len(title.split()) <= TITLE_MAX_WORDS and bool(PAIN_ASKED_ABOUT.search(title))


def asks_help_for_back_pain(text: str) -> bool:
    """The question asks what to do, and the message is about an ache of the back, or about muscles that stress keeps
    tight or sore, and nothing the article leaves out."""
    asked = focus(text)
    if not (ASKS_FOR_HELP.search(asked) or ASKS_FOR_HELP.search(text) or asks_for_a_remedy(text)):
        return False
    told = without_figures_of_speech(text)
    if not NAMES_AN_ACHE.search(told):
        return False
    if not (SPEAKS_OF_THE_BACK.search(told) or (NAMES_STRESS.search(told) and NAMES_TENSE_MUSCLES.search(told))):
        return False
    return not (
        names_a_subject_of_its_own(text)
        or TELLS_OF_VIOLENCE.search(text)
        or asks_for_a_medicine(asked)
        or tells_of_lifting_without_stress(text)
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RemedyRequest(RuleStep):
    """Answers the overview of remedies instead of an explanation when the question asks how to stop the pain."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message, text, ranking in typed_messages(messages):
            if BARE_BACK_PAIN_QUERY.match(text):
                self._all_topics_to_relief(message, ranking)
                continue
            top = str(ranking[0].get(INTENT_NAME_KEY) or "") if ranking else ""
            if top in SAFETY_GUESSES:
                # The classifier's own red-flag or crisis guess, made on the question of a long story, is set aside by
                # the safety net after this step ("Any suggestions? workouts? stretching?" after a sudden backache read
                # red_flag 0.48, and the rest of its ranking, the remedies against out of scope, was asked back).
                if asks_help_for_back_pain(text):
                    self._everything_but_safety_to_relief(message, ranking)
                continue
            if top == OUT_OF_SCOPE:
                if asks_help_for_back_pain(text):
                    give_top_guess_to(message, ranking, RELIEF_INTENT)
                continue
            if top.startswith(TOPIC_PREFIX) and confidence(ranking[0]) < UNSURE_BELOW and asks_help_for_back_pain(text):
                # Help asked for an ache of the back, and a long story split the guess below "did you mean": every
                # topic the classifier spread it over is part of the overview's answer, so their probabilities add up.
                self._all_topics_to_relief(message, ranking)
                continue
            if not ASKS_FOR_RELIEF.search(focus(text)):
                continue
            if not ranking or ranking[0].get(INTENT_NAME_KEY) not in EXPLANATION_INTENTS:
                continue
            give_top_guess_to(message, ranking, RELIEF_INTENT)
        return messages

    @staticmethod
    def _everything_but_safety_to_relief(message: Message, ranking: List[Dict[Text, Any]]) -> None:
        """The probability of every article topic and of out of scope goes to the overview; the classifier's red-flag
        and crisis guesses keep theirs for the safety net to set aside or confirm."""
        _move_to_relief(
            message, ranking, [e for e in ranking if str(e.get(INTENT_NAME_KEY) or "") not in SAFETY_GUESSES]
        )

    @staticmethod
    def _all_topics_to_relief(message: Message, ranking: List[Dict[Text, Any]]) -> None:
        """The probability of every article topic goes to the overview; the rest of the ranking keeps its own."""
        # The safety layers after this component decide red flags and crisis; out of scope or a reply stays as it is.
        top = str(ranking[0].get(INTENT_NAME_KEY) or "") if ranking else ""
        if not (top.startswith(TOPIC_PREFIX) or top in SAFETY_GUESSES):
            return
        _move_to_relief(
            message, ranking, [e for e in ranking if str(e.get(INTENT_NAME_KEY) or "").startswith(TOPIC_PREFIX)]
        )


def _move_to_relief(message: Message, ranking: List[Dict[Text, Any]], moved: List[Dict[Text, Any]]) -> None:
    """The probabilities of the `moved` entries go to the overview of remedies, which leads the ranking they leave at 0."""
    if not moved:
        return
    relief = {INTENT_NAME_KEY: RELIEF_INTENT, PREDICTED_CONFIDENCE_KEY: sum(confidence(e) for e in moved)}
    kept = [relief] + [
        {**e, PREDICTED_CONFIDENCE_KEY: 0.0} if e in moved else e
        for e in ranking
        if e.get(INTENT_NAME_KEY) != RELIEF_INTENT
    ]
    kept.sort(key=lambda e: -confidence(e))
    message.set(INTENT, dict(kept[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
