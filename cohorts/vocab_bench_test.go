package cohorts

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCountVocabulary measures, on the BenchmarkCohorts fixture
// (-cohorts.n patients), Count p50 for rules that expand through the
// vocabulary next to the same rules that do not (descendants: false, or a
// lab code whose group holds one stored code):
//
//	go test ./cohorts -run '^$' -bench 'Cohorts/rxlab|CountVocabulary' -benchtime 200x -cohorts.n 1000000
func BenchmarkCountVocabulary(b *testing.B) {
	f := loadFixture(b)
	no := false
	cases := []struct {
		name string
		c    Criteria
	}{
		{"ingredient-expanded", Criteria{Medication: &Code{System: "RXNORM", Code: "11289"}}},
		{"ingredient-exact", Criteria{Medication: &Code{System: "RXNORM", Code: "11289", Descendants: &no}}},
		{"snomed-363346000-expanded", Criteria{Condition: &Code{System: "SNOMED", Code: "363346000"}}},
		{"icd-C34-expanded", Criteria{Condition: &Code{System: "ICD10CM", Code: "C34"}}},
		{"icd-C34-exact", Criteria{Condition: &Code{System: "ICD10CM", Code: "C34.90", Descendants: &no}}},
		{"egfr-group", Criteria{Lab: &Lab{Loinc: "98979-8", Op: "LT", Value: 60}}},
		{"six-rules-plus-vocab", Criteria{All: append(sixRules().All,
			Criteria{Not: &Criteria{Medication: &Code{System: "RXNORM", Code: "1721560"}}},
			Criteria{Any: []Criteria{{Condition: &Code{System: "ICD10CM", Code: "E11"}}, {Condition: &Code{System: "SNOMED", Code: "363346000"}}}})}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ds := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := f.s.Count(context.Background(), c.c, false); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
			b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}
