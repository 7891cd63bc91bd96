"""Mask e-mail addresses, phone numbers and similar identifiers in text.

Used in two places: the tracker store (`painfaq.stores.tracker_store`, before events are written) and every log
record of the Rasa server and the action server (`install_log_masking`). Masking is pattern based; it
catches identifiers with a fixed shape, not names or street addresses.

Kinds (`PAINFAQ_MASK`, comma separated; default all; `none` turns masking off; for logs
`PAINFAQ_LOG_MASK`, default all but `ip`):

  email      jane.doe@example.org                        -> [email]
  card       4111 1111 1111 1111 (13-19 digits)          -> [card]
  id_number  123-45-6789 (US SSN shape)                  -> [id-number]
  ip         192.168.0.1                                  -> [ip]
  phone      +1 (555) 123-4567, 07700 900123, any run of
             7+ digits with spaces, dots, dashes, brackets -> [phone]  (also dates of birth, long ids)

Digits right after a letter, `.`, `/`, `:` or `-` are left alone, so DOIs, URLs, versions and times
("10.1016/j.pain.2007.01.022", "10:30") survive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Pattern, Sequence, Tuple

from painfaq import settings

_NOT_AFTER = r"(?<![\w@./:+-])"
_NOT_BEFORE = r"(?![\w@])"

PATTERNS: Dict[str, Tuple[Pattern[str], str]] = {
    "email": (
        re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        "[email]",
    ),
    "card": (re.compile(_NOT_AFTER + r"\d(?:[ -]?\d){12,18}" + _NOT_BEFORE), "[card]"),
    "id_number": (re.compile(_NOT_AFTER + r"\d{3}-\d{2}-\d{4}" + _NOT_BEFORE), "[id-number]"),
    "ip": (re.compile(_NOT_AFTER + r"(?:\d{1,3}\.){3}\d{1,3}" + _NOT_BEFORE), "[ip]"),
    "phone": (re.compile(r"(?<![\w@./:-])(?:\+\s?|00)?\(?\d[\d ().-]{5,24}\d\)?" + _NOT_BEFORE), "[phone]"),
}
ALL_KINDS: Tuple[str, ...] = tuple(PATTERNS)
MIN_PHONE_DIGITS = 7


def parse_kinds(value: Any) -> Tuple[str, ...]:
    """`"email,phone"`, `["email", "phone"]`, `"all"`, `"none"`/`""`/`False` -> the kinds, validated."""
    if value is None or value is True:
        return ALL_KINDS
    if value is False:
        return ()
    items: Iterable[str] = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    kinds = [item.strip().lower() for item in items if item.strip()]
    if kinds in ([], ["none"], ["off"], ["false"]):
        return ()
    if kinds in (["all"], ["on"], ["true"]):
        return ALL_KINDS
    unknown = sorted(set(kinds) - set(ALL_KINDS))
    if unknown:
        raise ValueError(f"unknown masking kinds {unknown}; known: {', '.join(ALL_KINDS)}")
    # Keep the fixed order: emails first (they contain digits), phone numbers last (the widest pattern).
    return tuple(kind for kind in ALL_KINDS if kind in kinds)


def _phone(match: "re.Match[str]") -> str:
    text = match.group(0)
    return "[phone]" if sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS else text


@dataclass(frozen=True)
class Masker:
    kinds: Tuple[str, ...] = ALL_KINDS

    @property
    def enabled(self) -> bool:
        return bool(self.kinds)

    def mask(self, text: Any) -> Any:
        """`text` with identifiers masked; anything that is not a non-empty string comes back as it is."""
        if not self.kinds or not text or not isinstance(text, str):
            return text
        if "@" not in text and not any(c.isdigit() for c in text):
            return text  # nothing any pattern could match: the common case, and cheap
        for kind in self.kinds:
            pattern, replacement = PATTERNS[kind]
            text = pattern.sub(_phone if kind == "phone" else replacement, text)
        return text

    def only(self, kinds: Sequence[str]) -> "Masker":
        return Masker(tuple(k for k in self.kinds if k in kinds))


def mask_strings(value: Any, mask: Callable[[str], str]) -> Any:
    """Mask every string inside a JSON-like value (dicts, lists), keys untouched."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_strings(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_strings(v, mask) for v in value]
    return value


def mask_event(data: Dict[str, Any], masker: Masker) -> Dict[str, Any]:
    """A serialised Rasa event with identifiers masked in what the user typed (a new dict).

    * user: `text`, `parse_data.text`, entity values;
    * slot: the value (the hand-off form copies user text into slots);
    * entities: values;
    * bot: `text`, e-mail addresses only (the hand-off confirmation repeats the address; bot texts also
      quote crisis line numbers and DOIs, which are not personal data).
    """
    if not masker.enabled:
        return data
    kind = data.get("event")
    if kind == "user":
        data = dict(data)
        data["text"] = masker.mask(data.get("text"))
        parse_data = data.get("parse_data")
        if isinstance(parse_data, dict):
            parse_data = dict(parse_data)
            parse_data["text"] = masker.mask(parse_data.get("text"))
            if isinstance(parse_data.get("entities"), list):
                parse_data["entities"] = [
                    {**e, "value": mask_strings(e.get("value"), masker.mask)} if isinstance(e, dict) else e
                    for e in parse_data["entities"]
                ]
            data["parse_data"] = parse_data
    elif kind == "slot":
        data = dict(data)
        data["value"] = mask_strings(data.get("value"), masker.mask)
    elif kind == "entities":
        data = dict(data)
        data["entities"] = mask_strings(data.get("entities"), masker.mask)
    elif kind == "bot" and "email" in masker.kinds:
        data = dict(data)
        data["text"] = masker.only(["email"]).mask(data.get("text"))
    return data


# ---------------------------------------------------------------- logs

_log_masker: Optional[Masker] = None


# Log lines also name the servers' own addresses ("cannot connect to 127.0.0.1:5055"): not masked there.
LOG_DEFAULT_KINDS = tuple(kind for kind in ALL_KINDS if kind != "ip")


def install_log_masking(masker: Optional[Masker] = None) -> Masker:
    """Mask identifiers in every log record created from now on, in this process (idempotent).

    Done with the log record factory, so it covers every logger and handler, including those configured
    later. Tracebacks are not masked; the project's code logs error types, not error messages, where user
    data could be involved, and SQL errors hide their parameters (painfaq.stores.tracker_store).
    """
    global _log_masker
    if masker is None:
        setting = settings.LOG_MASK.raw() or settings.MASK.raw()
        masker = Masker(parse_kinds(setting) if setting else LOG_DEFAULT_KINDS)
    first_time = _log_masker is None
    _log_masker = masker
    if first_time:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            current = _log_masker
            if current is not None and current.enabled:
                try:
                    message = record.getMessage()
                except Exception:  # a broken format string is the logger's problem
                    return record
                masked = current.mask(message)
                if masked != message or record.args:
                    record.msg, record.args = masked, None
            return record

        logging.setLogRecordFactory(factory)
    return masker
