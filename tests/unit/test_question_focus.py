"""Finding the question in a long message (painfaq/nlu/focus.py) and the two Rasa steps around the
intent classifier (painfaq/nlu/question_focus.py)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from painfaq.nlu.focus import focus, sentences, with_question_marks
from painfaq.nlu.question_focus import ORIGINAL_TEXT_KEY, QuestionFocus, RestoreText

STORY = (
    "I moved house in March and hurt my back carrying boxes, it healed after a few weeks. "
    "Since then my new job has been really stressful and I sit all day. "
    "My shoulders are always up by my ears. I've heard yoga can help. Is that true?"
)


def test_short_messages_are_left_as_they_are():
    for text in ("does yoga help", "my back hurts when im stressed. why?", "/faq_yoga"):
        assert focus(text) == text


def test_a_story_is_reduced_to_its_question_and_the_sentence_it_leans_on():
    assert focus(STORY) == "I've heard yoga can help. Is that true?"


def test_a_self_contained_question_stands_alone():
    text = STORY.replace(
        "I've heard yoga can help. Is that true?", "Can stress really cause upper back pain when I am anxious?"
    )
    assert focus(text) == "Can stress really cause upper back pain when I am anxious?"
    # "like this" points back: the sentence before it comes along.
    text = STORY.replace(
        "I've heard yoga can help. Is that true?", "Can stress really cause upper back pain like this?"
    )
    assert focus(text) == "My shoulders are always up by my ears. Can stress really cause upper back pain like this?"


def test_asking_without_a_question_mark_counts():
    text = "Long day again. Back is killing me after ten hours at the desk. Boss on my case all week. any tips for dealing with the tension in my upper back"
    assert focus(text) == "any tips for dealing with the tension in my upper back"


def test_a_question_asked_inside_a_sentence_counts():
    # Forum and Q&A posts ask mid-sentence, after a comma or an "and": without these the focus fell back to the title.
    story = (
        "My back has hurt for a month. It started after a week of packing boxes. "
        "Pills do nothing for me, is there anything else that may help my back. "
        "I have to drive a lot for work."
    )
    # ("that" points back: the sentence before it comes along)
    assert focus(story) == (
        "It started after a week of packing boxes. Pills do nothing for me, is there anything else that may help my back."
    )
    for asked in (
        "So my question is, what could be the cause of the ache in my lower back.",
        "Every day is worse and can anybody suggest a stretch for my lower back.",
        "please can you give me some advice on my lower back.",
    ):
        assert (
            focus(f"My back has hurt for a month. It started after a move. Nothing has changed since then. {asked}")
            == asked
        )
    # A thank-you for help is no question: the focus keeps the story's last sentences.
    thanks = "My back has hurt for a month. It started after a move. I sleep badly. Thanks for any help."
    assert focus(thanks) == "I sleep badly. Thanks for any help."


def test_no_question_keeps_the_last_two_sentences():
    text = "Work is crazy. My back aches every evening. Sleep is bad. I feel tense all the time."
    assert focus(text) == "Sleep is bad. I feel tense all the time."


def test_sentences_split_on_punctuation_newlines_and_trim_marks():
    assert sentences("One. Two?\nThree [...] four!") == ["One.", "Two?", "Three", "four!"]


def test_components_classify_the_focus_and_hand_back_the_whole_message():
    message = Message(data={TEXT: STORY})
    QuestionFocus().process([message])
    assert message.get(TEXT) == "I've heard yoga can help. Is that true?"
    assert message.get(ORIGINAL_TEXT_KEY) == STORY
    RestoreText().process([message])
    assert message.get(TEXT) == STORY
    short = Message(data={TEXT: "does yoga help?"})
    QuestionFocus().process([short])
    RestoreText().process([short])
    assert short.get(TEXT) == "does yoga help?" and short.get(ORIGINAL_TEXT_KEY) is None
    # A question asked without its mark is classified with it and handed back as written.
    unmarked = Message(data={TEXT: "does yoga help"})
    QuestionFocus().process([unmarked])
    assert unmarked.get(TEXT) == "does yoga help?"
    RestoreText().process([unmarked])
    assert unmarked.get(TEXT) == "does yoga help"


def test_a_short_question_that_only_got_its_mark_may_still_be_about_the_assistant():
    message = Message(data={TEXT: "who wrote this"})
    QuestionFocus().process([message])
    assert message.get(TEXT) == "who wrote this?"
    message.set("intent", {"name": "faq_experts", "confidence": 0.9})
    message.set(
        "intent_ranking", [{"name": "faq_experts", "confidence": 0.9}, {"name": "faq_sources", "confidence": 0.1}]
    )
    RestoreText().process([message])
    assert message.get(TEXT) == "who wrote this" and message.get("intent")["name"] == "faq_experts"


def test_questions_asked_without_a_mark_get_one():
    assert with_question_marks("how long does it last") == "how long does it last?"
    assert with_question_marks("I have back pain. is it from stress. what can i do") == (
        "I have back pain. is it from stress? what can i do?"
    )
    assert with_question_marks("any tips for my neck") == "any tips for my neck?"
    # Statements and questions that have their mark stay as they are.
    for text in ("my back hurts when I sit", "Can anxiety cause back pain?", "I sit all day. Is that bad?"):
        assert with_question_marks(text) == text


def test_training_examples_are_focused_too_but_keep_their_punctuation():
    data = TrainingData(
        [
            Message(data={TEXT: STORY, "intent": "faq_yoga"}),
            Message(data={TEXT: "/faq_yoga"}),
            Message(data={TEXT: "does yoga help", "intent": "faq_yoga"}),
        ]
    )
    QuestionFocus().process_training_data(data)
    assert [m.get(TEXT) for m in data.training_examples] == [
        "I've heard yoga can help. Is that true?",
        "/faq_yoga",
        "does yoga help",
    ]


def test_a_long_message_is_never_read_as_a_short_reply():
    message = Message(data={TEXT: "so what's the point?"})
    message.set(ORIGINAL_TEXT_KEY, STORY)
    message.set("intent", {"name": "deny", "confidence": 0.5})
    message.set(
        "intent_ranking",
        [
            {"name": "deny", "confidence": 0.5},
            {"name": "faq_yoga", "confidence": 0.3},
            {"name": "out_of_scope", "confidence": 0.2},
        ],
    )
    RestoreText(RestoreText.get_default_config()).process([message])
    # The bare reply's probability says "nothing asked here": it goes to out of scope, not to the 0.3 topic.
    assert message.get("intent") == {"name": "out_of_scope", "confidence": 0.7}
    assert [e["name"] for e in message.get("intent_ranking")] == ["out_of_scope", "faq_yoga"]
    assert message.get("intent_ranking")[1]["confidence"] == 0.3
    # A short message keeps its "no".
    short = Message(data={TEXT: "no"})
    short.set("intent", {"name": "deny", "confidence": 0.9})
    short.set("intent_ranking", [{"name": "deny", "confidence": 0.9}, {"name": "faq_yoga", "confidence": 0.1}])
    RestoreText(RestoreText.get_default_config()).process([short])
    assert short.get("intent")["name"] == "deny"


def test_a_long_message_is_never_a_question_about_the_assistant():
    message = Message(data={TEXT: "Should I see a doctor?"})
    message.set(ORIGINAL_TEXT_KEY, STORY)
    ranking = [
        {"name": "faq_medical_advice", "confidence": 0.6},
        {"name": "faq_warning_signs", "confidence": 0.3},
        {"name": "out_of_scope", "confidence": 0.1},
    ]
    message.set("intent", dict(ranking[0]))
    message.set("intent_ranking", ranking)
    RestoreText(RestoreText.get_default_config()).process([message])
    # A misread question's probability is shared out among the rest: 0.3 / 0.4 of it.
    assert message.get("intent")["name"] == "faq_warning_signs"
    assert message.get("intent")["confidence"] == pytest.approx(0.75)


def test_several_questions_are_all_kept():
    text = (
        "My back has hurt for months and my job is a nightmare. Is this from stress? And will physical therapy help me. "
        "Also how long does it usually last?"
    )
    # "Is this..." points back, so the sentence before it comes along.
    assert focus(text) == text
    text = text.replace("Is this from stress?", "Can stress cause back pain like that?")
    assert focus(text).startswith("My back has hurt")
    text = text.replace("like that", "at all")
    assert (
        focus(text)
        == "Can stress cause back pain at all? And will physical therapy help me. Also how long does it usually last?"
    )


def test_questions_without_topic_words_take_the_story_sentences_that_have_them():
    story = (
        "Since last year I keep thinking about what will happen to me. Because of this I feel needle pain in my "
        "upper back and neck. My boss is tough to talk to. Other people are so relaxed with him. I wonder how they do it?"
    )
    focused = focus(story)
    assert "needle pain in my upper back and neck" in focused
    assert focused.endswith("I wonder how they do it?")
    # A question that names the topic stands alone as before.
    plain = "I moved house. Work was hectic. My boss left. My sister visited. Does yoga actually help with back pain like mine?"
    assert focus(plain) == "Does yoga actually help with back pain like mine?"


def test_a_posts_title_is_kept_in_front_of_its_questions():
    post = "Shoulder knots from stress\n\n" + STORY
    assert focus(post) == "Shoulder knots from stress I've heard yoga can help. Is that true?"
    # A title that is itself the question kept is not repeated; a long first paragraph is no title.
    asked = "Does stress cause back pain?\n\n" + STORY
    assert focus(asked).count("Does stress cause back pain?") == 1
    long_first_line = (
        "I have had back pain for years and it gets worse every single time my boss shouts at me in meetings\n\n"
        + STORY
    )
    assert focus(long_first_line) == focus(STORY)
    # Short messages stay whole, title or not.
    assert focus("Back pain\n\ndoes yoga help") == "Back pain\n\ndoes yoga help"
