"""Unit tests of lab/report.py's survival table."""
import os
import tempfile
import unittest

import report


def run(sc, f, failed, sweep, completed=True):
    return dict(scenario=sc, kind="story", variant="output", delay_factor=f, jitter=2,
                failed={"http_5xx": failed} if failed else {}, requests=100,
                completed=completed, sweep=sweep)


class SurvivalTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        report.OUT = self.dir
        d = os.path.join(self.dir, "raw", "s1", "output", "fn-results")
        os.makedirs(d)
        with open(os.path.join(d, "results.yaml"), "w") as f:
            # kpt's shape: items are the functions, each with its results.
            f.write("apiVersion: kpt.dev/v1\nkind: FunctionResultList\nitems:\n"
                    "  - exec: graceful-rollout\n    results:\n"
                    "      - message: 'margin over gke-neg''s figures (x): the LB may stop sending up to 30 s later "
                    "than expected (10 s) before a request fails (preStop 40 s = ×4: unmeasured)'\n"
                    "      - message: 'costs: ...'\n")

    def test_largest_factor(self):
        rs = [dict(run("s1", 1.5, 0, False), variant="input"), run("s1", 1.5, 0, False),
              run("s1", 2, 0, True), run("s1", 3, 7, True),
              run("s2", 1.5, 0, False), run("s2", 2, 3, True), run("s2", 3, 0, True),
              run("s3", 1.5, 0, False)]
        out = report.survival(rs)
        self.assertIn("| s1 | preStop 40 s over 10 s (×4.0) | ×1.5: 0/100, ×2: 0/100, ×3: 7/100 | 2 |", out)
        # A failure at 2 caps it at 1.5 even when 3 happened to pass.
        self.assertIn("| s2 |  | ×1.5: 0/100, ×2: 3/100, ×3: 0/100 | 1.5 |", out)
        self.assertNotIn("| s3 |", out)  # one factor only: no sweep

    def test_not_completed_is_not_survived(self):
        out = report.survival([run("s1", 1.5, 0, False, completed=False), run("s1", 2, 0, True)])
        self.assertIn("| none run |", out)

    def test_no_sweep(self):
        self.assertEqual(report.survival([run("s1", 1, 0, False)]), "")


if __name__ == "__main__":
    unittest.main()
