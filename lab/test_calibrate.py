"""Unit tests of lab/calibrate.py's pure parts."""
import unittest

import calibrate


class CalibrateTest(unittest.TestCase):
    def test_hidden_table_seeded(self):
        c = calibrate.CALIBRATE[0]
        a, b, other = calibrate.hidden_table(c, 1), calibrate.hidden_table(c, 1), calibrate.hidden_table(c, 2)
        self.assertEqual(a, b)
        self.assertNotEqual(a, other)
        self.assertTrue(0.5 * c["attach"] <= a["attach"] <= 2 * c["attach"])
        self.assertTrue(1.2 <= a["jitter"] <= 1.8)
        self.assertEqual(calibrate.lbsim_args(a)[:2], ["-set", "attach=%g" % a["attach"]])

    def test_true_figures(self):
        ev = []
        for i in range(20):
            k = dict(ip="10.0.0.%d" % i, port=8080, pod="p%d" % i)
            ev += [dict(k, t=100 + i, event="target-added", delay=1.0 + i / 10),
                   dict(k, t=102 + i, event="target-healthy"),
                   dict(k, t=200 + i, event="target-draining", delay=float(i))]
        t = calibrate.true_figures(ev, "attach")
        self.assertAlmostEqual(t["attach_seconds"], 2.0)          # healthy - added
        self.assertAlmostEqual(t["detach_seconds"], 18.05)        # p95 of 0..19
        self.assertAlmostEqual(calibrate.true_figures(ev, None)["attach_seconds"], 2.0 + 1.0 + 1.805)
        self.assertEqual(calibrate.true_figures(ev, "healthy")["attach_seconds"], 0.0)
        # From the pods' Ready (the NEG gate reaches Ready 0.5 s after
        # target-added; an AWS gate's Ready comes after healthy: 0).
        ready = calibrate.ready_times([dict(t=100.5 + i, event="ready", pod="p%d" % i) for i in range(20)] +
                                      [dict(t=150.0, event="ready", pod="p0")])
        self.assertEqual(ready["p0"], 100.5)
        self.assertAlmostEqual(calibrate.true_figures(ev, "attach", ready)["attach_seconds"], 1.5)
        late = {p: t + 5 for p, t in ready.items()}
        self.assertEqual(calibrate.true_figures(ev, "healthy", late)["attach_seconds"], 0.0)

    def test_within(self):
        self.assertTrue(calibrate.within(10, 10))
        self.assertTrue(calibrate.within(7.6, 10))
        self.assertFalse(calibrate.within(7.4, 10))   # below by more than 25 %
        self.assertTrue(calibrate.within(14.9, 10))   # above by less than 50 %: safe side
        self.assertFalse(calibrate.within(15.1, 10))
        self.assertTrue(calibrate.within(0.4, 0.0))
        self.assertFalse(calibrate.within(None, 1))


if __name__ == "__main__":
    unittest.main()
