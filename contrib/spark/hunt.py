#!/usr/bin/env python3
"""telltale's hunt as a Spark job: observables x indicators, joined on (kind, match_key).

    spark-submit contrib/spark/hunt.py --observables DATASET --iocs IOCS.parquet --out RESULT.json
    python3 contrib/spark/hunt.py ...            (local mode, PySpark from PyPI, Java 17)

DATASET is written by `telltale observables publish DIR... --to DATASET` (Hive layout
acq_month=YYYY-MM/case=<case id>/part-*.parquet, on a local path, HDFS, S3, ...); IOCS.parquet by
`telltale iocs export --parquet IOCS.parquet`. RESULT.json has the shape of `telltale hunt --json`:
{"format": "telltale-hunt", "version": 1, "matches": [...]}, one row per case and indicator with
the distinct observations, first and last seen, and the modules, in the same order. The matching
rules are all in the match keys, so this is a plain equi-join (see docs/observables.md).

The job only reads files; it never contacts an indicator's host.
"""

import argparse
import json
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--observables", required=True, help="the published dataset (folder or URI)")
    p.add_argument("--iocs", required=True, help="the file written by `telltale iocs export --parquet`")
    p.add_argument("--out", required=True, help="where to write the JSON result (local path)")
    p.add_argument("--since", help="only observations at or after this UTC time (YYYY-MM-DD or ISO 8601)")
    p.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from pyspark import SparkConf
    from pyspark.sql import SparkSession, functions as F

    t0 = time.monotonic()
    conf = SparkConf()
    builder = (
        SparkSession.builder.appName("telltale-hunt")
        # Times are UTC; partition values (case ids are hex) stay strings.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
    )
    if args.master:
        builder = builder.master(args.master)
    elif not conf.contains("spark.master"):
        builder = builder.master("local[*]")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    t_setup = time.monotonic() - t0

    t1 = time.monotonic()
    obs = spark.read.option("basePath", args.observables).parquet(args.observables).select(
        "kind", "match_key", "value", "field", "module", "source_file", "record_index",
        "event_time", "acquisition_id", "case_id",
    )
    if args.since:
        since = F.to_timestamp(F.lit(args.since))
        obs = obs.where(F.col("event_time").isNotNull() & (F.col("event_time") >= since))
    iocs = spark.read.parquet(args.iocs).select(
        "kind", "match_key", "entry", "indicator", "indicator_type", "indicator_id",
        "collections", "ioc_source",
    )
    joined = obs.join(F.broadcast(iocs), ["kind", "match_key"])
    fmt = "yyyy-MM-dd HH:mm:ss.SSSSSS"
    rows = (
        joined.groupBy("case_id", "acquisition_id", "entry")
        .agg(
            F.first("indicator").alias("indicator"),
            F.first("indicator_type").alias("indicator_type"),
            F.first("indicator_id").alias("indicator_id"),
            F.first("collections").alias("collections"),
            F.first("ioc_source").alias("ioc_source"),
            F.countDistinct("source_file", "record_index", "field", "value").alias("observations"),
            F.date_format(F.min("event_time"), fmt).alias("first_seen"),
            F.date_format(F.max("event_time"), fmt).alias("last_seen"),
            F.array_sort(F.collect_set("module")).alias("modules"),
        )
        .collect()
    )
    t_hunt = time.monotonic() - t1

    matches = [
        {
            "case_id": r["case_id"],
            "acquisition_id": r["acquisition_id"],
            "indicator": r["indicator"],
            "indicator_type": r["indicator_type"],
            "indicator_id": r["indicator_id"],
            "collections": list(r["collections"] or []),
            "ioc_source": r["ioc_source"],
            "observations": int(r["observations"]),
            "first_seen": r["first_seen"],
            "last_seen": r["last_seen"],
            "modules": list(r["modules"]),
        }
        for r in rows
    ]
    # telltale's order (Rust compares UTF-8 bytes, the same order as code points).
    matches.sort(key=lambda m: (m["case_id"], m["indicator_type"], m["indicator"], m["ioc_source"]))
    result = {
        "format": "telltale-hunt",
        "version": 1,
        "engine": "spark " + spark.version,
        "matches": matches,
        "timings_s": {"setup": round(t_setup, 3), "hunt": round(t_hunt, 3)},
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    cases = len({m["case_id"] for m in matches})
    print(
        f"{len(matches)} match(es) in {cases} case(s); Spark set-up {t_setup:.1f} s, hunt {t_hunt:.1f} s",
        file=sys.stderr,
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    # Exit 0 when the job ran (whether or not anything matched: the result file says), non-zero on error.
    sys.exit(main())
