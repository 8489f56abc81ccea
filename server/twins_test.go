package main

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/rxlab/rxlab/cohorts"
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
	tw := twins(svc)
	crit := []byte(`{"all":[{"age":{"min":50}},{"pgx":{"gene":"CYP2C9","phenotype":"Intermediate Metabolizer"}}]}`)
	pop, err := tw(ctx, crit, 200, 9)
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
	again, _ := tw(ctx, crit, 200, 9)
	if !reflect.DeepEqual(pop, again) {
		t.Error("the same seed gave other twins")
	}
	if _, err := tw(ctx, []byte(`{"age":{"min":500}}`), 10, 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("criteria matching nobody: %v", err)
	}
	if _, err := tw(ctx, []byte(`{"nope":1}`), 10, 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad criteria: %v", err)
	}
}
