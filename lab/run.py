#!/usr/bin/python3
"""Run the rollout lab's scenarios against the node lab/node.sh brought up.

For each scenario and variant (input: the manifests as written; output: what
`kpt fn eval --exec graceful-rollout` makes of them): swap the images for the
lab app, scale every time by LAB_SCALE, apply into the lab namespace, put the
platform's load balancer (lab-lbsim) in front, run lab-loadgen against it,
`kubectl rollout restart` and a one-pod-at-a-time eviction under load, and
record loadgen's requests, lbsim's and the pods' events. Results go to
lab/out/results.json (and raw data to lab/out/raw/).

Environment: LAB_SCALE (default 1), LAB_SCENARIOS=a,b, LAB_MANIFESTS=DIR with
LAB_PROFILE=NAME (a user's own manifests, as scenario "custom"), LAB_RATE
(requests per second, default 50), LAB_APPEND=1 (keep other scenarios' results), LAB_DIR, GR_CACHE, GR_FN (the function).
Stress: LAB_DELAY_FACTOR=F multiplies every load-balancer attach and detach
delay, LAB_JITTER=J draws each event's delay with p95/median = J, seeded by
LAB_SEED (default 1); the same for input and output.
"""
import copy
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenarios import APP, SCENARIOS  # noqa: E402
import fit  # noqa: E402
import floor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("GR_CACHE", os.path.expanduser("~/.cache/graceful-rollout"))
LAB = os.environ.get("LAB_DIR", os.path.join(CACHE, "lab"))
BIN = os.path.join(CACHE, "bin")
OUT = os.environ.get("LAB_OUT", os.path.join(ROOT, "lab", "out"))
FN = os.environ.get("GR_FN", os.path.join(ROOT, "bin", "graceful-rollout"))
SCALE = float(os.environ.get("LAB_SCALE", "1") or 1)
RATE = int(os.environ.get("LAB_RATE", "50"))
DELAY_FACTOR = float(os.environ.get("LAB_DELAY_FACTOR", "1") or 1)
JITTER = float(os.environ.get("LAB_JITTER", "1") or 1)
# LAB_SWEEP=2,3: each load-balancer scenario's output again at these delay
# factors (same jitter and seed); report.py gives the largest it survives.
SWEEP = [float(x) for x in os.environ.get("LAB_SWEEP", "").split(",") if x.strip()]
SEED = int(os.environ.get("LAB_SEED", "1") or 1)
KUBECONFIG = os.path.join(LAB, "etc", "admin.kubeconfig")
ENV = dict(os.environ, KUBECONFIG=KUBECONFIG)
WORKLOAD_KINDS = fit.WORKLOAD_KINDS
NEG_GATE = "cloud.google.com/load-balancer-neg-ready"
AWS_INJECT = "elbv2.k8s.aws/pod-readiness-gate-inject"


def log(msg):
    print(time.strftime("%H:%M:%S") + " [lab/run] " + msg, file=sys.stderr, flush=True)


def now():
    return time.time()


