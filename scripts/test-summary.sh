#!/usr/bin/env bash
# Prints what failed in a dotnet test TRX file (test name and the first lines of its message, and
# any run-level error such as a class cleanup failure), then the counts as one plain line:
# "tests: N passed, N failed, N skipped". The failures come last but one, so that a log read from
# its tail (CI's) names them.
set -euo pipefail
trx=${1:?usage: test-summary.sh results.trx}
if [ ! -f "$trx" ]; then echo "tests: no results file ($trx): the test run did not start" >&2; exit 1; fi
if command -v python3 >/dev/null; then
  # || true: a truncated file (a killed run) must not cost the counts line below.
  python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    sys.exit(f"---- the results file does not parse ({e}): failed tests unknown ----")
def short(text, lines=3, width=300):
    return " | ".join(l.strip()[:width] for l in (text or "").strip().splitlines()[:lines])
failed = [r for r in root.iterfind(".//t:UnitTestResult", ns) if r.get("outcome") not in ("Passed", "NotExecuted")]
infos = [i for i in root.iterfind(".//t:RunInfos/t:RunInfo", ns) if i.get("outcome") == "Error"]
if failed or infos:
    print(f"---- {len(failed)} failed test(s), {len(infos)} run-level error(s) ----")
for r in failed:
    message = r.find(".//t:ErrorInfo/t:Message", ns)
    print(f"FAILED {r.get('testName')} ({r.get('duration')}): {short(message.text if message is not None else '')}")
for i in infos:
    print(f"RUN ERROR: {short(i.findtext('t:Text', default='', namespaces=ns), lines=6)}")
PY
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1) || true
if [ -z "$counters" ]; then echo "tests: $trx holds no counts (was the run killed?)" >&2; exit 1; fi
get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
total=$(get total); passed=$(get passed); failed=$(get failed); executed=$(get executed)
skipped=$(( total - executed ))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
