package cohorts

import (
	"fmt"
	"testing"
)

// BenchmarkSavedCohorts: 3 levels × 100 saved cohorts, each above the
// first an any of 10 cohorts of the level below, on 5,000 demo patients.
// "cached" counts all of level 3 with every bitmap cached (the save
// evaluated it); "new generation" after a publish, so each of the 300
// cohorts is evaluated once; "expanded" is the same tree written out
// (10,000 leaves), which is what evaluating every reference costs.
//
//	go test ./cohorts -run '^$' -bench SavedCohorts -benchtime 5x -count 1
func BenchmarkSavedCohorts(b *testing.B) {
	s, _, _ := newService(b, "2026-01-15")
	if err := s.Seed(bg, 5000, 2); err != nil {
		b.Fatal(err)
	}
	pool := leafPool()
	expanded := map[string]Criteria{}
	var top, topEx []Criteria
	for lvl := 0; lvl < 3; lvl++ {
		for i := 0; i < 100; i++ {
			name := fmt.Sprintf("L%d-%d", lvl, i)
			c := pool[(i*13)%len(pool)]
			ex := c
			if lvl > 0 {
				var kids, exk []Criteria
				for j := 0; j < 10; j++ {
					ref := fmt.Sprintf("L%d-%d", lvl-1, (i+j*7)%100)
					kids = append(kids, Criteria{Cohort: ptr(ref)})
					exk = append(exk, expanded[ref])
				}
				c, ex = Criteria{Any: kids}, Criteria{Any: exk}
			}
			expanded[name] = ex
			if _, err := s.SaveCohort(bg, name, c); err != nil {
				b.Fatal(err)
			}
			if lvl == 2 {
				top = append(top, Criteria{Cohort: ptr(name)})
				topEx = append(topEx, ex)
			}
		}
	}
	q, qEx := Criteria{Any: top}, Criteria{Any: topEx}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Count(bg, q, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new_generation", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s.imu.Lock()
			s.publish(s.begin())
			s.imu.Unlock()
			b.StartTimer()
			if _, err := s.Count(bg, q, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("expanded", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Count(bg, qEx, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
