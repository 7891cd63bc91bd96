"""Build the project's spaCy pipeline offline: blank English + lookup lemmatizer.

`spacy download` cannot reach its servers here, so the pipeline is assembled from `spacy` and the
`spacy-lookups-data` package (lemma tables ship inside it) and saved to a directory that Rasa's
SpacyNLP component loads by path.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import spacy


def build(output_dir: Path) -> None:
    nlp = spacy.blank("en")
    # "lookup" mode needs no POS tagger, which a blank pipeline does not have.
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    lemmas = [token.lemma_ for token in nlp("my legs were feeling weaker and numbness")]
    print(f"spaCy pipeline written to {output_dir} (lemma check: {lemmas})")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "models/spacy/en_painfaq"))
