package mipd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
)

// referenceCase is one fixed case of testdata/reference.py and its scipy
// MAP answer.
type referenceCase struct {
	Name    string `json:"name"`
	Model   string `json:"model"`
	Patient struct {
		Age    float64 `json:"age"`
		CYP2C9 string  `json:"CYP2C9"`
		VKORC1 string  `json:"VKORC1"`
	} `json:"patient"`
	Doses        [][2]float64       `json:"doses"`
	Observations [][2]float64       `json:"observations"`
	Eta          map[string]float64 `json:"eta"`
	Objective    float64            `json:"objective"`
}

func (c referenceCase) input() Input {
	in := Input{Model: c.Model, SkipSIR: true}
	if c.Model == dosing.WarfarinHamberg {
		in.Patient = dosing.Patient{Age: c.Patient.Age, Genotypes: map[string]string{"CYP2C9": c.Patient.CYP2C9, "VKORC1": c.Patient.VKORC1}}
	}
	for _, d := range c.Doses {
		in.Doses = append(in.Doses, Dose{Hour: d[0], Amount: d[1]})
	}
	for _, o := range c.Observations {
		in.Observations = append(in.Observations, Observation{Hour: o[0], Value: o[1]})
	}
	return in
}

var scipyRun = flag.Bool("mipd.scipy", false, "rerun testdata/reference.py (scipy, minutes) instead of reading the committed golden file")

// havePython reports whether /usr/bin/python3 can import scipy.
func havePython() bool { return exec.Command("/usr/bin/python3", "-c", "import scipy").Run() == nil }

// loadReference reads the committed golden file, or with -mipd.scipy
// reruns testdata/reference.py (which needs /usr/bin/python3 with scipy).
func loadReference(t *testing.T) []referenceCase {
	t.Helper()
	path := filepath.Join("testdata", "reference.json")
	if *scipyRun {
		if !havePython() {
			t.Skip("-mipd.scipy needs /usr/bin/python3 with scipy")
		}
		out := filepath.Join(t.TempDir(), "reference.json")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		if b, err := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "reference.py"), out).CombinedOutput(); err != nil {
			t.Fatalf("reference.py: %v\n%s", err, b)
		}
		path = out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []referenceCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Cases
}

// referenceOFV evaluates the reference implementation's objective at the
// given η (by case name), or returns nil without /usr/bin/python3 + scipy.
func referenceOFV(t *testing.T, etas map[string][]float64) map[string]float64 {
	t.Helper()
	if !havePython() {
		t.Log("no /usr/bin/python3 with scipy: the reference objective at the Go mode is not evaluated")
		return nil
	}
	in, _ := json.Marshal(etas)
	cmd := exec.Command("/usr/bin/python3", filepath.Join("testdata", "reference.py"), "--eval")
	cmd.Stdin = bytes.NewReader(in)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference.py --eval: %v", err)
	}
	var out map[string]float64
	if err := json.Unmarshal(outb, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReferenceAgreement compares the MAP η and OFV with an independent
// implementation (scipy's ODE solver and optimizer over the same
// equations) on fixed cases, within 1e-3 in η; when /usr/bin/python3 has
// scipy it also evaluates the reference objective at the Go mode. The Go side runs on a fine grid (5-min
// warfarin steps, 64 docetaxel RK4 steps per hour) so the comparison
// measures the estimator, not the default grid's discretization.
func TestReferenceAgreement(t *testing.T) {
	e, err := New(Config{WarfarinStepsPerDay: 288, DocetaxelFineStepsPerHour: 64})
	if err != nil {
		t.Fatal(err)
	}
	cases := loadReference(t)
	results := map[string]*Result{}
	etas := map[string][]float64{}
	for _, c := range cases {
		res, err := e.Individualize(context.Background(), c.input())
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		results[c.Name], etas[c.Name] = res, res.EtaVector()
	}
	// The reference objective at the Go mode must not be above scipy's
	// minimum: Go's mode is at least as good in the other implementation.
	refAtGo := referenceOFV(t, etas)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res := results[c.Name]
			if v, ok := refAtGo[c.Name]; ok {
				if v > c.Objective+1e-3 {
					t.Errorf("reference OFV at the Go mode %.5f is above scipy's minimum %.5f", v, c.Objective)
				}
				t.Logf("reference OFV at the Go mode %.5f, scipy's minimum %.5f", v, c.Objective)
			}
			for name, want := range c.Eta {
				if got := res.Eta[name]; math.Abs(got-want) > 1e-3 {
					t.Errorf("eta %s = %.5f, scipy %.5f", name, got, want)
				}
			}
			if math.Abs(res.Objective-c.Objective) > 1e-3*math.Max(1, math.Abs(c.Objective)) {
				t.Errorf("OFV = %.5f, scipy %.5f", res.Objective, c.Objective)
			}
			t.Logf("OFV %.5f (scipy %.5f), η %v", res.Objective, c.Objective, res.Eta)
		})
	}
}
