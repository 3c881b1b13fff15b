#!/usr/bin/env bash
# Every classic benchmark case on Advise, with CLIPS beside it when `clips`
# is installed: a table (check.sh --clips over all 13 cases). Not run in CI
# (manners_128 takes seconds); the instruction counts are measure.sh's.
#
#   bench/classic/all.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/check.sh" --clips manners_8 manners_16 manners_32 manners_64 manners_128 \
  waltz_12 waltz_25 waltz_37 waltz_50 waltzdb_4 waltzdb_8 waltzdb_12 waltzdb_16
