"""The content files have no key written twice: YAML keeps the last one silently, so a second
`unless_followed_by` in a safety rule once dropped the first list without any error."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Any:
    seen: List[Tuple[Any, int]] = []
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if any(key == earlier for earlier, _ in seen):
            raise ValueError(f"key {key!r} written twice (line {key_node.start_mark.line + 1})")
        seen.append((key, key_node.start_mark.line))
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)

CONTENT_FILES = sorted((ROOT / "content").glob("*.yml")) + [ROOT / "domain.yml", ROOT / "config.yml"]


@pytest.mark.parametrize("path", CONTENT_FILES, ids=lambda p: p.name)
def test_no_key_is_written_twice(path: Path) -> None:
    yaml.load(path.read_text(), Loader=_UniqueKeyLoader)


def test_a_key_written_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="written twice"):
        yaml.load("rule:\n  unless: [a]\n  unless: [b]\n", Loader=_UniqueKeyLoader)
