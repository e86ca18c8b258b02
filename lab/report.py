#!/usr/bin/python3
"""Turn lab/out/results.json and the raw data of each run into
lab/out/results.md (the table) and one PNG per scenario: failures per second
over time, stacked by kind, with the pods' and the load balancer's events
marked below, input and output side by side.

    lab/report.py [--check]   --check: exit 1 when an output variant dropped
                              a request or a run did not complete
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.environ.get("LAB_OUT", os.path.join(ROOT, "lab", "out"))

# Event rows of the plots: label -> (events, marker, colour).
ROWS = [
    ("created", ("created",), "o", "tab:blue"),
    ("Ready", ("ready",), "^", "tab:green"),
    ("in LB", ("target-healthy", "gate-true"), "P", "tab:olive"),
    ("terminating", ("terminating",), "v", "tab:orange"),
    ("out of LB", ("target-draining", "target-removed", "endpoint-removed", "endpoint-not-ready"), "x", "tab:purple"),
    ("SIGTERM", ("app-sigterm",), "s", "tab:red"),
    ("exit", ("app-exit", "deleted"), "D", "black"),
]
KIND_COLOURS = {"http_5xx": "tab:red", "refused": "tab:orange", "reset": "tab:purple",
                "timeout": "tab:brown", "eof": "tab:pink", "http_other": "tab:gray", "other": "black"}


def fmt_failed(f):
    return ", ".join("%s %d" % kv for kv in sorted(f.items())) if f else "0"


def table(results):
    scale = {r.get("scale", 1) for r in results}
    mixed = len(scale) > 1  # runs appended at another LAB_SCALE: a column says which
    lines = ["| scenario | kind | variant |%s requests | failed | rollout s | floor s | drain s | completed |" % (
        " scale |" if mixed else ""),
        "|---|---|---|%s---:|---|---:|---:|---:|---|" % ("---:|" if mixed else "")]
    for r in results:
        variant = r["variant"] + (" (calibrated)" if r.get("calibrated") and r["variant"] != "calibrated" else "")
        if r.get("sweep"):
            variant += " ×%g" % r.get("delay_factor", 1)
        lines.append("| %s | %s | %s |%s %d | %s | %s | %s | %s | %s |" % (
            r["scenario"], r["kind"], variant, " %g |" % r.get("scale", 1) if mixed else "",
            r.get("requests") or 0, fmt_failed(r.get("failed")),
            "" if r.get("rollout_seconds") is None else r["rollout_seconds"],
            "" if r.get("floor_seconds") is None else r["floor_seconds"],
            r.get("drain_seconds", ""), "yes" if r.get("completed") else "NO" + (
                " (%s)" % r["error"] if r.get("error") else "")))
    stress = sorted({(r.get("delay_factor", 1), r.get("jitter", 1)) for r in results})
    head = "Rollout lab results (LAB_SCALE=%s: every platform delay and the function's times divided by it; %s)\n\n" % (
        ",".join("%g" % s for s in sorted(scale)),
        "; ".join("LAB_DELAY_FACTOR=%g LAB_JITTER=%g" % fj for fj in stress))
    return head + "\n".join(lines) + "\n" + survival(results)


MARGIN = re.compile(r"up to ([\d.]+) s later than expected \(([\d.]+) s\) before a request fails \(preStop (\d+) s")


def stated_margins(scenario):
    """The detach margins the function stated for a scenario's output (its
    margin results), one per distinct figure: "preStop P s over the
    expected E s (×P/E)"."""
    p = os.path.join(OUT, "raw", scenario, "output", "fn-results", "results.yaml")
    if not os.path.exists(p):
        return ""
    import yaml
    seen = []
    msgs = []
    for doc in yaml.safe_load_all(open(p)):
        # kpt's FunctionResultList: items are the functions, each with its
        # results.
        for it in (doc or {}).get("items") or []:
            msgs += [x.get("message") or "" for x in it.get("results") or []] + [it.get("message") or ""]
    for msg in msgs:
        m = MARGIN.search(msg)
        if m:
            e, pre = float(m.group(2)), int(m.group(3))
            txt = "preStop %d s over %g s (×%.1f)" % (pre, e, pre / e) if e else "preStop %d s" % pre
            if txt not in seen:
                seen.append(txt)
    return "; ".join(seen)


