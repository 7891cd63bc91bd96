"""Serve a Rasa 3.6 model without loading TensorFlow when none of the model's components needs it.

Rasa imports TensorFlow from dozens of modules that every server loads (policies, featurizers, the
recipe's registry of all components), even when the model's own components never call it. Importing
TensorFlow 2.12 costs ~400 MB resident and ~2.5 s per process. The project's model (sparse features,
logistic regression, rules) uses no TensorFlow, so the Rasa launcher (painfaq.rasa_patches.apply_all) puts placeholder modules in its
place before Rasa is imported: `import tensorflow` and its submodules succeed, class definitions that
derive from TensorFlow classes succeed, and nothing of TensorFlow's is ever run.

Only models whose every prediction-graph component is on `TENSORFLOW_FREE_COMPONENTS` get this; any
other model (e.g. one with DIET or TED) is served with the real TensorFlow. thinc (spaCy) checks for
TensorFlow with `import tensorflow.experimental.dlpack`; that import fails here, so spaCy runs as if
TensorFlow were not installed, which is the truth for this process. Tested by
tests/production/test_tensorflow_stub.py (same predictions with and without the placeholder).
"""

from __future__ import annotations

import abc
import importlib.abc
import importlib.machinery
import json
import logging
import sys
import tarfile
import types
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Optional

logger = logging.getLogger(__name__)

STUBBED_PACKAGES = ("tensorflow", "tensorflow_addons", "tensorflow_hub", "tensorflow_text", "keras")
# Imported by thinc only to detect TensorFlow: failing it tells spaCy that TensorFlow is absent.
FAILING_IMPORTS = ("tensorflow.experimental.dlpack",)

# Components of Rasa 3.6 that predict without TensorFlow (checked against their source), plus the
# project's own (painfaq.*: sklearn, spaCy rules).
TENSORFLOW_FREE_COMPONENTS: FrozenSet[str] = frozenset(
    {
        "rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble",
        "rasa.core.policies.memoization.AugmentedMemoizationPolicy",
        "rasa.core.policies.memoization.MemoizationPolicy",
        "rasa.core.policies.rule_policy.RulePolicy",
        "rasa.graph_components.converters.nlu_message_converter.NLUMessageConverter",
        "rasa.graph_components.providers.domain_for_core_training_provider.DomainForCoreTrainingProvider",
        "rasa.graph_components.providers.domain_provider.DomainProvider",
        "rasa.graph_components.providers.domain_without_response_provider.DomainWithoutResponsesProvider",
        "rasa.graph_components.providers.nlu_training_data_provider.NLUTrainingDataProvider",
        "rasa.graph_components.providers.rule_only_provider.RuleOnlyDataProvider",
        "rasa.graph_components.providers.story_graph_provider.StoryGraphProvider",
        "rasa.graph_components.providers.training_tracker_provider.TrainingTrackerProvider",
        "rasa.nlu.classifiers.fallback_classifier.FallbackClassifier",
        "rasa.nlu.classifiers.keyword_intent_classifier.KeywordIntentClassifier",
        "rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier",
        "rasa.nlu.classifiers.regex_message_handler.RegexMessageHandler",
        "rasa.nlu.classifiers.sklearn_intent_classifier.SklearnIntentClassifier",
        "rasa.nlu.extractors.entity_synonyms.EntitySynonymMapper",
        "rasa.nlu.extractors.regex_entity_extractor.RegexEntityExtractor",
        "rasa.nlu.featurizers.dense_featurizer.spacy_featurizer.SpacyFeaturizer",
        "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer.CountVectorsFeaturizer",
        "rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer.LexicalSyntacticFeaturizer",
        "rasa.nlu.featurizers.sparse_featurizer.regex_featurizer.RegexFeaturizer",
        "rasa.nlu.tokenizers.spacy_tokenizer.SpacyTokenizer",
        "rasa.nlu.tokenizers.whitespace_tokenizer.WhitespaceTokenizer",
        "rasa.nlu.utils.spacy_utils.SpacyNLP",
    }
)
PROJECT_COMPONENT_PREFIX = "painfaq."


class _PlaceholderMeta(abc.ABCMeta):
    """Placeholder classes: any attribute is another placeholder, calling one returns a placeholder (or,
    used as a plain decorator, the decorated function unchanged), and they are empty and falsy."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return _placeholder(f"{cls.__qualname__}()")

    def __iter__(cls) -> Any:
        return iter(())

    def __len__(cls) -> int:
        return 0

    def __bool__(cls) -> bool:
        return False

    def __getitem__(cls, item: Any) -> Any:
        return cls


_placeholders: Dict[str, type] = {}


def _placeholder(qualname: str) -> type:
    # The same name gives the same class, so `tf.float32 is tf.float32` still holds.
    found = _placeholders.get(qualname)
    if found is None:
        found = _placeholders[qualname] = _PlaceholderMeta(qualname.rsplit(".", 1)[-1], (), {"__qualname__": qualname})
    return found


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{self.__name__}.{name}")


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname.split(".", 1)[0] not in STUBBED_PACKAGES or fullname in FAILING_IMPORTS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _PlaceholderModule(spec.name)
        module.__path__ = []  # a package: its submodules come from this finder too
        module.__version__ = "0+placeholder"  # type: ignore[attr-defined]
        module.PAINFAQ_PLACEHOLDER = True  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def installed() -> bool:
    return any(isinstance(finder, _PlaceholderFinder) for finder in sys.meta_path)


def install() -> None:
    """Serve placeholders for TensorFlow from now on. Must run before anything imports TensorFlow."""
    if installed():
        return
    already = [name for name in sys.modules if name.split(".", 1)[0] in STUBBED_PACKAGES]
    if already:
        raise RuntimeError(f"TensorFlow is already imported ({already[0]}); install the placeholders first")
    sys.meta_path.insert(0, _PlaceholderFinder())


def tensorflow_loaded() -> bool:
    """Whether this process holds the real TensorFlow."""
    module = sys.modules.get("tensorflow")
    return module is not None and not getattr(module, "PAINFAQ_PLACEHOLDER", False)


def prediction_components(model_archive: Path) -> FrozenSet[str]:
    """The component classes of a trained model's prediction graph (from its metadata.json)."""
    with tarfile.open(model_archive, "r:gz") as archive:
        member = archive.extractfile("metadata.json")
        if member is None:
            raise ValueError(f"{model_archive} has no metadata.json")
        metadata = json.load(member)
    return frozenset(node["uses"] for node in metadata["predict_schema"]["nodes"].values())


def needs_tensorflow(components: Iterable[str]) -> bool:
    return any(
        name not in TENSORFLOW_FREE_COMPONENTS and not name.startswith(PROJECT_COMPONENT_PREFIX) for name in components
    )


def resolve_model(model: str) -> Optional[Path]:
    """The archive `rasa run --model <model>` serves: the file itself, or the newest one in a folder."""
    path = Path(model)
    if path.is_dir():
        archives = sorted(path.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        return archives[-1] if archives else None
    return path if path.is_file() else None


def install_if_model_allows(model: str) -> bool:
    """Install the placeholders when the model to be served needs no TensorFlow; return whether it did."""
    archive = resolve_model(model)
    if archive is None:
        return False
    try:
        components = prediction_components(archive)
    except (OSError, ValueError, KeyError, tarfile.TarError, json.JSONDecodeError):
        logger.warning("could not read %s's components; serving with TensorFlow", archive, exc_info=True)
        return False
    if needs_tensorflow(components):
        return False
    install()
    return True
