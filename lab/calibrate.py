"""Scenario calibrate: the lab as graceful-rollout-calibrate's test bed.

For each story of CALIBRATE, lbsim runs with delays drawn from a seeded
random table (attach, detach and a jitter, LAB_SEED) that the calibrate
command never sees; calibrate measures them through the lab's load balancer
(--entry address:URL); each measured p95 must be within ±25 % of the true
one, or above it by at most 50 % (the safe side). The true figures are what
lbsim did: per target the time from the pod's Ready (the lab's pod watch,
as calibrate and minReadySeconds count from it) to healthy in the LB, and
each detach delay it waited. Then the story runs three times under the same hidden table:
input, output with the defaults, output with the calibrated overlay; the
calibrated output must drop nothing and roll out within 1.5 x floor_seconds.
Writes lab/out/calibrate.json.
"""
import datetime
import json
import os
import random
import signal
import subprocess
import time

import yaml

# path (profile) -> story, lbsim platform, the gate the platform's webhook
# injects, the table's attach and detach (real seconds) the hidden ones are
# drawn around.
CALIBRATE = [
    dict(story="story1-gke-gateway", path="gke-neg", platform="gke-neg",
         gate="cloud.google.com/load-balancer-neg-ready", gate_at="attach", attach=5, detach=10),
    dict(story="story3-eks-alb", path="eks-alb", platform="aws-alb", tgb="payments-api",
         gate="target-health.elbv2.k8s.aws/payments-api", gate_at="healthy", attach=5, detach=30),
    # Story 4 declares no TargetGroupBinding: the lab's (run.tgb_name).
    dict(story="story4-eks-fargate-alb", path="eks-fargate-alb", platform="aws-alb", tgb="lab-catalog",
         gate="target-health.elbv2.k8s.aws/lab-catalog", gate_at="healthy", attach=5, detach=30),
]


def hidden_table(c, seed):
    """The delays lbsim plays and calibrate must find: each 0.5-2 x the
    table's, with a per-event jitter (p95/median) of 1.2-1.8."""
    rng = random.Random("calibrate/%s/%d" % (c["path"], seed))
    return dict(attach=round(c["attach"] * rng.uniform(0.5, 2.0), 1),
                detach=round(c["detach"] * rng.uniform(0.5, 2.0), 1),
                jitter=round(rng.uniform(1.2, 1.8), 2), seed=seed)


def lbsim_args(h):
    return ["-set", "attach=%g" % h["attach"], "-set", "detach=%g" % h["detach"],
            "-jitter", "%g" % h["jitter"], "-seed", str(h["seed"])]


def quantile(xs, q):
    if not xs:
        return None
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def true_figures(events, gate_at, ready=None):
    """p95 of what lbsim did: the pod's Ready -> healthy in the LB per
    target, and each detach.

    ready maps a pod to the time its Ready condition turned True (the lab's
    pod watch): what calibrate measures from, and what minReadySeconds
    counts from. Without it (or for a pod it lacks) the time is taken from
    lbsim's own events as the gate implies: a NEG gate turns True at attach
    (healthy - added), an AWS gate at healthy (0), no gate: the attach
    delay waited before target-added plus health. The gate's condition
    reaches the pod's Ready a moment after lbsim sets it, so measuring from
    target-added overstates Ready -> served by that lag (25-30 % at
    LAB_SCALE=4)."""
    added, healthy, serve, detach = {}, {}, [], []
    ready = ready or {}
    for e in events:
        key = (e.get("ip"), e.get("port"), e.get("pod"))
        if e["event"] == "target-added":
            added[key] = (e["t"], e.get("delay") or 0)
        elif e["event"] == "target-healthy" and key in added and key not in healthy:
            healthy[key] = e["t"]
            t_add, d = added[key]
            if e.get("pod") in ready:
                serve.append(max(0.0, e["t"] - ready[e["pod"]]))
            elif gate_at == "attach":
                serve.append(e["t"] - t_add)
            elif gate_at == "healthy":
                serve.append(0.0)
            else:
                serve.append(e["t"] - t_add + d)
        elif e["event"] == "target-draining":
            detach.append(e.get("delay") or 0.0)
    return dict(attach_seconds=quantile(serve, 0.95), detach_seconds=quantile(detach, 0.95),
                attach_events=len(serve), detach_events=len(detach))


