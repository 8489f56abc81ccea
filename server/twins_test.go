package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/cohorts/disclosure"
	"github.com/rxlab/rxlab/rl"
	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
)

func TestTwinsFromStoredPatients(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := cohorts.New(cohorts.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Seed(ctx, 2000, 3); err != nil {
		t.Fatal(err)
	}
	tw, err := newTwins(svc, 11)
	if err != nil {
		t.Fatal(err)
	}
	crit := []byte(`{"all":[{"age":{"min":50}},{"pgx":{"gene":"CYP2C9","phenotype":"Intermediate Metabolizer"}}]}`)
	draw := func(crit []byte, n int, seed uint64) ([]*dosing.Patient, error) {
		res, err := tw.Draw(ctx, rl.TwinsRequest{Criteria: crit, N: n, Seed: seed})
		return res.Patients, err
	}
	pop, err := draw(crit, 200, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(pop) != 200 {
		t.Fatalf("%d twins, want 200", len(pop))
	}
	withCYP := 0
	for _, p := range pop {
		if p.Age < 50 {
			t.Errorf("twin aged %v from criteria age >= 50", p.Age)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("twin does not validate: %v", err)
		}
		if g := p.Genotypes["CYP2C9"]; g != "" {
			withCYP++
			if g == "*1/*1" {
				t.Errorf("an intermediate metabolizer became CYP2C9 %s", g)
			}
		}
	}
	if withCYP < 150 {
		t.Errorf("only %d of 200 twins kept their CYP2C9 diplotype", withCYP)
	}
	again, _ := draw(crit, 200, 9)
	if !reflect.DeepEqual(pop, again) {
		t.Error("the same seed gave other twins")
	}
	if _, err := draw([]byte(`{"age":{"min":500}}`), 10, 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("criteria matching nobody: %v", err)
	}
	if _, err := draw([]byte(`{"nope":1}`), 10, 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad criteria: %v", err)
	}
}

// TestTwinsMinimumSize checks the small-cell minimum k on populations drawn
// from stored patients: Check counts the matching patients before a job is
// queued; Draw counts those left after the job's eligibility check. The
// errors carry COHORT_TOO_SMALL and name no patient attribute.
func TestTwinsMinimumSize(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := cohorts.New(cohorts.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	// 12 men, 2 of them minors; 10 women.
	if _, err := svc.ImportPatients(ctx, "matchminer-clinical", clinicalRecords(10, 2, 10)); err != nil {
		t.Fatal(err)
	}
	tw, err := newTwins(svc, 11)
	if err != nil {
		t.Fatal(err)
	}
	adults := func(p *dosing.Patient) string {
		if p.Age < 18 {
			return rl.SkipUnderAge
		}
		return ""
	}
	cases := []struct {
		name     string
		criteria string
		eligible func(*dosing.Patient) string
		checkErr bool // Check refuses
		drawErr  bool // Draw refuses
		skipped  int
	}{
		{"12 match, all may take part", `{"sex":["MALE"]}`, nil, false, false, 0},
		{"12 match, 10 adults", `{"sex":["MALE"]}`, adults, false, true, 2},
		{"10 match", `{"sex":["FEMALE"]}`, nil, true, true, 0},
		{"22 match, 20 adults", `{"sex":["MALE","FEMALE"]}`, adults, false, false, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := []error{tw.Check(ctx, []byte(c.criteria))}
			res, err := tw.Draw(ctx, rl.TwinsRequest{Criteria: []byte(c.criteria), N: 30, Seed: 1, Eligible: c.eligible})
			errs = append(errs, err)
			for i, want := range []bool{c.checkErr, c.drawErr} {
				err := errs[i]
				var tf *disclosure.MinimumError
				if !want {
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					continue
				}
				if !errors.As(err, &tf) || tf.Code() != "COHORT_TOO_SMALL" || !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "at least 11") {
					t.Fatalf("call %d: %v, want COHORT_TOO_SMALL", i, err)
				}
				for _, attr := range []string{"age", "sex", "male", "female", "birth", "18"} {
					if strings.Contains(strings.ToLower(err.Error()), attr) {
						t.Errorf("call %d: the error names %q: %v", i, attr, err)
					}
				}
			}
			if !c.drawErr && (len(res.Patients) != 30 || res.Skipped[rl.SkipUnderAge] != c.skipped) {
				t.Errorf("drew %d twins, skipped %v", len(res.Patients), res.Skipped)
			}
		})
	}
}

// clinicalRecords is MatchMiner clinical JSON for men adult men, boys
// ten-year-old boys and women adult women.
func clinicalRecords(men, boys, women int) string {
	var recs []map[string]string
	add := func(n int, sex, born string) {
		for range n {
			recs = append(recs, map[string]string{"SAMPLE_ID": fmt.Sprintf("S%03d", len(recs)+1), "GENDER": sex, "BIRTH_DATE": born,
				"ONCOTREE_PRIMARY_DIAGNOSIS_NAME": "Lung Adenocarcinoma"})
		}
	}
	add(men, "Male", "1960-03-01")
	add(boys, "Male", time.Now().AddDate(-10, 0, 0).Format("2006-01-02"))
	add(women, "Female", "1962-05-01")
	b, _ := json.Marshal(recs)
	return string(b)
}
