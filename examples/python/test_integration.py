"""Integration tests of the rxlab package against a real server with the demo world.

Run by examples/examples_test.go (TestPythonPackage) with RXLAB_URL and RXLAB_TOKEN set;
RXLAB_NO_PANDAS=1 hides pandas and matplotlib to check the standard-library core alone.
RXLAB_SCHEMA names graphql/schema.graphql, to check that every query and mutation has a method.
"""

import os
import re
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

if os.environ.get("RXLAB_NO_PANDAS") == "1":
    # A None entry makes "import pandas" raise ImportError, as on a machine without it.
    sys.modules["pandas"] = None
    sys.modules["matplotlib"] = None
    sys.modules["matplotlib.pyplot"] = None

from rxlab import Client, RxlabError, METHODS  # noqa: E402

AF = {"all": [{"age": {"min": 40}}, {"condition": {"system": "ICD10CM", "code": "I48", "descendants": True}}]}

try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Client()

    def test_every_operation_has_a_method(self):
        path = os.environ.get("RXLAB_SCHEMA")
        if not path:
            self.skipTest("RXLAB_SCHEMA not set")
        with open(path, encoding="utf-8") as f:
            sdl = f.read()
        names = []
        for typ in ("Query", "Mutation"):
            body = re.search(r"type %s \{(.*?)\n\}" % typ, sdl, re.S).group(1)
            body = re.sub(r'"""(.*?)"""', "", body, flags=re.S)
            names += re.findall(r"^  (\w+)[(:]", body, re.M)
        self.assertGreater(len(names), 30)
        missing = [n for n in names if n not in METHODS or not hasattr(Client, METHODS[n])]
        self.assertEqual(missing, [], "operations without a Client method")

    def test_cohort_on_demo_and_link(self):
        c = self.rx.cohort_count(AF)
        self.assertGreater(c["count"], 0, "the demo world has patients with atrial fibrillation over 40")
        self.assertEqual([s["display"] for s in c["attrition"]][-1], c["display"])
        url = self.rx.link(criteria=AF)
        base, frag = url.split("#", 1)
        params = urllib.parse.parse_qs(frag)
        self.assertEqual(params["token"], [self.rx.token])
        self.assertIn('"I48"', params["criteria"][0])
        self.assertTrue(base.endswith("/cohorts"), base)
        with urllib.request.urlopen(base, timeout=10) as res:  # the page itself needs no token
            self.assertEqual(res.status, 200)
            self.assertIn(b'<div id="root">', res.read())
        self.assertNotIn("token", self.rx.link("jobs", with_token=False))

    def test_save_and_reopen_cohort(self):
        name = "py-af-%d" % os.getpid()  # each run of this file on the same server saves anew
        a = self.rx.save_cohort(name, AF)
        try:
            b = self.rx.save_cohort(name, AF)  # servers that version by name
        except RxlabError as e:  # servers with unique names: a new version through updateCohort
            self.assertEqual(e.code, "CONFLICT")
            b = self.rx.update_cohort(a["id"], criteria=AF)
        self.assertEqual(b["version"], a["version"] + 1)
        names = [c["name"] for c in self.rx.cohorts()]
        self.assertIn(name, names)

    def test_errors_carry_codes(self):
        with self.assertRaises(RxlabError) as e:
            self.rx.molecule("C1CC(")
        self.assertEqual(e.exception.code, "BAD_SMILES")
        chemist = Client(token=self.rx.create_token("chemist", name="py")["token"])
        with self.assertRaises(RxlabError) as e:
            chemist.tokens()
        self.assertEqual(e.exception.code, "FORBIDDEN")

    def test_training_job_wait(self):
        model = self.rx.drug_models()[0]["id"]
        run = self.rx.start_training({"model": model, "iterations": 2, "population": {"size": 16}})
        seen = []
        job = self.rx.wait_job(run["job"]["id"], timeout=120, progress=seen.append)
        self.assertEqual(job["state"], "SUCCEEDED", job)
        self.assertTrue(seen and seen[-1]["state"] == "SUCCEEDED")
        run = self.rx.training_run(run["id"])
        self.assertEqual(len(run["metrics"]), 2)
        self.__class__.run_result = run

    def sim(self, method):
        m = self.rx.drug_models()[0]
        inp = {"model": m["id"], "days": 30, "regimen": {"method": method},
               "patient": {"age": 60, "weightKg": 75, "heightCm": 172, "sex": "FEMALE"}}
        return m, self.rx.simulate(inp)

    @unittest.skipUnless(HAVE_PANDAS, "pandas not installed")
    def test_frames(self):
        from rxlab.frames import to_pandas, breakdown, doses
        c = self.rx.cohort_count(AF)
        df = to_pandas(c)
        self.assertEqual(list(df["display"]), [s["display"] for s in c["attrition"]])
        bd = breakdown(c)
        self.assertEqual(int(bd.loc[("sex", "FEMALE"), "count"]) if ("sex", "FEMALE") in bd.index else 0,
                         next((x["count"] or 0 for x in c["breakdown"] if x["dimension"] == "sex" and x["value"] == "FEMALE"), 0))
        m, s = self.sim(self.rx.drug_models()[0]["baselines"][0])
        pts = to_pandas(s)
        self.assertEqual(len(pts), len(s["points"]))
        self.assertAlmostEqual(pts["day"].iloc[-1], s["points"][-1]["hour"] / 24)
        self.assertEqual(len(doses(s)), len(s["doses"]))
        preds = self.rx.predict(self.rx.response_models()[0]["id"], ["CCO", "c1ccccc1O"]) if self.rx.response_models() else []
        if preds:
            self.assertEqual(len(to_pandas(preds)), 2)

    @unittest.skipIf(HAVE_PANDAS, "pandas installed")
    def test_frames_without_pandas_say_how(self):
        from rxlab.frames import to_pandas
        with self.assertRaises(ImportError) as e:
            to_pandas(self.rx.cohort_count(AF))
        self.assertIn("pip install", str(e.exception))
        from rxlab.plots import plot_funnel
        with self.assertRaises(ImportError):
            plot_funnel(self.rx.cohort_count(AF))

    @unittest.skipUnless(HAVE_PANDAS, "matplotlib not installed")
    def test_plots(self):
        import matplotlib
        matplotlib.use("Agg")
        from rxlab.plots import plot_funnel, plot_curve, plot_learning
        out = tempfile.mkdtemp()
        c = self.rx.cohort_count(AF)
        ax = plot_funnel(c)
        self.assertEqual(len(ax.patches), len(c["attrition"]))
        ax.figure.savefig(os.path.join(out, "funnel.png"))
        m = self.rx.drug_models()[0]
        arms = {b: self.sim(b)[1] for b in m["baselines"][:3]}
        ax = plot_curve(arms, m)
        self.assertEqual(len(ax.lines), 3)
        self.assertEqual(len(ax.lines[0].get_xdata()), len(next(iter(arms.values()))["points"]))
        ax.figure.savefig(os.path.join(out, "curve.png"))
        model = m["id"]
        run = self.rx.start_training({"model": model, "iterations": 2, "population": {"size": 16}})
        self.rx.wait_job(run["job"]["id"], timeout=120)
        ax = plot_learning(self.rx.training_run(run["id"]))
        self.assertEqual(len(ax.lines[0].get_xdata()), 2)
        ax.figure.savefig(os.path.join(out, "learning.png"))
        for f in ("funnel.png", "curve.png", "learning.png"):
            self.assertGreater(os.path.getsize(os.path.join(out, f)), 5000, f)
        print("plots in", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
