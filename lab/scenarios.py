"""The rollout lab's scenarios: which manifests, which function config, which
load balancer sits in front, how the app behaves, and what is done under load.

Each scenario runs twice: variant "input" (the manifests as written) and
variant "output" (what `kpt fn eval --exec graceful-rollout` makes of them).
Only the images are swapped for the lab app (plus what the swap needs: the
app's listening port, a plain-HTTP probe scheme); everything else is kept.
"""

# App behaviour on SIGTERM for every scenario: exit at once, as the field
# reports' servers did ("the container exits long before the ALB deregisters
# the target"); the function's preStop is what keeps the pod serving.
APP = {"on_sigterm": "exit", "latency": "20ms", "drain": "0s"}

SCENARIOS = [
    # Story 1: GKE Gateway, container-native LB (NEG). Input: no preStop, no
    # minReadySeconds; symptom: 503 connection refused / no healthy upstream.
    dict(name="story1-gke-gateway", kind="story", dir="examples/gke-gateway",
         platform="gke-neg", service="store", port="http",
         actions=["restart", "drain"]),
    # Story 3: EKS, AWS Load Balancer Controller, ALB IP targets bound by a
    # TargetGroupBinding; symptom: 502 on rolling update.
    dict(name="story3-eks-alb", kind="story", dir="examples/eks-alb",
         platform="aws-alb", service="payments-api", port="443", tgb="payments-api",
         actions=["restart", "drain"]),
    # Story 4: EKS Fargate + ALB (the Ingress lives elsewhere); symptom: 502
    # then 504 for 5-10 s on rollout.
    dict(name="story4-eks-fargate-alb", kind="story", dir="examples/eks-fargate-alb",
         platform="aws-alb", service="catalog", port="80",
         actions=["restart", "drain"]),
    # Generic in-cluster path: clients reach the pods through the Service's
    # ClusterIP and the real kube-proxy (no load balancer).
    dict(name="path-generic", kind="path", dir="lab/manifests/generic",
         config={"profile": "generic"}, platform="kube-proxy", service="web", port="http",
         actions=["restart", "drain"]),
    # ingress-nginx: the controller syncs endpoints to its upstreams.
    dict(name="path-ingress-nginx", kind="path", dir="lab/manifests/ingress-nginx",
         config={"profile": "ingress-nginx"}, platform="ingress-nginx", service="shop",
         port="http", actions=["restart", "drain"]),
    # AKS, Application Gateway Ingress Controller: the backend pool follows
    # the pods with AGIC's delay, no gate.
    dict(name="path-aks-agic", kind="path", dir="examples/aks-agic",
         platform="agic", service="portal", port="80", actions=["restart", "drain"]),
    # EKS, an ALB made from an Ingress (target-type ip): the controller's
    # own target group, its target-health gate injected in the labelled
    # namespace.
    dict(name="path-eks-alb-ingress", kind="path", dir="examples/eks-alb-ingress",
         platform="aws-alb", service="payments-api", port="443", actions=["restart", "drain"]),
    # EKS, an ALB made from a Gateway of a GatewayClass named by the platform
    # team (controllerName gateway.k8s.aws/alb), IP targets from a
    # TargetGroupConfiguration: the same load balancer as the Ingress path,
    # found through the GatewayClass's controller.
    dict(name="path-eks-gateway-alb", kind="path", dir="examples/eks-gateway-alb",
         platform="aws-alb", service="payments-api", port="80", actions=["restart", "drain"]),
    # Must finish: a hostNetwork DaemonSet (no surge can be placed on the node).
    dict(name="mf-hostnetwork-daemonset", kind="must-finish",
         dir="lab/manifests/hostnetwork-daemonset", config={"profile": "generic"},
         platform=None, actions=["restart"]),
    # Must finish: instance targets get no target-health gate (the AWS
    # controller sets it for IP targets only; a gate nobody sets blocks the
    # rollout forever).
    dict(name="mf-instance-tgb", kind="must-finish", dir="lab/manifests/instance-tgb",
         config={"profile": "eks-alb"}, platform="aws-alb-instance", service="orders",
         port="80", tgb="orders", actions=["restart"]),
    # Must finish: workloads with the generated PodDisruptionBudgets; a drain
    # (evictions, one pod at a time) must complete.
    dict(name="mf-budgets-drain", kind="must-finish", dir="lab/manifests/budgets",
         config={"profile": "generic"}, platform=None, actions=["drain"]),
]

# make test: the time-scaled subset.
TEST_SUBSET = ["story1-gke-gateway", "path-generic"]
