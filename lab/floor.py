"""floor_seconds: the time the platform itself needs for a rollout.

For the same rollout at the same surge, the floor is what no manifest can go
below: each wave's new pods start (created -> Ready) and the load balancer
attaches them and passes its health checks (lbsim's target-healthy), then the
next wave starts. Per workload: waves x the mean time from a new pod's
creation to serving (Ready, and healthy in the LB when the LB reports it;
with one pod per wave, the sum of the waves' times);
with several workloads rolled together, the slowest. rollout_seconds over
floor_seconds is then what the manifests' own waits (minReadySeconds,
gates) add on top of the platform.
"""
import math
import statistics

ROLLING_KINDS = ("Deployment", "Rollout", "ReplicaSet")


def _count(v, replicas, round_up):
    """maxSurge / maxUnavailable as pods: an int, or a percentage of
    replicas (surge rounds up, unavailable down, as Kubernetes does)."""
    if v is None:
        v = "25%"
    s = str(v)
    if s.endswith("%"):
        x = replicas * float(s[:-1]) / 100
        return int(math.ceil(x) if round_up else math.floor(x))
    return int(s)


def per_wave(obj):
    """How many new pods a workload's rollout starts at a time."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    replicas = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    if kind not in ROLLING_KINDS:
        return 1  # StatefulSet: one pod at a time; DaemonSet: one node
    strat = spec.get("strategy") or {}
    if strat.get("type") == "Recreate":
        return max(1, replicas)
    ru = strat.get("rollingUpdate") or {}
    if kind == "Rollout":
        ru = ((strat.get("canary") or {}) if isinstance(strat.get("canary"), dict) else {})
    surge = _count(ru.get("maxSurge"), replicas, True)
    unavail = _count(ru.get("maxUnavailable"), replicas, False)
    return max(1, surge + unavail)


def waves(obj):
    spec = obj.get("spec") or {}
    replicas = int(spec.get("replicas") if spec.get("replicas") is not None else 1)
    return int(math.ceil(max(1, replicas) / per_wave(obj)))


def startup_times(events, lb_events, pods, since, until):
    """Per new pod (created in [since, until]), seconds from created to
    serving: Ready, and target-healthy in the LB when the LB reported one
    for that pod (whichever is later)."""
    created, ready, healthy = {}, {}, {}
    for e in events:
        if e["pod"] not in pods:
            continue
        if e["event"] == "created":
            created.setdefault(e["pod"], e["t"])
        elif e["event"] == "ready":
            ready.setdefault(e["pod"], e["t"])
    for e in lb_events:
        if e.get("event") == "target-healthy" and e.get("pod") in pods:
            healthy.setdefault(e["pod"], e["t"])
    out = []
    for pod, t0 in created.items():
        if not (since <= t0 <= until) or pod not in ready:
            continue
        out.append(max(ready[pod], healthy.get(pod, ready[pod])) - t0)
    return out


def floor_seconds(workloads, events, lb_events, since, until):
    """workloads: the applied workload objects; events: the Recorder's
    (epoch t); lb_events: lbsim's (epoch t); since/until: the restart.
    None when no new pod was seen."""
    best = None
    pod_names = {e["pod"] for e in events}
    for obj in workloads:
        name = obj["metadata"]["name"]
        mine = {p for p in pod_names if p.startswith(name + "-")}
        times = startup_times(events, lb_events, mine, since, until)
        if not times:
            continue
        f = waves(obj) * statistics.mean(times)
        best = f if best is None else max(best, f)
    return None if best is None else round(best, 1)


def recompute(out):
    """Recompute floor_seconds of OUT/results.json (and the calibrate
    checks of OUT/calibrate.json) from the raw data of the runs:
    python3 lab/floor.py OUT."""
    import json
    import os
    import yaml
    from run import lb_events
    path = os.path.join(out, "results.json")
    results = json.load(open(path))
    for r in results:
        d = os.path.join(out, "raw", r["scenario"], r["variant"])
        if "restart" not in (r.get("phases") or {}) or not os.path.exists(os.path.join(d, "events.json")):
            continue
        docs = [o for o in yaml.safe_load_all(open(os.path.join(d, "applied.yaml"))) if o]
        ph = r["phases"]["restart"]
        r["floor_seconds"] = floor_seconds(
            [o for o in docs if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout")],
            json.load(open(os.path.join(d, "events.json"))), lb_events(os.path.join(d, "lbsim.jsonl")),
            r["t0"] + ph["start"], r["t0"] + ph["end"])
    json.dump(results, open(path, "w"), indent=1)
    cal = os.path.join(out, "calibrate.json")
    if os.path.exists(cal):
        entries = json.load(open(cal))
        from calibrate import CALIBRATE
        stories = {x["path"]: x["story"] for x in CALIBRATE}
        for c in entries:
            story = c.get("story") or stories[c["path"]]
            r = next((x for x in results if x["scenario"] == "calibrate-" + story and x["variant"] == "calibrated"), None)
            if r is None:
                continue
            c["floor_seconds"] = r["floor_seconds"]
            c["rollout_ok"] = bool(r.get("rollout_seconds") and r.get("floor_seconds") and
                                   r["rollout_seconds"] <= 1.5 * r["floor_seconds"])
            c["ok"] = (c["attach_ok"] and c["detach_ok"] and c["calibrated_failed"] == 0
                       and r.get("completed") and c["rollout_ok"])
        json.dump(entries, open(cal, "w"), indent=1)


if __name__ == "__main__":
    import sys
    recompute(sys.argv[1])