def survival(results):
    """Per load-balancer scenario run at more than one delay factor: the
    output's failures at each factor and the largest factor it survives
    (every factor up to it: 0 failed, completed), beside the margin the
    function stated. "" when no scenario ran at several factors."""
    by = {}
    for r in results:
        if r["variant"] == "output" and not r.get("calibrated"):
            by.setdefault(r["scenario"], {})[r.get("delay_factor", 1)] = r
    rows = []
    for sc, runs in by.items():
        if len(runs) < 2:
            continue
        survived, ok = None, True
        cells = []
        for f in sorted(runs):
            r = runs[f]
            failed = sum((r.get("failed") or {}).values())
            cells.append("×%g: %s/%d" % (f, failed, r.get("requests") or 0))
            ok = ok and failed == 0 and bool(r.get("completed"))
            if ok:
                survived = f
        rows.append("| %s | %s | %s | %s |" % (sc, stated_margins(sc), ", ".join(cells),
                                               "none run" if survived is None else "%g" % survived))
    if not rows:
        return ""
    jit = sorted({r.get("jitter", 1) for r in results})
    return ("\nLargest delay factor each output survives (jitter %s; failed/requests per factor):\n\n"
            "| scenario | margin stated (detach) | output failed per factor | survives |\n|---|---|---|---:|\n"
            % ",".join("%g" % j for j in jit)) + "\n".join(rows) + "\n"


def load_run(scenario, variant):
    d = os.path.join(OUT, "raw", scenario, variant)
    res = json.load(open(os.path.join(d, "result.json"))) if os.path.exists(os.path.join(d, "result.json")) else {}
    t0 = res.get("t0")
    reqs = []
    p = os.path.join(d, "loadgen.jsonl")
    if os.path.exists(p):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from run import parse_t
        for line in open(p):
            try:
                r = json.loads(line)
            except ValueError:
                continue
            t = parse_t(r.get("t"))
            if t is not None:
                reqs.append((t, r.get("kind", "other")))
    events = json.load(open(os.path.join(d, "events.json"))) if os.path.exists(os.path.join(d, "events.json")) else []
    p = os.path.join(d, "lbsim.jsonl")
    if os.path.exists(p):
        from run import parse_t
        for line in open(p):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            t = parse_t(e.get("t"))
            if t is not None:
                events.append(dict(t=t, event=e.get("event"), pod=e.get("pod")))
    if t0 is None:
        ts = [t for t, _ in reqs] + [e["t"] for e in events]
        t0 = min(ts) if ts else 0
    return res, t0, reqs, events


