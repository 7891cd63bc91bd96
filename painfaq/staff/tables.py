"""The review inbox's own tables beyond painfaq/stores/db.py, and creating them when missing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from painfaq.staff.context import review_context
from painfaq.stores import db

# A label given to one message rather than to its whole group: the label is a row of painfaq_review_labels
# (so listing and undo work alike for both kinds); this marks it as one message's. No foreign keys: the
# retention job deletes old inbox messages, and the labels (the staff's decisions) stay.
item_labels = sa.Table(
    "painfaq_review_item_labels",
    db.metadata,
    sa.Column("label_id", sa.Integer, primary_key=True),  # painfaq_review_labels.id
    sa.Column("item_id", sa.Integer, nullable=False, index=True),  # painfaq_review_items.id
)


def ensure(engine: Engine) -> None:
    """Create the project's and the inbox's tables when missing (a few catalogue lookups when present)."""
    db.ensure_tables(engine)
    db.metadata.create_all(engine, tables=[review_context, item_labels], checkfirst=True)
