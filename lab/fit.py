"""Fit manifests to the lab, and pick what a user's own manifests are tested on.

The function always sees the manifests as written; what it makes of them
(variant "output") and the manifests themselves (variant "input") then get the
same treatment here before they are applied:

- every container becomes the lab app, answering on every port the container
  declared, probed or hooked (gRPC where a gRPC probe or a gRPC-named port says
  so, HTTP elsewhere); init containers exit at once, sidecars serve;
- what only the real image or a real cloud could honour is adapted, each with a
  note: exec probes (no shell in the lab image) become HTTP probes with the same
  timing, an exec preStop of `sleep N` becomes the sleep action of N seconds,
  volumes and references to objects the manifests do not hold become emptyDir
  or go, resources and node placement go (one small node), a missing
  ServiceAccount is created;
- rollout settings (replicas, strategy, minReadySeconds, grace, preStop times,
  readiness gates, budgets, Services, companion objects) are never touched.

Pure functions on parsed manifests, unit-tested in lab/test_fit.py.
"""
import math
import os
import re

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
LABAPP = "localhost/labapp:lab"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
# Kinds the lab does not apply: they run images of their own (nothing is
# pulled here) or would put the lab API server's admission in their hands.
SKIPPED_KINDS = ("Job", "CronJob", "Pod", "ValidatingWebhookConfiguration",
                 "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                 "ValidatingAdmissionPolicyBinding", "APIService")
SHELLS = ("sh", "bash", "ash", "dash", "zsh")
FREE_PORT = 18080  # first port tried for a container that declares none
NONROOT_UID = 65532


def pod_spec(o):
    if o.get("kind") in WORKLOAD_KINDS:
        return ((o.get("spec") or {}).get("template") or {}).get("spec")
    return None


def _name(o):
    return "%s/%s" % (o.get("kind"), (o.get("metadata") or {}).get("name"))


class Notes:
    """What the fit changed, grouped: one line per kind of change."""

    def __init__(self):
        self.by = {}

    def add(self, what, obj):
        s = self.by.setdefault(what, [])
        if obj not in s:
            s.append(obj)

    def lines(self):
        return ["%s: %s" % (what, ", ".join(objs)) for what, objs in self.by.items()]


# ---------------------------------------------------------------- ports

def port_number(c, port):
    """A probe's or hook's port (number or the name of a container port)."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in c.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def grpc_hint(name, app_protocol):
    return bool(name and str(name).lower().startswith("grpc")) or \
        str(app_protocol or "").lower() in ("grpc", "h2c", "kubernetes.io/h2c")


def service_grpc_ports(docs, o):
    """Container ports of workload o that a Service names as gRPC (port name
    grpc*, appProtocol grpc/h2c): {container name: {port}}."""
    out = {}
    ps = pod_spec(o)
    for svc in docs:
        if svc.get("kind") != "Service" or not selects(svc, o):
            continue
        for sp in (svc.get("spec") or {}).get("ports") or []:
            if not grpc_hint(sp.get("name"), sp.get("appProtocol")):
                continue
            tp = sp.get("targetPort", sp.get("port"))
            for c in all_containers(ps):
                n = port_number(c, tp)
                if n and any(p.get("containerPort") == n for p in c.get("ports") or []):
                    out.setdefault(c.get("name"), set()).add(n)
    return out


def container_ports(c, taken, svc_grpc=()):
    """The lab app's HTTP and gRPC ports for container c: every port it
    declares, probes or hooks, minus what an earlier container of the pod
    took. A port is gRPC when a gRPC probe checks it, or it is named or
    targeted as gRPC and no HTTP probe or hook uses it."""
    probes = [c.get(k) for k in PROBES if c.get(k)]
    pre = ((c.get("lifecycle") or {}).get("preStop")) or {}
    grpc, http_used, other = set(), set(), []
    for pr in probes:
        if "grpc" in pr:
            n = port_number(c, pr["grpc"].get("port"))
            if n:
                grpc.add(n)
    for pr in probes + [pre]:
        for key in ("httpGet", "tcpSocket"):
            if key in pr:
                n = port_number(c, pr[key].get("port"))
                if n and key == "httpGet":
                    http_used.add(n)
                if n:
                    other.append(n)
    declared = []
    for p in c.get("ports") or []:
        n = p.get("containerPort")
        if not n:
            continue
        declared.append(n)
        if n not in http_used and (grpc_hint(p.get("name"), p.get("appProtocol")) or n in svc_grpc):
            grpc.add(n)
    http = []
    for n in declared + other:
        if n not in grpc and n not in http and n not in taken:
            http.append(n)
    grpc = sorted(n for n in grpc if n not in taken)
    if not http:
        n = FREE_PORT
        while n in taken or n in grpc:
            n += 1
        http.append(n)
    return http, grpc


# ---------------------------------------------------------------- the swap

def all_containers(ps):
    return list((ps or {}).get("initContainers") or []) + list((ps or {}).get("containers") or [])


def selects(svc, o):
    sel = (svc.get("spec") or {}).get("selector") or {}
    labels = ((((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")) or {}
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


def sleep_seconds(cmd):
    """N when an exec command is `sleep N` (directly or in a shell script,
    also as one step of a longer script), else None."""
    if not cmd:
        return None
    if os.path.basename(str(cmd[0])) == "sleep" and len(cmd) == 2:
        script = "sleep " + str(cmd[1])
    elif os.path.basename(str(cmd[0])) in SHELLS and "-c" in cmd[1:-1]:
        script = str(cmd[-1])
    else:
        return None
    m = re.search(r"(?:^|[;&|\s])sleep\s+(\d+(?:\.\d+)?)s?(?:$|[;&|\s])", script)
    return math.ceil(float(m.group(1))) if m else None


def swap_container(o, c, http, grpc, app, notes):
    c["image"] = LABAPP
    c["imagePullPolicy"] = "Never"
    c.pop("command", None)
    c.pop("args", None)
    c.pop("workingDir", None)
    env = [e for e in c.get("env") or [] if not e.get("name", "").startswith("LAB_")]
    env += [{"name": "LAB_HTTP", "value": ",".join(":%d" % n for n in http)},
            {"name": "LAB_GRPC", "value": ",".join(":%d" % n for n in grpc) or "0"},
            {"name": "LAB_ON_SIGTERM", "value": app["on_sigterm"]},
            {"name": "LAB_LATENCY", "value": app["latency"]},
            {"name": "LAB_DRAIN", "value": app["drain"]},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    c["env"] = env
    for probe in PROBES:
        pr = c.get(probe)
        if not pr:
            continue
        hg = pr.get("httpGet")
        if hg and hg.get("scheme") == "HTTPS":
            hg["scheme"] = "HTTP"
        if "exec" in pr:
            del pr["exec"]
            pr["httpGet"] = {"path": "/healthz", "port": http[0]}
            notes.add("exec probe -> HTTP GET /healthz, same timing (the lab image has no shell)",
                      "%s %s" % (_name(o), c.get("name")))
    lc = c.get("lifecycle") or {}
    pre = lc.get("preStop") or {}
    if pre.get("httpGet", {}).get("scheme") == "HTTPS":
        pre["httpGet"]["scheme"] = "HTTP"
    if "exec" in pre:
        cmd = pre["exec"].get("command") or []
        n = sleep_seconds(cmd)
        del pre["exec"]
        if n is not None:
            pre["sleep"] = {"seconds": n}
            notes.add("exec preStop -> sleep action of the same seconds", "%s %s" % (_name(o), c.get("name")))
        else:
            lc.pop("preStop")
            notes.add("exec preStop dropped (no shell; it would fail and the kubelet would go on "
                      "to SIGTERM, as without it)", "%s %s: %s" % (_name(o), c.get("name"), " ".join(map(str, cmd))))
    if "exec" in (lc.get("postStart") or {}):
        lc.pop("postStart")
        notes.add("exec postStart dropped (no shell)", "%s %s" % (_name(o), c.get("name")))
    if not lc and "lifecycle" in c:
        c.pop("lifecycle")


def fit(docs, app):
    """Fit docs (parsed manifests, changed in place) to the lab; return the
    notes and the list of objects to apply (skipped kinds left out)."""
    notes = Notes()
    have = {(o.get("kind"), (o.get("metadata") or {}).get("name")) for o in docs}
    keep = []
    for o in docs:
        if o.get("kind") in SKIPPED_KINDS:
            notes.add("not applied (runs images of its own, or admission)", _name(o))
            continue
        keep.append(o)
    extra = []
    for o in keep:
        ps = pod_spec(o)
        if ps is None:
            continue
        svc_grpc = service_grpc_ports(docs, o)
        taken = set()
        for c in all_containers(ps):
            is_init = any(c is x for x in ps.get("initContainers") or [])
            if is_init and c.get("restartPolicy") != "Always":
                c.update(image=LABAPP, imagePullPolicy="Never")
                for k in ("command", "args", "workingDir"):
                    c.pop(k, None)
                c["env"] = [{"name": "LAB_INIT", "value": "true"},
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
                c.pop("envFrom", None)
                c.pop("resources", None)
                continue
            http, grpc = container_ports(c, taken, svc_grpc.get(c.get("name"), ()))
            taken.update(http, grpc)
            swap_container(o, c, http, grpc, app, notes)
            fit_refs(o, c, have, notes)
            if c.pop("resources", None):
                notes.add("resources dropped (one small node holds every pod and surge)", _name(o))
            nonroot = runs_nonroot(ps, c)
            if ps.get("hostNetwork") is not True and min(http + grpc) < 1024 and nonroot:
                add_sysctl(ps, "net.ipv4.ip_unprivileged_port_start", "0")
                notes.add("non-root on a port below 1024: pod sysctl ip_unprivileged_port_start=0", _name(o))
        fit_pod(o, ps, have, notes, extra)
    return keep + extra, notes


def runs_nonroot(ps, c):
    """Whether the container runs as non-root; sets runAsUser where
    runAsNonRoot is asked without a user (the lab image has no USER)."""
    psc, csc = ps.get("securityContext") or {}, c.get("securityContext") or {}
    user = csc.get("runAsUser", psc.get("runAsUser"))
    nonroot = csc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    if nonroot and user is None:
        c.setdefault("securityContext", {})["runAsUser"] = NONROOT_UID
        user = NONROOT_UID
    return bool(user)


def add_sysctl(ps, name, value):
    sc = ps.setdefault("securityContext", {})
    sysctls = sc.setdefault("sysctls", [])
    if not any(s.get("name") == name for s in sysctls):
        sysctls.append({"name": name, "value": value})


def fit_refs(o, c, have, notes):
    """Env references to ConfigMaps and Secrets the manifests do not hold go
    (the pod would never start; the lab app reads none of them)."""
    env = []
    for e in c.get("env") or []:
        vf = e.get("valueFrom") or {}
        ref = next(((k, vf[k]) for k in ("configMapKeyRef", "secretKeyRef") if k in vf), None)
        if ref and not ref[1].get("optional") and \
                (("ConfigMap" if ref[0] == "configMapKeyRef" else "Secret"), ref[1].get("name")) not in have:
            notes.add("env from a ConfigMap/Secret not in the manifests dropped", "%s %s" % (_name(o), e.get("name")))
            continue
        env.append(e)
    c["env"] = env
    ef = []
    for e in c.get("envFrom") or []:
        for k, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if k in e and not e[k].get("optional") and (kind, e[k].get("name")) not in have:
                notes.add("envFrom a ConfigMap/Secret not in the manifests dropped", "%s %s" % (_name(o), e[k].get("name")))
                break
        else:
            ef.append(e)
    if ef:
        c["envFrom"] = ef
    else:
        c.pop("envFrom", None)


def volume_ok(v, have):
    if "emptyDir" in v or "downwardAPI" in v:
        return True
    for k, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
        if k in v:
            ref = v[k]
            return ref.get("optional") or (kind, ref.get("name", ref.get("secretName"))) in have
    if "projected" in v:
        for s in v["projected"].get("sources") or []:
            for k, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                if k in s and not s[k].get("optional") and (kind, s[k].get("name")) not in have:
                    return False
        return True
    return False


def fit_pod(o, ps, have, notes, extra):
    spec = o.get("spec") or {}
    # Volumes: what the manifests do not hold, a claim, a host path (the lab
    # writes nothing outside its own directory) becomes an emptyDir.
    for v in ps.get("volumes") or []:
        if not volume_ok(v, have):
            kind = next((k for k in v if k != "name"), "?")
            for k in list(v):
                if k != "name":
                    del v[k]
            v["emptyDir"] = {}
            notes.add("volume -> emptyDir (%s)" % kind, "%s %s" % (_name(o), v["name"]))
    vct = spec.pop("volumeClaimTemplates", None) if o.get("kind") == "StatefulSet" else None
    if vct:
        names = {v.get("name") for v in ps.get("volumes") or []}
        for t in vct:
            n = (t.get("metadata") or {}).get("name")
            if n not in names:
                ps.setdefault("volumes", []).append({"name": n, "emptyDir": {}})
        notes.add("volumeClaimTemplates -> emptyDir (no storage in the lab)", _name(o))
    # Placement: one node without cloud labels.
    for k in ("nodeSelector", "topologySpreadConstraints", "nodeName"):
        if ps.pop(k, None):
            notes.add("%s dropped (one node)" % k, _name(o))
    aff = ps.get("affinity") or {}
    if aff.pop("nodeAffinity", None):
        notes.add("nodeAffinity dropped (one node)", _name(o))
    anti = aff.get("podAntiAffinity") or {}
    replicas = spec.get("replicas", 1)
    if anti.get("requiredDuringSchedulingIgnoredDuringExecution") and o.get("kind") != "DaemonSet" and replicas != 1:
        anti.pop("requiredDuringSchedulingIgnoredDuringExecution")
        notes.add("required podAntiAffinity dropped (%s replicas cannot spread over one node)" % replicas, _name(o))
        if not anti:
            aff.pop("podAntiAffinity")
    if "affinity" in ps and not aff:
        ps.pop("affinity")
    for k, kind in (("priorityClassName", "PriorityClass"), ("runtimeClassName", "RuntimeClass")):
        if ps.get(k) and (kind, ps[k]) not in have and not (k == "priorityClassName" and ps[k].startswith("system-")):
            notes.add("%s %s not in the manifests: dropped" % (k, ps[k]), _name(o))
            ps.pop(k)
    if ps.get("schedulerName") not in (None, "default-scheduler"):
        notes.add("schedulerName %s dropped (the lab runs the default scheduler)" % ps.pop("schedulerName"), _name(o))
    sa = ps.get("serviceAccountName") or ps.get("serviceAccount")
    if sa and sa != "default" and ("ServiceAccount", sa) not in have:
        extra.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa}})
        have.add(("ServiceAccount", sa))
        notes.add("ServiceAccount created (not in the manifests)", sa)


# ---------------------------------------------------------------- a user's manifests

# Where the lab's load balancer comes from for each profile of the function:
# the platform of lab-lbsim for a Service reached from outside, by the kind of
# entry in front of it. In-cluster Services go through the real kube-proxy.
PROFILE_PLATFORMS = {
    "generic": None, "ingress-nginx": None,
    "gke-neg": "gke-neg", "gke-autopilot": "gke-neg",
    "eks-alb": "aws-alb", "eks-fargate-alb": "aws-alb", "eks-nlb": "aws-nlb",
    "aks-agic": "agic",
}


def backends(docs, svc):
    """The entries in front of Service svc: [(kind, object)]: Ingress,
    HTTPRoute/GRPCRoute, TargetGroupBinding, or the Service itself when it
    is of type LoadBalancer."""
    name = svc["metadata"]["name"]
    out = []
    for o in docs:
        k, spec = o.get("kind"), o.get("spec") or {}
        if k == "Ingress":
            refs = [((spec.get("defaultBackend") or {}).get("service") or {}).get("name")]
            for r in spec.get("rules") or []:
                for p in ((r.get("http") or {}).get("paths")) or []:
                    refs.append(((p.get("backend") or {}).get("service") or {}).get("name"))
            if name in refs:
                out.append((k, o))
        elif k in ("HTTPRoute", "GRPCRoute"):
            if any(b.get("name") == name and b.get("kind", "Service") == "Service"
                   for r in spec.get("rules") or [] for b in r.get("backendRefs") or []):
                out.append((k, o))
        elif k == "TargetGroupBinding" and (spec.get("serviceRef") or {}).get("name") == name:
            out.append((k, o))
    if (svc.get("spec") or {}).get("type") == "LoadBalancer":
        out.append(("Service", svc))
    return out


def ingress_class(o):
    return (o.get("spec") or {}).get("ingressClassName") or \
        ((o.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/ingress.class") or ""


def custom_platform(profile, docs, svc):
    """The lab's platform for Service svc under profile, and why."""
    if profile not in PROFILE_PLATFORMS:
        raise ValueError("LAB_PROFILE=%s: not a profile of the function (one of %s)" % (
            profile, ", ".join(sorted(PROFILE_PLATFORMS))))
    name = svc["metadata"]["name"]
    ents = backends(docs, svc)
    for k, o in ents:
        if k == "Ingress" and "nginx" in ingress_class(o):
            return "ingress-nginx", "Ingress %s (class %s) in front of %s" % (
                o["metadata"]["name"], ingress_class(o), name)
    lb = PROFILE_PLATFORMS[profile]
    if not ents or lb is None:
        return "kube-proxy", "no load balancer entry for %s under %s: in-cluster through kube-proxy" % (name, profile)
    k, o = ents[0]
    what = "%s %s" % (k, o["metadata"]["name"])
    if lb.startswith("aws"):
        ann = (o.get("metadata") or {}).get("annotations") or {}
        if k == "TargetGroupBinding":
            tt = (o.get("spec") or {}).get("targetType") or "instance"
        elif k == "Ingress":
            tt = ann.get("alb.ingress.kubernetes.io/target-type", "instance")  # the controller's default
        else:
            lb = "aws-nlb"
            tt = ann.get("service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "ip")
        if tt == "instance":
            return "aws-alb-instance", "%s, %s targets" % (what, tt)
        return lb, "%s, %s targets" % (what, tt)
    if lb == "gke-neg" and k == "Service":
        ann = (svc.get("metadata") or {}).get("annotations") or {}
        if "cloud.google.com/neg" not in ann:
            return "kube-proxy", "%s: a GKE L4 load balancer, through the nodes' kube-proxy" % what
    return lb, what


def tgb_for(docs, svc):
    for o in docs:
        if o.get("kind") == "TargetGroupBinding" and \
                ((o.get("spec") or {}).get("serviceRef") or {}).get("name") == svc["metadata"]["name"]:
            return o["metadata"]["name"]
    return None


def serving_services(docs):
    """Services that select a workload of the manifests: those with an entry
    in front first, then HTTP before gRPC."""
    wl = [o for o in docs if o.get("kind") in WORKLOAD_KINDS]
    svcs = [o for o in docs if o.get("kind") == "Service" and (o.get("spec") or {}).get("ports")
            and any(selects(o, w) for w in wl)]
    return sorted(svcs, key=lambda s: (not backends(docs, s), service_port(docs, s)[1] == "grpc"))


def service_port(docs, svc, want=None):
    """(port number, scheme) of Service svc: the port named or numbered want,
    else its first; scheme grpc when the port is gRPC to its pods."""
    ports = svc["spec"]["ports"]
    if want:
        sp = next((p for p in ports if str(p.get("name")) == str(want) or str(p.get("port")) == str(want)), None)
        if sp is None:
            raise ValueError("Service %s has no port %s (ports: %s)" % (
                svc["metadata"]["name"], want, ", ".join(str(p.get("name") or p["port"]) for p in ports)))
    else:
        sp = ports[0]
    scheme = "grpc" if grpc_hint(sp.get("name"), sp.get("appProtocol")) else "http"
    tp = sp.get("targetPort", sp.get("port"))
    for w in docs:
        if w.get("kind") in WORKLOAD_KINDS and selects(svc, w):
            for c in all_containers(pod_spec(w)):
                n = port_number(c, tp)
                if n and any("grpc" in (c.get(k) or {}) and port_number(c, c[k]["grpc"].get("port")) == n
                             for k in PROBES):
                    scheme = "grpc"
    return sp["port"], scheme


def custom_scenario(docs, src, profile, service=None, platform=None, name=None):
    """The scenario for a user's manifests (LAB_MANIFESTS): load on one
    Service (LAB_SERVICE=name[:port], else the first one reached from
    outside, else the first that selects a workload), behind the platform
    the profile and its entry give (LAB_PLATFORM overrides)."""
    cands = serving_services(docs)
    if not cands:
        raise ValueError("LAB_MANIFESTS=%s: no Service selects a workload of the manifests; "
                         "the lab needs one to send load to" % src)
    want_port = None
    if service:
        sname, _, want_port = service.partition(":")
        svc = next((s for s in docs if s.get("kind") == "Service" and s["metadata"]["name"] == sname), None)
        if svc is None:
            raise ValueError("LAB_SERVICE=%s: no such Service in %s (serving Services: %s)" % (
                service, src, ", ".join(s["metadata"]["name"] for s in cands)))
    else:
        svc = cands[0]
    port, scheme = service_port(docs, svc, want_port or None)
    plat, why = custom_platform(profile, docs, svc)
    if platform:
        plat, why = platform, "LAB_PLATFORM=" + platform
    if scheme == "grpc" and plat != "kube-proxy":
        raise ValueError("Service %s port %s is gRPC: the lab sends gRPC only in-cluster (kube-proxy), not "
                         "through %s; pick an HTTP port with LAB_SERVICE=name:port or LAB_PLATFORM=kube-proxy"
                         % (svc["metadata"]["name"], port, plat))
    base = name or os.path.basename(os.path.normpath(src)) or "manifests"
    sc = dict(name="custom-" + re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-"), kind="path", dir=src,
              config={"profile": profile}, platform=plat, service=svc["metadata"]["name"],
              port=str(port), scheme=scheme, actions=["restart", "drain"], why=why)
    tgb = tgb_for(docs, svc)
    if tgb:
        sc["tgb"] = tgb
    return sc