def kubectl(*args, check=True, inp=None, timeout=None):
    p = subprocess.run(["kubectl", *args], env=ENV, input=inp, capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("kubectl %s: %s" % (" ".join(args), p.stderr.strip()))
    return p


def scaled(seconds):
    """A time of the manifests divided by LAB_SCALE, rounded up (never 0
    from >0). Parts of the lab run at their real speed whatever the scale
    (kube-proxy's iptables sync, kubelet status updates, the EndpointSlice
    controller: about a second on a busy 2-core machine), so a scale that
    brings the smallest preStop (generic's 5 s) near that second measures
    the lab, not the manifests: keep LAB_SCALE <= 4."""
    if SCALE == 1 or not seconds:
        return seconds
    return max(1, math.ceil(seconds / SCALE))


def track(proc, name):
    """Record a helper process's PID so lab/node.sh down can stop it."""
    os.makedirs(os.path.join(LAB, "pids"), exist_ok=True)
    with open(os.path.join(LAB, "pids", "run-%s.pid" % name), "w") as f:
        f.write(str(proc.pid))


def untrack(name):
    try:
        os.remove(os.path.join(LAB, "pids", "run-%s.pid" % name))
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------- manifests

def load_dir(d):
    docs = []
    for root, dirs, files in os.walk(d):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                with open(os.path.join(root, f)) as fh:
                    docs += [x for x in yaml.safe_load_all(fh) if x]
    return [x for x in docs if x.get("kind") != "Kptfile" and
            ((x.get("metadata") or {}).get("annotations") or {}).get(
                "config.kubernetes.io/local-config") != "true"]


def kptfile_mutator(src):
    """The first mutator of the package's Kptfile pipeline (the function's
    step in the examples), or None without a Kptfile."""
    path = os.path.join(src, "Kptfile")
    if not os.path.exists(path):
        return None
    kf = yaml.safe_load(open(path)) or {}
    return ((kf.get("pipeline") or {}).get("mutators") or [{}])[0]


def config_profile(path):
    """The profile named in a functionConfig file (GracefulRollout spec or
    ConfigMap data)."""
    c = yaml.safe_load(open(path)) or {}
    return (c.get("spec") or {}).get("profile") or (c.get("data") or {}).get("profile")


def fn_args(sc, src):
    """kpt fn eval arguments for the scenario's function config: the
    Kptfile's configMap or configPath, or the scenario's own config."""
    if sc.get("fn_config"):
        return ["--fn-config", sc["fn_config"]]
    if sc.get("config"):
        return ["--"] + ["%s=%s" % kv for kv in sc["config"].items()]
    m = kptfile_mutator(src)
    if "configPath" in m:
        return ["--fn-config", os.path.join(src, m["configPath"])]
    return ["--"] + ["%s=%s" % kv for kv in (m.get("configMap") or {}).items()]


def with_overlay(path, flat, work):
    """A copy of the functionConfig file at path with the flat keys
    (measured.x.y=v) added: to a ConfigMap's data as they are, to a typed
    config under spec (nested). Returns the copy's path."""
    cfg = yaml.safe_load(open(path))
    for kv in flat:
        k, v = kv.split("=", 1)
        if cfg.get("kind") == "ConfigMap":
            cfg.setdefault("data", {})[k] = v
            continue
        node = cfg.setdefault("spec", {})
        parts = k.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        try:
            node[parts[-1]] = int(v) if v.isdigit() else float(v)
        except ValueError:
            node[parts[-1]] = v
    out = os.path.join(work, "fn-config-calibrated.yaml")
    with open(out, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return out


def render(sc, variant, work):
    src = os.path.join(ROOT, sc["dir"]) if not os.path.isabs(sc["dir"]) else sc["dir"]
    dst = os.path.join(work, "manifests")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".expected"))
    if variant != "input":
        args = fn_args(sc, src)
        if args[0] == "--fn-config" and not sc.get("fn_config"):
            args[1] = os.path.join(dst, os.path.relpath(args[1], src))
        if sc.get("extra_config"):
            # The calibrated overlay's figures: flat keys after "--", or
            # added to a copy of the config file (a ConfigMap's data, a
            # typed config's spec.measured), as a user would.
            if args[0] == "--":
                args = args + sc["extra_config"]
            else:
                args = ["--fn-config", with_overlay(args[1], sc["extra_config"], work)]
        p = subprocess.run(["kpt", "fn", "eval", dst, "--exec", FN, "--results-dir",
                            os.path.join(work, "fn-results")] + args,
                           capture_output=True, text=True)
        with open(os.path.join(work, "kpt.log"), "w") as f:
            f.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise RuntimeError("kpt fn eval failed: " + p.stderr.strip()[-600:])
    return load_dir(dst)


