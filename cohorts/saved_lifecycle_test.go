package cohorts

import (
	"context"
	"errors"
	"testing"

	"github.com/rxlab/rxlab/store"
)

func as(actor, role string) context.Context {
	return store.WithAudit(context.Background(), store.AuditInfo{Actor: actor, Role: role, Operation: "test"})
}

// TestCohortLifecycle: names unique per owner, update adds a readable
// version, delete removes every version (refused while referred to), and
// another owner may neither update nor delete.
func TestCohortLifecycle(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 200, 1); err != nil {
		t.Fatal(err)
	}
	alice, bob := as("tokA", "designer"), as("tokB", "designer")
	v1, err := s.SaveCohort(alice, "women", Criteria{Sex: []string{"FEMALE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveCohort(alice, "women", Criteria{Sex: []string{"MALE"}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same owner, same name: %v", err)
	}
	if _, err := s.SaveCohort(bob, "women", Criteria{Sex: []string{"FEMALE"}}); err != nil {
		t.Fatalf("another owner may use the name: %v", err)
	}
	desc := "women over 50"
	v2, err := s.UpdateCohort(alice, v1.ID, &Criteria{All: []Criteria{{Sex: []string{"FEMALE"}}, {Age: &Range{Min: ptr(50.0)}}}}, &desc)
	if err != nil || v2.Version != 2 || v2.Description != desc || v2.Name != "women" {
		t.Fatalf("update: %+v %v", v2, err)
	}
	// Description only: criteria carried over.
	v3, err := s.UpdateCohort(alice, v2.ID, nil, ptr("renamed text"))
	if err != nil || v3.Version != 3 || v3.Criteria.All == nil {
		t.Fatalf("description-only update: %+v %v", v3, err)
	}
	old, err := s.Cohort(bg, v1.ID)
	if err != nil || old.Criteria.Sex == nil {
		t.Fatalf("version 1 readable: %+v %v", old, err)
	}
	c1, _ := s.CohortCount(bg, v1.ID, true)
	c2, _ := s.CohortCount(bg, v2.ID, true)
	if *c2.Count >= *c1.Count {
		t.Errorf("v2 (over 50) %d not below v1 %d", *c2.Count, *c1.Count)
	}
	vs, err := s.CohortVersions(bg, v1.ID)
	if err != nil || len(vs) != 3 {
		t.Fatalf("versions %v %v", vs, err)
	}
	if _, err := s.UpdateCohort(bob, v1.ID, nil, ptr("x")); !errors.Is(err, store.ErrPermission) {
		t.Fatalf("bob updates alice's: %v", err)
	}
	ref, err := s.SaveCohort(alice, "uses", Criteria{Cohort: ptr(v2.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteCohort(alice, v1.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete while referred to: %v", err)
	}
	if _, err := s.DeleteCohort(bob, ref.ID); !errors.Is(err, store.ErrPermission) {
		t.Fatalf("bob deletes alice's: %v", err)
	}
	if _, err := s.DeleteCohort(alice, ref.ID); err != nil {
		t.Fatal(err)
	}
	ids, err := s.DeleteCohort(alice, v3.ID)
	if err != nil || len(ids) != 3 {
		t.Fatalf("delete: %v %v", ids, err)
	}
	for _, id := range ids {
		if _, err := s.Cohort(bg, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s still readable: %v", id, err)
		}
	}
	// Bob's cohort of the same name is untouched; alice may reuse it.
	if c, err := s.Cohort(bg, "women"); err != nil || c.Owner != "tokB" {
		t.Fatalf("bob's: %+v %v", c, err)
	}
	if _, err := s.SaveCohort(alice, "women", Criteria{Sex: []string{"FEMALE"}}); err != nil {
		t.Fatal(err)
	}
}
