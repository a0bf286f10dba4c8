"""Tables for scripts/bench.sh from the RESULT lines its wrk scripts print
(one line per run, in one file per figure) and its facts files (key=value).

    report.py compare DIR [--history N]   ecsd beside moto (and after N actions)
    report.py scale DIR                   one scale's ecsd figures
    report.py total FILE                  the successes summed over a file's runs
"""

import argparse
import os
import statistics
import sys

# (file name, what ecsd is asked, what moto is asked)
FIGURES = [
    ("get8", "`GET /v2.1/servers/{id}`, 8 connections", "DescribeInstances, one id"),
    ("get64", "`GET /v2.1/servers/{id}`, 64 connections", "DescribeInstances, one id"),
    ("power64", "`os-stop` / `os-start` alternating, 64 connections (202/s)",
     "StopInstances / StartInstances (200/s)"),
    ("reboot64", "reboot `SOFT`, 64 connections (202/s)", "RebootInstances (200/s)"),
]


def runs(path):
    """The runs of a figure: dicts of the RESULT fields."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("RESULT "):
                out.append({k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])})
    return out


def median_rate(path, field="ok"):
    rs = runs(path)
    if not rs:
        return None
    return statistics.median(r[field] / (r["duration_us"] / 1e6) for r in rs)


def troubles(path):
    """Answers that were neither success nor 409, and socket errors."""
    rs = runs(path)
    return sum(r["other"] for r in rs), sum(r["socket_errors"] for r in rs)


def facts(path):
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep:
                    out[k] = v
    return out


def num(x, digits=0):
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}" if x >= 100 or digits == 0 else f"{x:,.1f}"


def change(before, after):
    if before is None or after is None or before == 0:
        return "n/a"
    return f"{(after - before) / before * 100:+.1f} %"


def fact_rows(f, servers):
    """(label, value) of the resource figures."""
    rows = []
    if "rss_kib" in f:
        rss = int(f["rss_kib"])
        rows.append(("resident memory above the page cache (RssAnon) after creating the servers",
                     rss / 1024, "MiB", rss * 1024 / servers, "B/server"))
    if "du_kib" in f:
        du = int(f["du_kib"])
        rows.append(("data directory (`du -sk`)", du / 1024, "MiB", du * 1024 / servers, "B/server"))
    if "startup_ms" in f:
        rows.append(("start-up on that data dir, until `GET /` answers", float(f["startup_ms"]), "ms", None, ""))
    return rows


def print_facts(before, after, servers, history):
    print()
    if after:
        print(f"| resource | ecsd | after {history:,} actions | change |")
        print("|---|---|---|---|")
    else:
        print("| resource | ecsd |")
        print("|---|---|")
    after_rows = {r[0]: r for r in fact_rows(after, servers)} if after else {}
    for label, total, unit, per, per_unit in fact_rows(before, servers):
        cell = f"{num(total, 1)} {unit}" + (f" ({num(per)} {per_unit})" if per is not None else "")
        if after:
            a = after_rows.get(label)
            acell = (f"{num(a[1], 1)} {a[2]}" + (f" ({num(a[3])} {a[4]})" if a[3] is not None else "")) if a else "n/a"
            print(f"| {label} | {cell} | {acell} | {change(total, a[1] if a else None)} |")
        else:
            print(f"| {label} | {cell} |")


def warn_troubles(directory, prefixes):
    for prefix in prefixes:
        for name, _, _ in FIGURES:
            other, sock = troubles(os.path.join(directory, f"{prefix}.{name}"))
            if other or sock:
                print(f"note: {prefix} {name}: {other} unexpected answers, {sock} socket errors", file=sys.stderr)


def compare(directory, history):
    info = facts(os.path.join(directory, "run.facts"))
    servers = int(info.get("servers", "1"))
    after = history > 0
    print(f"ecsd vs moto {info.get('moto_version', '')}: {servers:,} servers / instances, "
          f"medians of {info.get('runs', '?')} runs of {info.get('duration', '?')} s, "
          f"wrk {info.get('threads', 2)} threads on loopback, {info.get('machine', '')}")
    print()
    head = "| request | ecsd | moto | ecsd/moto | ecsd 409/s |"
    rule = "|---|---|---|---|---|"
    if after:
        head += f" ecsd after {history:,} actions | change | 409/s after |"
        rule += "---|---|---|"
    print(head)
    print(rule)
    for name, label, moto_label in FIGURES:
        e = median_rate(os.path.join(directory, f"ecsd.{name}"))
        m = median_rate(os.path.join(directory, f"moto.{name}"))
        ratio = f"{e / m:.1f}x" if e is not None and m else "n/a"
        conflicts = median_rate(os.path.join(directory, f"ecsd.{name}"), "conflict")
        row = f"| {label}; moto: {moto_label} | {num(e)} | {num(m)} | {ratio} | {num(conflicts)} |"
        if after:
            a = median_rate(os.path.join(directory, f"after.{name}"))
            ac = median_rate(os.path.join(directory, f"after.{name}"), "conflict")
            row += f" {num(a)} | {change(e, a)} | {num(ac)} |"
        print(row)
    print_facts(facts(os.path.join(directory, "ecsd.facts")),
                facts(os.path.join(directory, "after.facts")) if after else None, servers, history)
    warn_troubles(directory, ["ecsd", "moto"] + (["after"] if after else []))


def scale(directory):
    info = facts(os.path.join(directory, "run.facts"))
    servers = int(info.get("servers", "1"))
    print(f"ecsd with {servers:,} servers: medians of {info.get('runs', '?')} runs of "
          f"{info.get('duration', '?')} s, wrk {info.get('threads', 2)} threads on loopback, "
          f"{info.get('machine', '')}")
    print()
    print("| request | ecsd | ecsd 409/s |")
    print("|---|---|---|")
    for name, label, _ in FIGURES:
        if name == "power64":
            continue
        path = os.path.join(directory, f"ecsd.{name}")
        print(f"| {label} | {num(median_rate(path))} | {num(median_rate(path, 'conflict'))} |")
    print_facts(facts(os.path.join(directory, "ecsd.facts")), None, servers, 0)
    warn_troubles(directory, ["ecsd"])


def total(path):
    print(sum(r["ok"] for r in runs(path)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["compare", "scale", "total"])
    p.add_argument("path")
    p.add_argument("--history", type=int, default=0)
    a = p.parse_args()
    if a.command == "compare":
        compare(a.path, a.history)
    elif a.command == "scale":
        scale(a.path)
    else:
        total(a.path)


if __name__ == "__main__":
    main()