def scale_manifests(docs):
    """Divide the times of the manifests (preStop, grace, minReady, LB drain)
    by LAB_SCALE."""
    if SCALE == 1:
        return
    for o in docs:
        k = o.get("kind")
        spec = o.get("spec") or {}
        if k in WORKLOAD_KINDS:
            if spec.get("minReadySeconds"):
                spec["minReadySeconds"] = scaled(spec["minReadySeconds"])
            ps = spec["template"]["spec"]
            if ps.get("terminationGracePeriodSeconds"):
                ps["terminationGracePeriodSeconds"] = scaled(ps["terminationGracePeriodSeconds"])
            for c in (ps.get("containers") or []) + (ps.get("initContainers") or []):
                pre = (c.get("lifecycle") or {}).get("preStop") or {}
                if "sleep" in pre:
                    pre["sleep"]["seconds"] = scaled(pre["sleep"]["seconds"])
                if "exec" in pre:
                    pre["exec"]["command"] = [re.sub(r"^(\d+)$", lambda m: str(scaled(int(m.group(1)))), a)
                                              for a in pre["exec"]["command"]]
                if "httpGet" in pre:
                    pre["httpGet"]["path"] = re.sub(
                        r"seconds=(\d+)", lambda m: "seconds=%d" % scaled(int(m.group(1))),
                        pre["httpGet"].get("path", ""))
        if k == "GCPBackendPolicy":
            cd = ((spec.get("default") or {}).get("connectionDraining") or {})
            if cd.get("drainingTimeoutSec"):
                cd["drainingTimeoutSec"] = scaled(cd["drainingTimeoutSec"])
        if k == "BackendConfig":
            cd = spec.get("connectionDraining") or {}
            if cd.get("drainingTimeoutSec"):
                cd["drainingTimeoutSec"] = scaled(cd["drainingTimeoutSec"])
        if k == "TargetGroupConfiguration":
            for a in ((spec.get("defaultConfiguration") or {}).get("targetGroupAttributes") or []):
                if a.get("key") == "deregistration_delay.timeout_seconds" and str(a.get("value", "")).isdigit():
                    a["value"] = str(scaled(int(a["value"])))
        ann = (o.get("metadata") or {}).get("annotations") or {}
        for a, v in list(ann.items()):
            if not isinstance(v, str):
                continue
            if "deregistration_delay.timeout_seconds=" in v:
                ann[a] = re.sub(r"deregistration_delay\.timeout_seconds=(\d+)",
                                lambda m: "deregistration_delay.timeout_seconds=%d" % scaled(int(m.group(1))), v)
            if a == "appgw.ingress.kubernetes.io/connection-draining-timeout":
                ann[a] = str(scaled(int(v)))


def emulate_webhooks(sc, docs):
    """What the platforms' admission webhooks add to pods, which no lab
    controller can: GKE injects the NEG readiness gate into pods behind a
    container-native LB (Gateway/NEG Services); the AWS controller injects
    target-health.elbv2.k8s.aws/<TargetGroupBinding> into pods of labelled
    namespaces for IP targets. Added to the pod template, for both variants."""
    gates = []
    svc = next((o for o in docs if o.get("kind") == "Service" and
                o["metadata"]["name"] == sc.get("service")), None)
    if sc.get("platform") == "gke-neg":
        gates.append(NEG_GATE)
    if sc.get("platform") in ("aws-alb", "aws-nlb"):
        labelled = any(o.get("kind") == "Namespace" and
                       ((o["metadata"].get("labels") or {}).get(AWS_INJECT) == "enabled")
                       for o in docs)
        if labelled:
            gates.append("target-health.elbv2.k8s.aws/" + tgb_name(sc))
    if not gates or svc is None:
        return
    for o in docs:
        if o.get("kind") in WORKLOAD_KINDS and fit.selects(svc, o):
            ps = o["spec"]["template"]["spec"]
            have = {g.get("conditionType") for g in ps.get("readinessGates") or []}
            for g in gates:
                if g not in have:
                    ps.setdefault("readinessGates", []).append({"conditionType": g})


def tgb_name(sc):
    return sc.get("tgb") or "lab-" + (sc.get("service") or "app")


_KINDS = {}


def api_kinds():
    """{(apiVersion, kind): namespaced} of the lab's API server."""
    if not _KINDS:
        p = kubectl("api-resources", "--no-headers", "-o", "wide")
        for line in p.stdout.splitlines():
            f = line.split()
            # NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS...
            i = next(i for i, x in enumerate(f) if x in ("true", "false"))
            _KINDS[(f[i - 1], f[i + 1])] = f[i] == "true"
        # api-resources lists each group at its preferred version only; a
        # CRD serves the others too (TargetGroupConfiguration v1beta1).
        p = kubectl("get", "crd", "-o", "json")
        if p.returncode == 0:
            for crd in json.loads(p.stdout).get("items", []):
                spec = crd.get("spec", {})
                for v in spec.get("versions", []):
                    if v.get("served"):
                        _KINDS[(spec["group"] + "/" + v["name"], spec["names"]["kind"])] = spec.get("scope") == "Namespaced"
    return _KINDS


