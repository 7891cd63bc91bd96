#!/usr/bin/env bash
# Test stories against the trained model; any failed story fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(bash scripts/model.sh)
out=results/stories
"$PY" -m rasa test core --model "$model" --stories tests/stories --out "$out" --fail-on-prediction-errors \
  > "$out.log" 2>&1 || { tail -40 "$out.log"; echo "test stories: FAILED (see $out/failed_test_stories.yml)" >&2; exit 1; }
grep -E "Correct:|Accuracy:|F1-Score:" "$out.log" | head -6 || true
echo "test stories: all passed"
