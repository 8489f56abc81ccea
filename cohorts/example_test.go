package cohorts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/store"
)

func ExampleService_Count() {
	dir, _ := os.MkdirTemp("", "cohorts-example-")
	defer os.RemoveAll(dir)
	db, _ := store.Open(store.Config{Dir: dir, GCInterval: -1})
	defer db.Close()
	svc, _ := cohorts.New(cohorts.Config{DB: db, Now: func() time.Time { return time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC) }})
	ctx := context.Background()
	if err := svc.Seed(ctx, 2000, 1); err != nil {
		fmt.Println(err)
		return
	}
	adults, female := 18.0, "FEMALE"
	c := cohorts.Criteria{All: []cohorts.Criteria{
		{Age: &cohorts.Range{Min: &adults}},
		{Sex: []string{female}},
		{Condition: &cohorts.Code{System: "ICD10CM", Code: "I48"}},
	}}
	exact, _ := svc.Count(ctx, c, true)
	designer, _ := svc.Count(ctx, c, false)
	fmt.Println(exact.Attrition[2].Rule, exact.Display)
	fmt.Println(designer.Display, designer.Suppressed)
	// Output:
	// condition ICD10CM I48 9
	// <11 true
}

func ExampleParseCTML() {
	t, err := cohorts.ParseCTML(`
protocol_no: 00-000
treatment_list:
  step:
  - arm:
    - arm_code: A
      match:
      - and:
        - clinical: {oncotree_primary_diagnosis: Breast, age_numerical: '>=18'}
        - genomic: {hugo_symbol: PIK3CA, variant_category: Mutation, protein_change: p.H1047R}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range t.Arms {
		js, _ := json.Marshal(a.Criteria)
		fmt.Println(a.Code, string(js))
	}
	// Output:
	// A {"all":[{"all":[{"age":{"min":18}},{"condition":{"system":"ONCOTREE","code":"BREAST"}}]},{"variant":{"gene":"PIK3CA","proteinChange":"H1047R"}}]}
}
