#!/usr/bin/env bash
# The HTML report in a real browser (ctest: html_browser; docs/testing.md).
#
#   tests/html_browser.sh --advise PATH --out DIR
#
# Writes the applicant's HTML report of examples/profiles/example.json to
# DIR/report.html, loads it from its file:// URL in headless Chromium (Debian's
# `chromium`, installed by scripts/setup.sh), and checks the DOM after the
# page's script ran:
#   - the decisions are there (a row per conclusion reached, with its value);
#   - each item's why is folded: <details class="why"> elements, none open;
#   - the program table is sortable (its script turned the headings into buttons);
#   - the page made no request: the browser's resource timing lists nothing the
#     page loaded (read by a probe script added to a copy of the page, never to
#     the report itself), and the page names no http(s) or protocol-relative
#     URL in a src, href or url();
#   - no rule name, rule file or raw id.
# Then it saves a screenshot, DIR/report.png, kept as an artifact of the run.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
advise="$root/build/app/advise"
out="$root/build/html"
while [ $# -gt 0 ]; do
  case "$1" in
    --advise) advise="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "html_browser: unknown argument $1" >&2; exit 2 ;;
  esac
done
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "html_browser: chromium is not installed; scripts/setup.sh installs it (apt-get install chromium)" >&2
  exit 1
fi
mkdir -p "$out" && out=$(cd "$out" && pwd)  # file:// URLs need an absolute path
cd "$root" || exit 2
export ADVISE_HOME="$root" NO_COLOR=1 LC_ALL=C
fail=0
check() {  # description, command...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

report="$out/report.html"
"$advise" --format html -o "$report" examples/profiles/example.json || { echo "html_browser: advise failed" >&2; exit 1; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --no-default-browser-check
       --disable-background-networking --disable-component-update --disable-sync --disable-extensions
       --user-data-dir="$profile/p" --virtual-time-budget=3000)

# The probe: a copy of the page with a script that records, once the page has
# loaded, every resource it requested (performance.getEntriesByType).
probe="$out/report-probe.html"
sed 's#</body>#<script>window.addEventListener("load", function () { document.body.setAttribute("data-requests", String(performance.getEntriesByType("resource").length)); document.body.setAttribute("data-requested", performance.getEntriesByType("resource").map(function (e) { return e.name; }).join(" ")); });</script></body>#' \
  "$report" > "$probe"
dom="$out/report-dom.html"
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$probe" > "$dom" 2> "$out/chromium.log"
check "chromium loaded the page from its file:// URL" test -s "$dom"

for c in specialty_class strategy backup_specialties applications research_year step2ck_plan tiers red_flags contingency; do
  check "decision $c shown" grep -q "<tr data-conclusion=\"$c\"><th scope=\"row\">" "$dom"
done
check "the strategy in words" grep -q '<td>dual application: your target and a backup specialty' "$dom"
check "what to do now, first" grep -q '<h3>What to do now</h3>' "$dom"
whys=$(grep -o '<details class="why">' "$dom" | wc -l)
check "explanations folded under the items ($whys)" test "$whys" -ge 20
check "no explanation open at first" bash -c "! grep -q '<details class=\"why\" open' '$dom'"
check "the program table sortable" grep -q '<th scope="col"><button type="button">Specialty</button></th>' "$dom"
check "landmarks and one h1" test "$(grep -c '<h1>' "$dom")" -eq 1 -a "$(grep -c '<main>' "$dom")" -eq 1
check "the page requested nothing" grep -q 'data-requests="0"' "$dom"
check "no external URL in the page" bash -c "! grep -Eiq '(src|href)=\"(https?:)?//|url\\((https?:)?//' '$report'"
check "no rule file named" bash -c "! grep -q 'rules/' '$report'"
check "no raw id with an underscore in the text" bash -c "! sed 's/<[^>]*>//g' '$report' | grep -Eq '[A-Za-z0-9]_[A-Za-z0-9]'"

# The program list (advise --catalog, issue 14): the fictitious notice at its
# top, one row per program, the table sortable, each program's reasons folded.
list_report="$out/report-list.html"
list_profile="$profile/list.json"
printf '%s' '{"target_specialty": "dermatology", "school_type": "img", "citizenship": "us_citizen", "step2ck": 252, "publications": 2, "usce_months": 6, "home_state": "OH", "program_connections": {"0800390001": ["research"]}}' > "$list_profile"
"$advise" --format html --catalog examples/catalog/programs.csv -o "$list_report" "$list_profile" || { echo "html_browser: advise --catalog failed" >&2; exit 1; }
list_dom="$out/report-list-dom.html"
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$list_report" > "$list_dom" 2>> "$out/chromium.log"
check "program list: loaded" test -s "$list_dom"
check "program list: the fictitious notice first" grep -q '<h2 id="program-list-h">Your program list</h2>\s*<p class="warning" data-fictitious="true">FICTITIOUS PROGRAMS' <(tr -d '\n' < "$list_dom")
check "program list: sortable by tier" grep -q '<th scope="col"><button type="button">Tier</button></th>' "$list_dom"
rows=$(grep -o '<tr data-program="' "$list_dom" | wc -l)
check "program list: a row per program ($rows)" test "$rows" -ge 100
check "program list: the anchor is listed" grep -q 'data-program="0800390001" data-tier="anchor"' "$list_dom"
check "program list: no rule file named" bash -c "! grep -q 'rules/' '$list_report'"

shot="$out/report.png"
rm -f "$shot"
timeout 120 "$browser" "${flags[@]}" --window-size=1200,1800 --screenshot="$shot" "file://$report" >> "$out/chromium.log" 2>&1
check "screenshot saved ($shot)" test -s "$shot"

[ $fail -eq 0 ] && echo "html_browser: all checks passed; screenshot $shot"
exit $fail