def ready_times(events):
    """The first time each pod turned Ready, from the lab's pod watch."""
    out = {}
    for e in events:
        if e["event"] == "ready" and e["pod"] not in out:
            out[e["pod"]] = e["t"]
    return out


def within(measured, true):
    """±25 %, or above by at most 50 % (the safe side); a true figure under
    half a second needs the measurement within half a second (the
    resolution of requests, watches and the EndpointSlice controller)."""
    if measured is None or true is None:
        return False
    if true < 0.5:
        return measured <= true + 0.5
    return 0.75 * true <= measured <= 1.5 * true


def measure(r, c, h, samples):
    """Run calibrate against lbsim with the hidden table; returns the
    overlay's figures (scaled seconds), lbsim's events and the pods' Ready
    times."""
    ns = "gr-lab-cal-" + c["path"]
    work = os.path.join(r.OUT, "raw", "calibrate", c["path"])
    os.makedirs(work, exist_ok=True)
    r.kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=300s", check=False)
    lport = r.free_port()
    overlay = os.path.join(work, "overlay.yaml")
    events = os.path.join(work, "lbsim.jsonl")
    if os.path.exists(events):
        os.remove(events)
    cmd = [os.path.join(r.BIN, "graceful-rollout-calibrate"), "--kubeconfig", r.KUBECONFIG,
           "--namespace", ns, "--entry", "address:http://127.0.0.1:%d/" % lport, "--path", c["path"],
           "--probe-image", "localhost/labapp:lab", "--readiness-gate", c["gate"],
           "--samples", str(samples), "--replicas", "3", "--rate", "30",
           "--quiet", "%gs" % max(1.5, 6 / r.SCALE), "--max-detach", "%ds" % int(c["detach"] * 4 / r.SCALE + 30),
           "--margin-min", "%g" % (2 / r.SCALE), "--cluster", "rollout-lab",
           "--out", overlay, "--plot", os.path.join(work, "plot.txt"), "--timeout", "5m"]
    r.log("calibrate/%s: measuring through lbsim (its delays drawn from a table calibrate does not see)" % c["path"])
    # The pods' Ready times, the start of the true Ready -> served.
    rec = r.Recorder(ns, work)
    rec.start()
    cal = subprocess.Popen(cmd, stdout=open(os.path.join(work, "calibrate.out"), "w"),
                           stderr=open(os.path.join(work, "calibrate.log"), "w"), start_new_session=True)
    r.track(cal, "calibrate")
    lb = None
    try:
        end = time.time() + 120
        while time.time() < end and cal.poll() is None:
            if r.kubectl("get", "svc", "-n", ns, "calibrate-probe", check=False).returncode == 0:
                break
            time.sleep(0.5)
        lcmd = [os.path.join(r.BIN, "lab-lbsim"), "-kubeconfig", r.KUBECONFIG, "-platform", c["platform"],
                "-namespace", ns, "-service", "calibrate-probe", "-port", "http",
                "-listen", "127.0.0.1:%d" % lport, "-haproxy", "/usr/sbin/haproxy",
                "-scale", "%g" % r.SCALE, "-events", events] + lbsim_args(h)
        if c.get("tgb"):
            lcmd += ["-tgb", c["tgb"]]
        lb = subprocess.Popen(lcmd, stdout=open(os.path.join(work, "lbsim.log"), "w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
        r.track(lb, "lbsim")
        rc = cal.wait(timeout=3600)
        r.untrack("calibrate")
        if rc != 0:
            raise RuntimeError("calibrate exited %d: %s" % (rc, open(os.path.join(work, "calibrate.log")).read()[-800:]))
    finally:
        for p, name in ((cal, "calibrate"), (lb, "lbsim")):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT if name == "calibrate" else signal.SIGTERM)
                try:
                    p.wait(120)
                except subprocess.TimeoutExpired:
                    p.kill()
            r.untrack(name)
        rec.close()
    doc = yaml.safe_load(open(overlay))
    m = doc["spec"]["measured"][c["path"]]
    evs = []
    for line in open(events):
        e = json.loads(line)
        e["t"] = r.parse_t(e["t"])
        evs.append(e)
    return m, evs, ready_times(rec.events)


def run(r, seed, samples, paths=None, variants=("input", "output", "calibrated")):
    """Scenario calibrate; returns (results, checks). paths limits the
    paths measured, variants the story's runs (make test: gke-neg,
    calibrated only)."""
    out, results = [], []
    scs = {s["name"]: s for s in r.SCENARIOS}
    for c in CALIBRATE:
        if paths and c["path"] not in paths:
            continue
        h = hidden_table(c, seed)
        m, evs, ready = measure(r, c, h, samples)
        true = true_figures(evs, c["gate_at"], ready)
        measured = dict(attach_seconds=m.get("attachSeconds"), detach_seconds=m.get("detachSeconds"))
        entry = dict(path=c["path"], story=c["story"], samples=m.get("samples"), scale=r.SCALE,
                     true=dict(attach_seconds=rnd(true["attach_seconds"]), detach_seconds=rnd(true["detach_seconds"])),
                     measured=measured, margin_seconds=m.get("marginSeconds"),
                     hidden=dict(h, note="lbsim's table at LAB_SCALE=1 seconds; every figure above is in the lab's scaled seconds"),
                     attach_ok=within(measured["attach_seconds"], true["attach_seconds"]),
                     detach_ok=within(measured["detach_seconds"], true["detach_seconds"]))
        r.log("calibrate/%s: true p95 attach %s detach %s; measured %s %s (%s samples)" % (
            c["path"], entry["true"]["attach_seconds"], entry["true"]["detach_seconds"],
            measured["attach_seconds"], measured["detach_seconds"], entry["samples"]))
        # The story under the same hidden table: input, default output,
        # output with the overlay (its seconds back at LAB_SCALE=1, as the
        # lab divides every time of the manifests by the scale).
        sc = dict(scs[c["story"]], name="calibrate-" + c["story"], kind="calibrate", lbsim_args=lbsim_args(h))
        date = datetime.date.today().isoformat()
        extra = ["measured.cluster=rollout-lab", "measured.date=" + date,
                 "measured.%s.detachSeconds=%g" % (c["path"], round(measured["detach_seconds"] * r.SCALE, 1)),
                 "measured.%s.marginSeconds=%g" % (c["path"], round(m["marginSeconds"] * r.SCALE, 1)),
                 "measured.%s.samples=%d" % (c["path"], m["samples"])]
        if measured["attach_seconds"] is not None:
            extra.append("measured.%s.attachSeconds=%g" % (c["path"], round(measured["attach_seconds"] * r.SCALE, 1)))
        entry["overlay_args"] = extra
        runs = {}
        for variant in variants:
            s = dict(sc, extra_config=extra if variant == "calibrated" else None)
            res = r.run_one(s, variant)
            results.append(res)
            runs[variant] = res
        cal = runs["calibrated"]
        entry["calibrated_failed"] = sum((cal.get("failed") or {}).values())
        entry["calibrated_rollout_seconds"] = cal.get("rollout_seconds")
        entry["floor_seconds"] = cal.get("floor_seconds")
        entry["default_rollout_seconds"] = (runs.get("output") or {}).get("rollout_seconds")
        entry["rollout_ok"] = bool(cal.get("rollout_seconds") and cal.get("floor_seconds") and
                                   cal["rollout_seconds"] <= 1.5 * cal["floor_seconds"])
        entry["ok"] = (entry["attach_ok"] and entry["detach_ok"] and entry["calibrated_failed"] == 0
                       and cal.get("completed") and entry["rollout_ok"])
        out.append(entry)
        with open(os.path.join(r.OUT, "calibrate.json"), "w") as f:
            json.dump(out, f, indent=1)
    return results, out


def rnd(x):
    return None if x is None else round(x, 2)