def plot(scenario, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = [v for v in ("input", "output") if any(r["variant"] == v for r in results)]
    fig, axes = plt.subplots(2, len(variants), figsize=(7 * len(variants), 5.5), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 2]}, sharex="col")
    ymax = 1
    runs = {}
    for v in variants:
        runs[v] = load_run(scenario, v)
        res, t0, reqs, _ = runs[v]
        per = {}
        for t, k in reqs:
            if k != "ok":
                per[int(t - t0)] = per.get(int(t - t0), 0) + 1
        ymax = max([ymax] + list(per.values()))
    for i, v in enumerate(variants):
        res, t0, reqs, events = runs[v]
        ax, ev = axes[0][i], axes[1][i]
        end = max([t - t0 for t, _ in reqs] + [e["t"] - t0 for e in events] + [1])
        secs = list(range(int(end) + 1))
        bottom = [0] * len(secs)
        kinds = sorted({k for _, k in reqs if k != "ok"})
        for k in kinds:
            counts = [0] * len(secs)
            for t, kk in reqs:
                if kk == k and 0 <= int(t - t0) < len(secs):
                    counts[int(t - t0)] += 1
            ax.bar(secs, counts, width=1.0, align="edge", bottom=bottom, color=KIND_COLOURS.get(k, "black"),
                   label=k)
            bottom = [a + b for a, b in zip(bottom, counts)]
        for ph, span in (res.get("phases") or {}).items():
            ax.axvspan(span["start"], span["end"], color="tab:blue" if ph == "restart" else "tab:green",
                       alpha=0.08)
            ax.text(span["start"], ymax * 1.02, ph, fontsize=8, va="bottom")
        failed = sum((res.get("failed") or {}).values())
        ax.set_title("%s: %s — %d of %d requests failed" % (scenario, v, failed, res.get("requests") or 0),
                     fontsize=10)
        ax.set_ylim(0, ymax * 1.15 + 0.5)
        ax.set_ylabel("failed requests / s")
        if kinds:
            ax.legend(loc="upper right", fontsize=8)
        pods = sorted({e.get("pod") for e in events if e.get("pod")},
                      key=lambda p: min(e["t"] for e in events if e.get("pod") == p))
        for row, (label, names, marker, colour) in enumerate(ROWS):
            xs = [e["t"] - t0 for e in events if e.get("event") in names]
            ev.scatter(xs, [row] * len(xs), marker=marker, color=colour, s=22)
        ev.set_yticks(range(len(ROWS)))
        ev.set_yticklabels([r[0] for r in ROWS], fontsize=8)
        ev.set_ylim(-0.7, len(ROWS) - 0.3)
        ev.invert_yaxis()
        ev.grid(axis="x", alpha=0.3)
        ev.set_xlabel("seconds since load started (%d pods)" % len(pods))
        ev.set_xlim(0, end + 1)
    fig.tight_layout()
    path = os.path.join(OUT, "%s.png" % scenario)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    results = json.load(open(os.path.join(OUT, "results.json")))
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(table(results))
    for sc in dict.fromkeys(r["scenario"] for r in results):
        try:
            plot(sc, [r for r in results if r["scenario"] == sc and not r.get("sweep")])
        except Exception as e:  # a missing plot must not hide the table
            print("report: plot %s: %s" % (sc, e), file=sys.stderr)
    sys.stdout.write(table(results))
    if "--check" in sys.argv:
        # Sweep runs (LAB_SWEEP) find a limit: informational, not checked.
        bad = [r for r in results if not r.get("sweep") and (not r.get("completed") or
               (r["variant"] != "input" and sum((r.get("failed") or {}).values())))]
        for r in bad:
            print("lab: FAIL %s/%s: failed %s, completed %s %s" % (
                r["scenario"], r["variant"], fmt_failed(r.get("failed")), r.get("completed"),
                r.get("error", "")), file=sys.stderr)
        cal = os.path.join(OUT, "calibrate.json")
        if any(r.get("kind") == "calibrate" for r in results) and os.path.exists(cal):
            for c in json.load(open(cal)):
                print("lab: calibrate %s: true p95 attach %s detach %s, measured %s %s (%s samples): %s; "
                      "calibrated output failed %s, rollout %s s, floor %s s (default output %s s): %s" % (
                          c["path"], c["true"]["attach_seconds"], c["true"]["detach_seconds"],
                          c["measured"]["attach_seconds"], c["measured"]["detach_seconds"], c["samples"],
                          "within" if c["attach_ok"] and c["detach_ok"] else "OUT OF BOUNDS",
                          c.get("calibrated_failed"), c.get("calibrated_rollout_seconds"), c.get("floor_seconds"),
                          c.get("default_rollout_seconds"), "ok" if c.get("ok") else "FAIL"), file=sys.stderr)
                if not c.get("ok"):
                    bad.append(c)
        if bad:
            sys.exit(1)


if __name__ == "__main__":
    main()
