#!/bin/sh
# Runs fuzz targets for SECONDS seconds each (default 600, the issue's figure), one job each, after
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build -s none -a
# Usage: scripts/run-all.sh [SECONDS] [TARGET...]   (no target: every target, in order)
# The fuzzer grows work/<target>/ (not committed) and reads the committed corpus/<target>/ as seeds.
# FUZZ_BIN=dir runs binaries copied elsewhere (so that a rebuild does not replace a running one).
# Logs go to logs/<target>.log; crashes to artifacts/<target>/.
set -u
SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-target/x86_64-unknown-linux-gnu/release}
TARGETS=${*:-plist nska keybag stix_bundle stix_pattern match_text dumpsys ab_header androidqf_json tombstone ios_artifact ios_db_values zip_evidence intrusion_log androidqf_text results_folder ios_decrypt shutdown_log ips ps_lists}
mkdir -p logs
for t in $TARGETS; do
  mkdir -p "artifacts/$t" "work/$t" "corpus/$t"
  "$BIN/$t" "work/$t" "corpus/$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "$(date -u +%FT%TZ) $t exit $?" >> logs/summary.txt
done
