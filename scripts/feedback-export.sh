#!/usr/bin/env bash
# `make feedback-export`: the feedback labels as a training set, .artifacts/feedback/feedback.tsv in SST-2's
# format (header `sentence<TAB>label`, label 0/1), from the compose stack's database: only requests with
# feedback and a logged sentence (Serving__LogSentences=false logs none). `make train FEEDBACK_TSV=...` reads it.
#   scripts/feedback-export.sh [OUT]      PSQL="psql -h ... -d ..." to read another database (the tests do)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.artifacts/feedback/feedback.tsv}
# The database publishes no port: psql runs in its container, on its socket.
read -r -a psql <<< "${PSQL:-docker compose exec -T postgres psql -U postgres -d feedback}"
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  printf 'sentence\tlabel\n'
  "${psql[@]}" -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 -f - < scripts/feedback-export.sql
} > "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(($(wc -l < "$out") - 1)) rows)"
