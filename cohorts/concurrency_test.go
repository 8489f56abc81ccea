package cohorts

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentQueriesAndImports runs counts, paging and explanations
// while imports change the data (run with -race).
func TestConcurrentQueriesAndImports(t *testing.T) {
	s, _, _ := newService(t, "2026-01-15")
	if err := s.Seed(bg, 600, 2); err != nil {
		t.Fatal(err)
	}
	q := sixRules()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Count(bg, q, w == 0); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.PatientIDs(bg, Criteria{Lab: &Lab{Loinc: "751-8", Op: "LT", Value: 3}}, 10, ""); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Explain(bg, "DEMO-0000001", q); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	for i := 0; i < 20; i++ {
		obs := fmt.Sprintf("DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n2026-01-0%d,DEMO-%07d,e,751-8,ANC,%d,/uL,numeric\n", 1+i%9, i, 500+100*i)
		pat := fmt.Sprintf("Id,BIRTHDATE,DEATHDATE,RACE,GENDER\nNEW-%d,19%02d-03-04,,asian,F\n", i, 30+i)
		data, _ := json.Marshal(map[string]string{"observations": obs, "patients": pat})
		if _, err := s.ImportPatients(bg, FormatSyntheaCSV, string(data)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	cc, _ := s.Count(bg, Criteria{Race: []string{"asian"}}, true)
	if *cc.Count < 20 {
		t.Errorf("imports lost: %d", *cc.Count)
	}
}
