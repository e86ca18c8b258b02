"""Unit tests of lab/floor.py."""
import unittest

import floor


def deploy(replicas, surge=None, unavail=None, kind="Deployment", name="web", stype=None):
    ru = {}
    if surge is not None:
        ru["maxSurge"] = surge
    if unavail is not None:
        ru["maxUnavailable"] = unavail
    strat = {"rollingUpdate": ru}
    if stype:
        strat = {"type": stype}
    return {"kind": kind, "metadata": {"name": name}, "spec": {"replicas": replicas, "strategy": strat}}


class FloorTest(unittest.TestCase):
    def test_waves(self):
        self.assertEqual(floor.waves(deploy(3, "25%", 0)), 3)      # 1 at a time
        self.assertEqual(floor.waves(deploy(4, "50%", 0)), 2)
        self.assertEqual(floor.waves(deploy(3, 1, 0)), 3)
        self.assertEqual(floor.waves(deploy(3)), 3)                # API defaults 25%/25% of 3: 1 + 0
        self.assertEqual(floor.waves(deploy(8)), 2)                # 2 + 2 of 8
        self.assertEqual(floor.waves(deploy(3, "100%", 0)), 1)
        self.assertEqual(floor.waves(deploy(2, kind="StatefulSet")), 2)
        self.assertEqual(floor.waves(deploy(3, stype="Recreate")), 1)

    def test_floor(self):
        ev = []
        # Three new pods of web, each created at 10 s steps: ready after 2 s,
        # healthy in the LB after 5 s; an old pod and another workload's pod.
        for i, t in enumerate((100, 110, 120)):
            p = "web-new-%d" % i
            ev += [dict(t=t, event="created", pod=p), dict(t=t + 2, event="ready", pod=p)]
        ev += [dict(t=50, event="created", pod="web-old-0"), dict(t=51, event="ready", pod="web-old-0")]
        lb = [dict(t=t + 5, event="target-healthy", pod="web-new-%d" % i) for i, t in enumerate((100, 110, 120))]
        w = deploy(3, "25%", 0)
        self.assertEqual(floor.floor_seconds([w], ev, lb, 90, 200), 15.0)   # 3 waves x 5 s
        # Without an LB health event, Ready counts.
        self.assertEqual(floor.floor_seconds([w], ev, [], 90, 200), 6.0)
        # A slower pod counts in its wave: 5 + 9 + 5 s.
        lb[1] = dict(t=119, event="target-healthy", pod="web-new-1")
        self.assertEqual(floor.floor_seconds([w], ev, lb, 90, 200), 19.0)
        lb[2] = dict(t=129, event="target-healthy", pod="web-new-2")
        self.assertEqual(floor.floor_seconds([w], ev, lb, 90, 200), 23.0)
        # Pods outside the restart window, or never Ready, do not count.
        self.assertIsNone(floor.floor_seconds([w], ev, lb, 300, 400))
        self.assertIsNone(floor.floor_seconds([deploy(3, name="api")], ev, lb, 90, 200))


if __name__ == "__main__":
    unittest.main()
