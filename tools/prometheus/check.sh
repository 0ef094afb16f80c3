#!/usr/bin/env bash
# Checks the Prometheus drift rules (run from anywhere, e.g. `bash tools/prometheus/check.sh`):
#   1. regenerating rules.example.yml and grafana.example.json from test/reference.json gives the
#      committed files byte for byte, and promtool parses every query of the dashboard;
#   2. promtool check rules on it (and on a variant with every signal and another window);
#   3. promtool test rules on test/rules.test.yml and test/concentrated.test.yml (identical data in 2 of
#      11 bins: no alert; its rules, test/concentrated.rules.yml, must be in sync too);
#   4. the values those tests expect equal libs/monitor's driftStatistics / psiAlarm, and rules from a
#      reference calibrated to an expected run length use libs/monitor's calibrated thresholds
#      (test/calibrated.mjs; both skipped, with a note, when @glassbox/monitor is not built).
# Exits non-zero on the first failure; prints one summary line. PROMTOOL overrides the promtool binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
promtool="${PROMTOOL:-promtool}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"

fail() {
  cat "$log" >&2 || true
  echo "tools/prometheus check: FAILED at $1" >&2
  exit 1
}

command -v "$promtool" >/dev/null 2>&1 || { echo "tools/prometheus check: FAILED: promtool not found (set PROMTOOL)" >&2; exit 1; }

node "$here/generate-rules.mjs" --reference "$here/test/reference.json" --out "$tmp/rules.yml" >"$log" 2>&1 || fail "generate-rules.mjs"
diff -u "$here/rules.example.yml" "$tmp/rules.yml" >"$log" 2>&1 ||
  fail "rules.example.yml is out of date; regenerate: node tools/prometheus/generate-rules.mjs --reference tools/prometheus/test/reference.json --out tools/prometheus/rules.example.yml"

node "$here/generate-rules.mjs" --reference "$here/test/reference.json" --out /dev/null --grafana "$tmp/grafana.json" >"$log" 2>&1 || fail "generate-rules.mjs --grafana"
diff -u "$here/grafana.example.json" "$tmp/grafana.json" >"$log" 2>&1 ||
  fail "grafana.example.json is out of date; regenerate: node tools/prometheus/generate-rules.mjs --reference tools/prometheus/test/reference.json --out /dev/null --grafana tools/prometheus/grafana.example.json"
# Every panel query, variables expanded, as a recording rule: promtool parses its PromQL.
node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { dashboardQueries, expandVariables } from '$here/grafana-dashboard.mjs';
  const rules = dashboardQueries(JSON.parse(readFileSync(process.argv[1], 'utf8'))).map((q, i) => ({ record: 'grafana_check:query_' + i, expr: expandVariables(q.expr) }));
  console.log(JSON.stringify({ groups: [{ name: 'grafana-queries', rules }] }));
" "$tmp/grafana.json" >"$tmp/grafana-queries.yml" 2>"$log" || fail "grafana-dashboard.mjs queries"
"$promtool" check rules "$tmp/grafana-queries.yml" >"$log" 2>&1 || fail "promtool check rules (the Grafana dashboard's queries)"
queries="$(grep -o 'SUCCESS: [0-9]* rules' "$log" | grep -o '[0-9]*')"

node "$here/generate-rules.mjs" --reference "$here/test/concentrated-reference.json" --signals confidence --for 0m --out "$tmp/concentrated.yml" >"$log" 2>&1 ||
  fail "generate-rules.mjs (concentrated reference)"
diff -u "$here/test/concentrated.rules.yml" "$tmp/concentrated.yml" >"$log" 2>&1 ||
  fail "test/concentrated.rules.yml is out of date; regenerate: node tools/prometheus/generate-rules.mjs --reference tools/prometheus/test/concentrated-reference.json --signals confidence --for 0m --out tools/prometheus/test/concentrated.rules.yml"

"$promtool" check rules "$here/rules.example.yml" >"$log" 2>&1 || fail "promtool check rules rules.example.yml"
rules="$(grep -o 'SUCCESS: [0-9]* rules' "$log" | grep -o '[0-9]*')"

node "$here/generate-rules.mjs" --reference "$here/test/reference.json" --signals confidence,margin,entropy,labels \
  --window 30m --selector '' --for 0m --out "$tmp/all.yml" >"$log" 2>&1 || fail "generate-rules.mjs (all signals)"
"$promtool" check rules "$tmp/all.yml" >"$log" 2>&1 || fail "promtool check rules (all signals, 30m)"

(cd "$here/test" && "$promtool" test rules rules.test.yml) >"$log" 2>&1 || fail "promtool test rules test/rules.test.yml"
(cd "$here/test" && "$promtool" test rules concentrated.test.yml) >"$log" 2>&1 || fail "promtool test rules test/concentrated.test.yml"
tests="$(cat "$here/test/rules.test.yml" "$here/test/concentrated.test.yml" | grep -c '^  - name:')"

if [ -f "$root/node_modules/@glassbox/monitor/dist/index.js" ]; then
  (cd "$root" && node tools/prometheus/test/expected.mjs --check) >"$log" 2>&1 || fail "test/expected.mjs --check (values vs libs/monitor)"
  (cd "$root" && node tools/prometheus/test/calibrated.mjs "$tmp/calibrated.yml") >"$log" 2>&1 || fail "test/calibrated.mjs (run-length thresholds vs libs/monitor)"
  "$promtool" check rules "$tmp/calibrated.yml" >"$log" 2>&1 || fail "promtool check rules (calibrated reference)"
  crosscheck="expected values equal libs/monitor's driftStatistics, calibrated thresholds equal its run-length ones"
else
  crosscheck="libs/monitor cross-check skipped (@glassbox/monitor not built)"
fi

echo "tools/prometheus check: OK: rules.example.yml and grafana.example.json in sync, ${rules} rules valid, ${queries} dashboard queries valid, ${tests} promtool test groups pass, ${crosscheck}"
