#!/bin/sh
# Runs every fuzz target for SECONDS seconds (default 600, the issue's figure), one job each, after
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build -s none -a
# Logs go to fuzz/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
set -u
SECONDS_EACH=${1:-600}
cd "$(dirname "$0")/.."
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in plist nska keybag stix_bundle stix_pattern match_text dumpsys ab_header androidqf_json tombstone; do
  mkdir -p "artifacts/$t" "corpus/$t"
  "$BIN/$t" "corpus/$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "$t exit $?" >> logs/summary.txt
done
