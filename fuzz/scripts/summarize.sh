#!/bin/sh
# Prints a Markdown table row per fuzz log (logs/<target>.log, written by run-all.sh):
# time, executions, exec/s, coverage at start → end, features, corpus entries at the end, peak RSS, crashes.
cd "$(dirname "$0")/.."
echo "| target | time | executions | exec/s | coverage (edges) start → end | features | corpus at end | peak RSS | crashes |"
echo "|---|---|---|---|---|---|---|---|---|"
for log in logs/*.log; do
  t=$(basename "$log" .log)
  init=$(grep -m1 "INITED" "$log" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  last=$(grep -E "^#[0-9]+" "$log" | grep "cov:" | tail -n 1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\)\/.*/\1/p')
  done_line=$(grep -m1 "^Done " "$log")
  runs=$(echo "$done_line" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p')
  secs=$(echo "$done_line" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p')
  eps=$(grep -m1 "stat::average_exec_per_sec" "$log" | awk '{print $2}')
  rss=$(grep -m1 "stat::peak_rss_mb" "$log" | awk '{print $2}')
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c -E "^(crash|timeout|oom|leak|slow-unit)-")
  echo "| $t | ${secs:-?} s | ${runs:-?} | ${eps:-?} | ${init:-?} → ${cov:-?} | ${ft:-?} | ${corp:-?} | ${rss:-?} MB | $crashes |"
done
