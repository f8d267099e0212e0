# shellcheck shell=bash
# tap.sh: the result lines every lab test prints, which tests/run.sh counts
# ("ok - NAME", "not ok - NAME"); a test exits with $failures.
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