def known(docs, notes):
    """Objects of kinds the lab's API server serves; the rest are noted."""
    kinds = api_kinds()
    keep = []
    for o in docs:
        if (o.get("apiVersion"), o.get("kind")) in kinds:
            keep.append(o)
        else:
            notes.add("not applied (no such kind in the lab: %s %s)" % (o.get("apiVersion"), o.get("kind")),
                      (o.get("metadata") or {}).get("name"))
    return keep


def relocate(docs, ns):
    """Everything namespaced goes into the lab's namespace ns (Namespace
    objects are renamed, their labels kept)."""
    kinds = api_kinds()
    out = []
    have_ns = False
    for o in docs:
        o = copy.deepcopy(o)
        md = o.setdefault("metadata", {})
        if o.get("kind") == "Namespace":
            if have_ns:
                continue
            md["name"] = ns
            have_ns = True
        elif kinds.get((o.get("apiVersion"), o.get("kind")), True):
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        out.append(o)
    if not have_ns:
        out.insert(0, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    # The Namespace first: kubectl apply creates in file order.
    return sorted(out, key=lambda o: o.get("kind") != "Namespace")


# ---------------------------------------------------------------- watchers

class Recorder:
    """Timestamped events of pods (created, ready, gate, terminating, deleted),
    EndpointSlices (endpoint ready/removed), and the app's own log lines
    (sigterm, exit), all in one list."""

    def __init__(self, ns, path):
        self.ns, self.path = ns, path
        self.events = []
        self.lock = threading.Lock()
        self.procs = []
        self.pods = {}
        self.logs_started = set()
        self.eps = {}
        self.stop = False

    def add(self, ev, pod, t=None, **kw):
        with self.lock:
            self.events.append(dict(t=t or now(), event=ev, pod=pod, **kw))

    def watch(self, path, handler, name):
        p = subprocess.Popen(["kubectl", "get", "--raw", path], env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        track(p, name)

        def loop():
            for line in p.stdout:
                try:
                    handler(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    pass
        threading.Thread(target=loop, daemon=True).start()

    def start(self):
        self.watch("/api/v1/namespaces/%s/pods?watch=true" % self.ns, self.on_pod, "watch-pods")
        self.watch("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?watch=true" % self.ns,
                   self.on_slice, "watch-slices")

    def on_pod(self, ev):
        o = ev["object"]
        name = o["metadata"]["name"]
        st = self.pods.setdefault(name, set())
        if ev["type"] == "DELETED":
            self.add("deleted", name)
            return
        if "created" not in st:
            st.add("created")
            self.add("created", name)
        conds = {c["type"]: c["status"] for c in (o.get("status") or {}).get("conditions") or []}
        for ctype, mark in (("Ready", "ready"),):
            if conds.get(ctype) == "True" and mark not in st:
                st.add(mark)
                self.add(mark, name)
            if conds.get(ctype) == "False" and mark in st:
                st.discard(mark)
                self.add("not-ready", name)
        for g in (o.get("spec") or {}).get("readinessGates") or []:
            ct = g["conditionType"]
            if conds.get(ct) == "True" and ("gate:" + ct) not in st:
                st.add("gate:" + ct)
                self.add("gate-true", name)
        if o["metadata"].get("deletionTimestamp") and "terminating" not in st:
            st.add("terminating")
            self.add("terminating", name)
        running = any("running" in (cs.get("state") or {})
                      for cs in (o.get("status") or {}).get("containerStatuses") or [])
        if running and name not in self.logs_started:
            self.logs_started.add(name)
            self.follow_logs(name)

    def on_slice(self, ev):
        o = ev["object"]
        cur = {}
        if ev["type"] != "DELETED":
            for e in o.get("endpoints") or []:
                pod = (e.get("targetRef") or {}).get("name")
                if pod:
                    cur[pod] = bool((e.get("conditions") or {}).get("ready"))
        key = o["metadata"]["name"]
        before = self.eps.get(key, {})
        for pod, ready in cur.items():
            if before.get(pod) != ready:
                self.add("endpoint-ready" if ready else "endpoint-not-ready", pod)
        for pod in before:
            if pod not in cur:
                self.add("endpoint-removed", pod)
        self.eps[key] = cur

    def follow_logs(self, pod):
        f = open(os.path.join(self.path, "app-%s.jsonl" % pod), "w")
        p = subprocess.Popen(["kubectl", "logs", "-f", "-n", self.ns, "--all-containers",
                              "pod/" + pod], env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)

        def loop():
            for line in p.stdout:
                f.write(line)
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("event") in ("sigterm", "exit", "ready"):
                    self.add("app-" + e["event"], pod, t=parse_t(e.get("t")) or now())
            f.close()
        threading.Thread(target=loop, daemon=True).start()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        untrack("watch-pods")
        untrack("watch-slices")


def parse_t(s):
    """RFC3339Nano (UTC) -> epoch seconds."""
    if not s:
        return None
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        return None
    import calendar
    base = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    frac = float("0" + m.group(2)) if m.group(2) else 0.0
    off = 0
    if m.group(3) != "Z":
        sign = 1 if m.group(3)[0] == "+" else -1
        off = sign * (int(m.group(3)[1:3]) * 3600 + int(m.group(3)[4:6]) * 60)
    return base + frac - off


# ---------------------------------------------------------------- actions

def workloads(docs):
    return [(o["kind"], o["metadata"]["name"]) for o in docs if o.get("kind") in WORKLOAD_KINDS]


def wait_rollout(ns, wl, timeout):
    ok = True
    for kind, name in wl:
        if kind == "ReplicaSet":
            continue
        p = kubectl("rollout", "status", "-n", ns, "%s/%s" % (kind.lower(), name),
                    "--timeout=%ds" % timeout, check=False, timeout=timeout + 30)
        ok = ok and p.returncode == 0
    return ok


def pods_of(ns):
    p = kubectl("get", "pods", "-n", ns, "-o", "json")
    return json.loads(p.stdout)["items"]


def wait_gone(ns, uids, timeout):
    """Wait until no pod of these UIDs exists (a StatefulSet's replacement
    has the same name, never the same UID)."""
    end = now() + timeout
    while now() < end:
        left = {p["metadata"]["uid"] for p in pods_of(ns)} & set(uids)
        if not left:
            return True
        time.sleep(0.5)
    return False


def restart(ns, wl, timeout):
    """kubectl rollout restart of every workload; done when every rollout
    finished and the old pods are gone."""
    old = [p["metadata"]["uid"] for p in pods_of(ns)]
    t0 = now()
    for kind, name in wl:
        if kind != "ReplicaSet":
            kubectl("rollout", "restart", "-n", ns, "%s/%s" % (kind.lower(), name))
    ok = wait_rollout(ns, wl, timeout)
    t1 = now()
    ok = wait_gone(ns, old, timeout) and ok
    return dict(ok=ok, start=t0, rolled=t1, end=now())


def drain(ns, wl, timeout):
    """A node drain, one pod at a time, as `kubectl drain` does it node by
    node: evict the pod (retrying while a PodDisruptionBudget refuses),
    wait until it is gone, then the next. DaemonSet pods are skipped, as
    kubectl drain skips them. Done when every workload is available again."""
    t0 = now()
    ok = True
    end = t0 + timeout
    victims = [p for p in pods_of(ns)
               if not any(r.get("kind") == "DaemonSet" for r in p["metadata"].get("ownerReferences") or [])]
    for p in victims:
        name = p["metadata"]["name"]
        body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                           "metadata": {"name": name, "namespace": ns}})
        while True:
            r = kubectl("create", "--raw", "/api/v1/namespaces/%s/pods/%s/eviction" % (ns, name),
                        "-f", "-", inp=body, check=False)
            if r.returncode == 0 or "NotFound" in r.stderr or "not found" in r.stderr:
                break
            if now() > end:
                ok = False
                break
            time.sleep(1)  # 429: the budget allows no disruption now
        if not ok:
            break
        ok = wait_gone(ns, [p["metadata"]["uid"]], max(1, end - now())) and ok
    ok = ok and wait_rollout(ns, wl, max(1, int(end - now())))
    return dict(ok=ok, start=t0, end=now())


# ---------------------------------------------------------------- one run

def service_target(ns, sc):
    svc = json.loads(kubectl("get", "svc", "-n", ns, sc["service"], "-o", "json").stdout)
    port = sc["port"]
    for p in svc["spec"]["ports"]:
        if str(p.get("name")) == str(port) or str(p["port"]) == str(port):
            return svc["spec"]["clusterIP"], p["port"]
    raise RuntimeError("service %s has no port %s" % (sc["service"], port))


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, timeout):
    import urllib.request
    end = now() + timeout
    while now() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def wait_tcp(target, timeout):
    import socket
    host, port = target.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    end = now() + timeout
    while now() < end:
        try:
            socket.create_connection((host, int(port)), timeout=2).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def lb_events(path):
    """lbsim's events with epoch times (none when it did not run)."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        e["t"] = parse_t(e.get("t"))
        if e["t"] is not None:
            out.append(e)
    return out


def run_one(sc, variant, factor=None):
    """One variant of a scenario; factor (LAB_SWEEP) runs it at another
    delay factor than LAB_DELAY_FACTOR, in its own raw directory."""
    name = sc["name"]
    dfactor = DELAY_FACTOR if factor is None else factor
    tag = variant if factor is None else "%s-x%g" % (variant, factor)
    work = os.path.join(OUT, "raw", name, tag)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ns = ("gr-lab-" + name)[:50].rstrip("-") + "-" + variant[:3] + ("" if factor is None else ("x%g" % factor).replace(".", "-"))
    res = dict(scenario=name, kind=sc["kind"], variant=variant, requests=0, failed={},
               rollout_seconds=None, floor_seconds=None, completed=False, scale=SCALE,
               delay_factor=dfactor, jitter=JITTER, seed=SEED,
               calibrated=variant == "calibrated", sweep=factor is not None)
    log("%s/%s: render" % (name, tag))
    docs = render(sc, variant, work)
    docs, notes = fit.fit(docs, APP)
    docs = known(docs, notes)
    if notes.lines():
        with open(os.path.join(work, "fit.txt"), "w") as f:
            f.write("\n".join(notes.lines()) + "\n")
        if variant == "input":
            log("%s: fitted to the lab (same for both variants; %s):\n  %s" % (
                name, os.path.join(work, "fit.txt"), "\n  ".join(notes.lines())))
    scale_manifests(docs)
    emulate_webhooks(sc, docs)
    docs = relocate(docs, ns)
    with open(os.path.join(work, "applied.yaml"), "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)
    wl = workloads(docs)
    timeout = int(900 / SCALE) + 120

    kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=300s", check=False)
    rec = Recorder(ns, work)
    procs = {}
    phases = {}
    try:
        kubectl("apply", "-f", os.path.join(work, "applied.yaml"))
        # The namespace exists now; watch it from before the first pod runs.
        rec.start()
        lb = None
        target = None
        if sc.get("platform"):
            lport = free_port()
            target = "http://127.0.0.1:%d/" % lport
            if sc["platform"] == "kube-proxy":
                # No load balancer: the real kube-proxy routes the ClusterIP;
                # lbsim only records the endpoints' events.
                ip, port = service_target(ns, sc)
                target = "http://%s:%d/" % (ip, port)
                if sc.get("scheme") == "grpc":
                    target = "grpc://%s:%d" % (ip, port)
            cmd = [os.path.join(BIN, "lab-lbsim"), "-kubeconfig", KUBECONFIG, "-platform", sc["platform"],
                   "-namespace", ns, "-service", sc["service"], "-port", str(sc["port"]),
                   "-listen", "127.0.0.1:%d" % lport, "-haproxy", "/usr/sbin/haproxy",
                   "-scale", "%g" % SCALE, "-events", os.path.join(work, "lbsim.jsonl")]
            if sc["platform"].startswith("aws"):
                cmd += ["-tgb", tgb_name(sc)]
            cmd += ["-delay-factor", "%g" % dfactor, "-jitter", "%g" % JITTER, "-seed", str(SEED)]
            cmd += sc.get("lbsim_args") or []
            lb = subprocess.Popen(cmd, stdout=open(os.path.join(work, "lbsim.log"), "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
            procs["lbsim"] = lb
            track(lb, "lbsim")
        up = wait_rollout(ns, wl, timeout)
        if not up:
            raise RuntimeError("workloads of %s did not become available" % name)
        if target and not (wait_tcp if target.startswith("grpc:") else wait_http)(target, 120 / SCALE + 60):
            raise RuntimeError("%s does not answer before the rollout" % target)
        lg = None
        if target:
            lg = subprocess.Popen([os.path.join(BIN, "lab-loadgen"), "-target", target, "-rate", str(RATE),
                                   "-duration", "2h", "-timeout", "5s",
                                   "-out", os.path.join(work, "loadgen.jsonl")],
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(work, "loadgen.log"), "w"),
                                  text=True, start_new_session=True)
            procs["loadgen"] = lg
            track(lg, "loadgen")
        settle = max(2.0, 10 / SCALE)
        t_load = now()
        time.sleep(settle)
        ok = True
        for action in sc["actions"]:
            log("%s/%s: %s" % (name, variant, action))
            if action == "restart":
                phases["restart"] = restart(ns, wl, timeout)
            else:
                phases["drain"] = drain(ns, wl, timeout)
            ok = ok and phases[action]["ok"]
            time.sleep(settle)
        if lg:
            lg.send_signal(signal.SIGTERM)
            out, _ = lg.communicate(timeout=30)
            untrack("loadgen")
            summary = json.loads(out.strip().splitlines()[-1])
            res["requests"] = summary.get("requests", 0)
            res["failed"] = {k: v for k, v in (summary.get("failed") or {}).items() if v}
        if "restart" in phases:
            res["rollout_seconds"] = round(phases["restart"]["rolled"] - phases["restart"]["start"], 1)
            res["restart_seconds"] = round(phases["restart"]["end"] - phases["restart"]["start"], 1)
        if "drain" in phases:
            res["drain_seconds"] = round(phases["drain"]["end"] - phases["drain"]["start"], 1)
        res["completed"] = ok
        res["phases"] = {k: dict(start=v["start"] - t_load, end=v["end"] - t_load) for k, v in phases.items()}
        res["t0"] = t_load
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        res["error"] = str(e)
        log("%s/%s: %s" % (name, variant, e))
    finally:
        for k, p in procs.items():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
            untrack(k)
        rec.close()
        with open(os.path.join(work, "events.json"), "w") as f:
            json.dump(sorted(rec.events, key=lambda e: e["t"]), f, indent=0)
        if "restart" in phases:
            res["floor_seconds"] = floor.floor_seconds(
                [o for o in docs if o.get("kind") in WORKLOAD_KINDS], rec.events,
                lb_events(os.path.join(work, "lbsim.jsonl")),
                phases["restart"]["start"], phases["restart"]["end"])
        kubectl("delete", "namespace", ns, "--wait=true", "--timeout=300s", check=False)
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(res, f, indent=1)
    log("%s/%s: requests=%s failed=%s rollout=%ss floor=%ss completed=%s" % (
        name, tag, res["requests"], res["failed"], res["rollout_seconds"], res["floor_seconds"],
        res["completed"]))
    return res


def custom():
    """The scenario of a user's own manifests: LAB_MANIFESTS=DIR (YAML files,
    a kpt package, or a kustomization built with `kustomize build`), the
    function's config from LAB_FN_CONFIG=FILE, else LAB_PROFILE=NAME, else
    the package's Kptfile, else profile generic; LAB_SERVICE=name[:port] and
    LAB_PLATFORM pick the load's target and its load balancer, LAB_NAME
    names the scenario (custom-NAME; default: the directory's name)."""
    src = os.path.abspath(os.environ["LAB_MANIFESTS"])
    if not os.path.isdir(src):
        raise ValueError("LAB_MANIFESTS=%s: not a directory" % src)
    kz = [f for f in ("kustomization.yaml", "kustomization.yml", "Kustomization") if os.path.exists(os.path.join(src, f))]
    if kz:
        built = os.path.join(OUT, "raw", "custom-build", os.path.basename(src))
        shutil.rmtree(built, ignore_errors=True)
        os.makedirs(built)
        kust = shutil.which("kustomize") or os.path.join(BIN, "kustomize")
        p = subprocess.run([kust, "build", src], capture_output=True, text=True)
        if p.returncode != 0:
            raise ValueError("kustomize build %s: %s (point LAB_MANIFESTS at the manifests as written, "
                             "e.g. the base, or at a directory holding `kustomize build` output)"
                             % (src, p.stderr.strip()[-400:]))
        with open(os.path.join(built, "all.yaml"), "w") as f:
            f.write(p.stdout)
        log("LAB_MANIFESTS: kustomize build %s" % src)
        src = built
    docs = load_dir(src)
    cfg, profile, kptfile = None, os.environ.get("LAB_PROFILE"), False
    if os.environ.get("LAB_FN_CONFIG"):
        cfg = os.path.abspath(os.environ["LAB_FN_CONFIG"])
        profile = profile or config_profile(cfg)
    elif not profile and (m := kptfile_mutator(src)) is not None:
        if "graceful-rollout" in str(m.get("exec") or m.get("image") or ""):
            kptfile = True
            profile = (m.get("configMap") or {}).get("profile")
            if m.get("configPath"):
                profile = config_profile(os.path.join(src, m["configPath"]))
    profile = profile or "generic"
    sc = fit.custom_scenario(docs, src, profile, os.environ.get("LAB_SERVICE"),
                             os.environ.get("LAB_PLATFORM"), os.environ.get("LAB_NAME"))
    if cfg:
        sc.pop("config")
        sc["fn_config"] = cfg
    elif kptfile:
        sc.pop("config")  # the Kptfile's own config, whole
    log("LAB_MANIFESTS: profile %s; load on Service %s port %s (%s) behind %s: %s" % (
        profile, sc["service"], sc["port"], sc["scheme"], sc["platform"], sc["why"]))
    # The function's run first, so that a bad config or bad manifests stop
    # the lab before anything is applied.
    work = os.path.join(OUT, "raw", sc["name"], "check")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    render(sc, "output", work)
    return sc


def main():
    scenarios = SCENARIOS
    want = [s for s in os.environ.get("LAB_SCENARIOS", "").split(",") if s]
    if "calibrate" in want:
        # Not one of the scenarios of the full set: it runs when named.
        import calibrate
        os.makedirs(OUT, exist_ok=True)
        results, checks = calibrate.run(
            sys.modules[__name__], SEED, int(os.environ.get("LAB_CALIBRATE_SAMPLES", "20")),
            [p for p in os.environ.get("LAB_CALIBRATE_PATHS", "").split(",") if p],
            [v for v in os.environ.get("LAB_CALIBRATE_VARIANTS", "input,output,calibrated").split(",") if v])
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        want.remove("calibrate")
        if not want:
            return results
        os.environ["LAB_SCENARIOS"] = ",".join(want)
        os.environ["LAB_APPEND"] = "1"
    if os.environ.get("LAB_MANIFESTS"):
        try:
            scenarios = [custom()]
        except (ValueError, RuntimeError, OSError) as e:
            sys.exit("lab: %s" % e)
    want = [s for s in os.environ.get("LAB_SCENARIOS", "").split(",") if s]
    if want:
        unknown = set(want) - {s["name"] for s in scenarios}
        if unknown:
            sys.exit("lab: unknown scenarios %s (known: %s)" % (
                ",".join(sorted(unknown)), ",".join(s["name"] for s in scenarios)))
        scenarios = [s for s in scenarios if s["name"] in want]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "results.json")
    results = []
    if os.environ.get("LAB_APPEND") and os.path.exists(path):
        # Keep the other scenarios' results of an earlier run.
        names = {s["name"] for s in scenarios}
        results = [r for r in json.load(open(path)) if r["scenario"] not in names]
    order = {s["name"]: i for i, s in enumerate(SCENARIOS)}
    runs = [(sc, v, None) for sc in scenarios for v in ("input", "output")]
    # LAB_SWEEP: each load-balancer scenario's output again at other delay
    # factors, lowest first, until it drops a request (lbsim's delays; the
    # real kube-proxy is not stretched), after every scenario's own runs.
    runs += [(sc, "output", f) for f in sorted(SWEEP) if f != DELAY_FACTOR for sc in scenarios
             if sc.get("platform") and sc["platform"] != "kube-proxy" and sc["kind"] != "must-finish"]
    broken = set()  # scenarios whose output failed at a sweep factor
    for sc, variant, factor in runs:
        if factor is not None and sc["name"] in broken:
            # The largest factor it survives is known: the higher ones
            # would only fail again.
            log("%s/output-x%g: skipped (it dropped requests at a lower factor)" % (sc["name"], factor))
            continue
        res = run_one(sc, variant, factor)
        if factor is not None and (sum((res.get("failed") or {}).values()) or not res.get("completed")):
            broken.add(sc["name"])
        results.append(res)
        # The table's order: the scenarios' own, then the user's.
        results.sort(key=lambda r: order.get(r["scenario"], len(order)))
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
