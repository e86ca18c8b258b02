"""Unit tests of lab/fit.py (python3 -m unittest discover -s lab)."""
import copy
import unittest

import fit

APP = {"on_sigterm": "exit", "latency": "20ms", "drain": "0s"}


def deploy(name, containers, replicas=3, labels=None, **pod):
    labels = labels or {"app": name}
    ps = dict(containers=containers, **pod)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": ps}}}


def service(name, ports, selector=None, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": dict(selector=selector or {"app": name}, ports=ports, **spec)}


def env(c):
    return {e["name"]: e.get("value") for e in c["env"]}


class FitTest(unittest.TestCase):
    def test_ports_http_grpc_and_probes(self):
        # microservices-demo's shape: a gRPC server probed by gRPC, plus a
        # metrics port probed over HTTP, plus a sidecar with no ports.
        d = deploy("cart", [
            {"name": "server", "image": "cart:1", "ports": [{"containerPort": 7070}, {"name": "metrics", "containerPort": 9090}],
             "readinessProbe": {"grpc": {"port": 7070}, "periodSeconds": 5},
             "livenessProbe": {"httpGet": {"path": "/live", "port": "metrics", "scheme": "HTTPS"}}},
            {"name": "sidecar", "image": "proxy:1"},
        ])
        docs, notes = fit.fit([d], APP)
        server, side = d["spec"]["template"]["spec"]["containers"]
        self.assertEqual(env(server)["LAB_GRPC"], ":7070")
        self.assertEqual(env(server)["LAB_HTTP"], ":9090")
        self.assertEqual(server["livenessProbe"]["httpGet"]["scheme"], "HTTP")
        self.assertEqual(server["readinessProbe"], {"grpc": {"port": 7070}, "periodSeconds": 5})
        self.assertEqual(env(side)["LAB_HTTP"], ":18080")  # a free port, not the server's
        self.assertEqual(env(side)["LAB_GRPC"], "0")
        for c in (server, side):
            self.assertEqual(c["image"], fit.LABAPP)
            self.assertEqual(c["imagePullPolicy"], "Never")

    def test_service_names_grpc(self):
        d = deploy("pay", [{"name": "app", "image": "x", "ports": [{"name": "rpc", "containerPort": 50051}]}])
        s = service("pay", [{"name": "grpc", "port": 50051, "targetPort": "rpc"}])
        fit.fit([d, s], APP)
        self.assertEqual(env(d["spec"]["template"]["spec"]["containers"][0])["LAB_GRPC"], ":50051")
        self.assertEqual(fit.service_port([d, s], s), (50051, "grpc"))

    def test_exec_probe_and_prestop(self):
        d = deploy("web", [{"name": "app", "image": "x", "ports": [{"containerPort": 8080}],
                            "readinessProbe": {"exec": {"command": ["/bin/grpc_health_probe", "-addr=:8080"]},
                                               "initialDelaySeconds": 3},
                            "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 15 && nginx -s quit"]}}}},
                           {"name": "other", "image": "y",
                            "lifecycle": {"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}},
                                          "postStart": {"exec": {"command": ["true"]}}}}])
        docs, notes = fit.fit([d], APP)
        app, other = d["spec"]["template"]["spec"]["containers"]
        self.assertEqual(app["readinessProbe"], {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 3})
        self.assertEqual(app["lifecycle"]["preStop"], {"sleep": {"seconds": 15}})
        self.assertNotIn("lifecycle", other)
        text = "\n".join(notes.lines())
        self.assertIn("exec preStop dropped", text)
        self.assertIn("nginx -s quit", text)

    def test_sleep_seconds(self):
        for cmd, want in [(["sleep", "5"], 5), (["/bin/sleep", "2.5"], 3), (["sh", "-c", "sleep 10"], 10),
                          (["/bin/bash", "-c", "echo bye; sleep 7s"], 7), (["sh", "-c", "nginx -s quit"], None),
                          (["sh", "-c", "sleepy 4"], None), (["wait-shutdown"], None), ([], None)]:
            self.assertEqual(fit.sleep_seconds(cmd), want, cmd)

    def test_rollout_settings_untouched(self):
        d = deploy("api", [{"name": "app", "image": "x", "ports": [{"containerPort": 8080}],
                            "lifecycle": {"preStop": {"sleep": {"seconds": 20}}}}],
                   terminationGracePeriodSeconds=60, readinessGates=[{"conditionType": "cloud.google.com/load-balancer-neg-ready"}])
        d["spec"]["minReadySeconds"] = 30
        d["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        before = copy.deepcopy(d)
        fit.fit([d], APP)
        for path in (("spec", "minReadySeconds"), ("spec", "strategy"), ("spec", "replicas")):
            self.assertEqual(d[path[0]][path[1]], before[path[0]][path[1]])
        ps, bps = d["spec"]["template"]["spec"], before["spec"]["template"]["spec"]
        self.assertEqual(ps["terminationGracePeriodSeconds"], 60)
        self.assertEqual(ps["readinessGates"], bps["readinessGates"])
        self.assertEqual(ps["containers"][0]["lifecycle"], {"preStop": {"sleep": {"seconds": 20}}})

    def test_missing_refs_volumes_placement(self):
        d = deploy("db", [{"name": "app", "image": "x", "ports": [{"containerPort": 5432}],
                           "resources": {"requests": {"cpu": "4"}},
                           "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db-pw", "key": "pw"}}},
                                   {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "here", "key": "k"}}},
                                   {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": True}}}],
                           "envFrom": [{"secretRef": {"name": "gone"}}, {"configMapRef": {"name": "here"}}]}],
                   volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                            {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}},
                            {"name": "cfg", "configMap": {"name": "here"}},
                            {"name": "tls", "secret": {"secretName": "gone"}},
                            {"name": "tmp", "emptyDir": {}}],
                   nodeSelector={"cloud.google.com/gke-spot": "true"},
                   affinity={"nodeAffinity": {"x": 1}, "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{}]}},
                   topologySpreadConstraints=[{"maxSkew": 1}], serviceAccountName="db", priorityClassName="high")
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "here"}}
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}}
        docs, notes = fit.fit([d, cm, job], APP)
        ps = d["spec"]["template"]["spec"]
        c = ps["containers"][0]
        self.assertEqual([e["name"] for e in c["env"]][:2], ["CFG", "OPT"])
        self.assertEqual(c["envFrom"], [{"configMapRef": {"name": "here"}}])
        self.assertNotIn("resources", c)
        vols = {v["name"]: v for v in ps["volumes"]}
        self.assertEqual(vols["data"], {"name": "data", "emptyDir": {}})
        self.assertEqual(vols["sock"], {"name": "sock", "emptyDir": {}})
        self.assertEqual(vols["cfg"], {"name": "cfg", "configMap": {"name": "here"}})
        self.assertEqual(vols["tls"], {"name": "tls", "emptyDir": {}})
        for k in ("nodeSelector", "affinity", "topologySpreadConstraints", "priorityClassName"):
            self.assertNotIn(k, ps)
        kinds = [(o["kind"], o["metadata"]["name"]) for o in docs]
        self.assertIn(("ServiceAccount", "db"), kinds)
        self.assertNotIn(("Job", "migrate"), kinds)
        self.assertTrue(any("Job/migrate" in line for line in notes.lines()))

    def test_anti_affinity_kept_for_one_replica(self):
        d = deploy("one", [{"name": "app", "image": "x"}], replicas=1,
                   affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{}]}})
        fit.fit([d], APP)
        self.assertIn("podAntiAffinity", d["spec"]["template"]["spec"]["affinity"])

    def test_statefulset_claims_and_init(self):
        s = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis"},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "redis"}},
                      "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                      "template": {"metadata": {"labels": {"app": "redis"}}, "spec": {
                          "initContainers": [{"name": "chown", "image": "busybox", "command": ["chown"]},
                                             {"name": "proxy", "image": "p", "restartPolicy": "Always",
                                              "ports": [{"containerPort": 15000}]}],
                          "containers": [{"name": "redis", "image": "redis", "ports": [{"containerPort": 6379}],
                                          "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}}
        fit.fit([s], APP)
        ps = s["spec"]["template"]["spec"]
        self.assertNotIn("volumeClaimTemplates", s["spec"])
        self.assertEqual(ps["volumes"], [{"name": "data", "emptyDir": {}}])
        init, proxy = ps["initContainers"]
        self.assertEqual(env(init), {"LAB_INIT": "true", "POD_NAME": None})
        self.assertNotIn("command", init)
        self.assertEqual(env(proxy)["LAB_HTTP"], ":15000")
        self.assertEqual(env(ps["containers"][0])["LAB_HTTP"], ":6379")

    def test_nonroot(self):
        d = deploy("web", [{"name": "app", "image": "x", "ports": [{"containerPort": 80}]}],
                   securityContext={"runAsNonRoot": True})
        fit.fit([d], APP)
        ps = d["spec"]["template"]["spec"]
        self.assertEqual(ps["containers"][0]["securityContext"]["runAsUser"], fit.NONROOT_UID)
        self.assertIn({"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}, ps["securityContext"]["sysctls"])
        root = deploy("root", [{"name": "app", "image": "x", "ports": [{"containerPort": 80}]}])
        fit.fit([root], APP)
        self.assertNotIn("securityContext", root["spec"]["template"]["spec"])


class CustomScenarioTest(unittest.TestCase):
    def docs(self):
        return [deploy("frontend", [{"name": "app", "image": "x", "ports": [{"containerPort": 8080}]}]),
                deploy("cart", [{"name": "app", "image": "x", "ports": [{"containerPort": 7070}],
                                 "readinessProbe": {"grpc": {"port": 7070}}}]),
                service("cart", [{"name": "grpc", "port": 7070}]),
                service("frontend", [{"name": "http", "port": 80, "targetPort": 8080}]),
                service("frontend-external", [{"port": 80, "targetPort": 8080}], selector={"app": "frontend"},
                        type="LoadBalancer"),
                service("unused", [{"port": 1}], selector={"app": "nothing"})]

    def test_default_is_the_entry(self):
        sc = fit.custom_scenario(self.docs(), "/x/my-app", "gke-neg")
        self.assertEqual((sc["name"], sc["service"], sc["port"], sc["scheme"]),
                         ("custom-my-app", "frontend-external", "80", "http"))
        # GKE: a LoadBalancer Service without a NEG is an L4 LB through kube-proxy.
        self.assertEqual(sc["platform"], "kube-proxy")
        self.assertEqual(sc["config"], {"profile": "gke-neg"})

    def test_in_cluster_and_grpc(self):
        sc = fit.custom_scenario(self.docs(), "/x/a", "generic", service="cart")
        self.assertEqual((sc["platform"], sc["scheme"], sc["port"]), ("kube-proxy", "grpc", "7070"))
        sc = fit.custom_scenario(self.docs(), "/x/a", "eks-alb", service="frontend:http")
        self.assertEqual((sc["platform"], sc["port"]), ("kube-proxy", "80"))

    def test_entries(self):
        docs = self.docs() + [
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "annotations": {
                "alb.ingress.kubernetes.io/target-type": "ip"}},
             "spec": {"ingressClassName": "alb", "rules": [{"http": {"paths": [
                 {"path": "/", "backend": {"service": {"name": "frontend", "port": {"number": 80}}}}]}}]}}]
        sc = fit.custom_scenario(docs, "/x/a", "eks-alb", service="frontend")
        self.assertEqual(sc["platform"], "aws-alb")
        docs[-1]["metadata"]["annotations"] = {}
        self.assertEqual(fit.custom_scenario(docs, "/x/a", "eks-alb", service="frontend")["platform"],
                         "aws-alb-instance")  # the controller's default for an Ingress
        docs[-1]["spec"]["ingressClassName"] = "nginx"
        self.assertEqual(fit.custom_scenario(docs, "/x/a", "gke-neg", service="frontend")["platform"], "ingress-nginx")
        tgb = {"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding", "metadata": {"name": "tg"},
               "spec": {"serviceRef": {"name": "cart", "port": 7070}, "targetType": "ip"}}
        with self.assertRaisesRegex(ValueError, "gRPC"):
            fit.custom_scenario(self.docs() + [tgb], "/x/a", "eks-alb", service="cart")

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "LAB_PROFILE=gke: not a profile"):
            fit.custom_scenario(self.docs(), "/x/a", "gke")
        with self.assertRaisesRegex(ValueError, "LAB_SERVICE=nope: no such Service .*frontend"):
            fit.custom_scenario(self.docs(), "/x/a", "generic", service="nope")
        with self.assertRaisesRegex(ValueError, "has no port 9 "):
            fit.custom_scenario(self.docs(), "/x/a", "generic", service="frontend:9")
        with self.assertRaisesRegex(ValueError, "no Service selects a workload"):
            fit.custom_scenario(self.docs()[:1], "/x/a", "generic")


if __name__ == "__main__":
    unittest.main()
