"""The one way the patches change Rasa: `replace(owner, name, value)` records what it replaced.

Because every replacement is recorded, Rasa's own code can be put back exactly: `undo()` for everything,
`temporarily(apply)` for one patch. The launchers never undo (a server keeps its patches for its whole
life); the equivalence tests apply a patch in the pytest process, compare it with Rasa's code path, and
leave Rasa as they found it for the tests that run after them. Tested by tests/unit/test_rasa_speedups.py
and tests/production/test_speedups.py (each asserts Rasa's own code is back after the block).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Tuple

# An attribute the owner did not define itself (inherited, or absent): undoing deletes it again.
_ABSENT = object()

# (owner, name, what owner.__dict__ held before), oldest first.
_replaced: List[Tuple[Any, str, Any]] = []


def replace(owner: Any, name: str, value: Any) -> None:
    """Set `owner.name` (a module or class attribute of Rasa's) to `value`, recording the original.

    The original is taken from the owner's own `__dict__`, not `getattr`, so a staticmethod, a classmethod
    or an inherited attribute is restored as it was."""
    _replaced.append((owner, name, vars(owner).get(name, _ABSENT)))
    setattr(owner, name, value)


def undo(keep: int = 0) -> None:
    """Put back every replacement made after the first `keep`, newest first."""
    while len(_replaced) > keep:
        owner, name, original = _replaced.pop()
        if original is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


@contextmanager
def temporarily(*patches: Callable[[], object]) -> Iterator[None]:
    """Apply `patches` (each a patch's apply function, called without arguments) for the `with` block."""
    keep = len(_replaced)
    try:
        for apply in patches:
            apply()
        yield
    finally:
        undo(keep)
