package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/graphql/auth"
)

// mipdRecordVars is a warfarin record: 5 mg daily for 14 days, INRs on
// the outpatient days.
func mipdRecordVars() map[string]any {
	var doses []any
	for d := range 14 {
		doses = append(doses, map[string]any{"hour": float64(24 * d), "amount": "5"})
	}
	obs := []any{
		map[string]any{"hour": 72.0, "value": 1.3}, map[string]any{"hour": 120.0, "value": 1.7},
		map[string]any{"hour": 168.0, "value": 2.1}, map[string]any{"hour": 240.0, "value": 2.6},
		map[string]any{"hour": 336.0, "value": 3.1},
	}
	return map[string]any{"model": "warfarin-hamberg", "doses": doses, "observations": obs, "seed": 7, "sirSamples": 300,
		"patient": map[string]any{"age": 66.0, "genotypes": map[string]any{"CYP2C9": "*1/*2", "VKORC1": "G/A"}}}
}

func TestMIPDOperations(t *testing.T) {
	ts := newTestServer(t, &MIPD{})
	clin := ts.token(auth.Clinician)
	r := ts.query(clin, `query($in: IndividualizationInput!) { individualize(input: $in) { eta parameters objective shrinkage
		converged warnings predictions { hour observed ipred pred residual } intervals { name laplaceLow laplaceHigh sirLow sirHigh } sir { samples ess } } }`,
		map[string]any{"in": mipdRecordVars()})
	if r.code() != "" {
		t.Fatalf("individualize: %+v", r.Errors)
	}
	ind := r.Data["individualize"].(map[string]any)
	eta := ind["eta"].(map[string]any)
	if len(eta) != 6 || ind["converged"] != true || len(ind["predictions"].([]any)) != 5 || ind["sir"].(map[string]any)["samples"].(float64) != 60 {
		t.Errorf("individualize = %v", ind)
	}
	for _, iv := range ind["intervals"].([]any) {
		m := iv.(map[string]any)
		if !(m["laplaceLow"].(float64) < eta[m["name"].(string)].(float64)) || m["sirLow"] == nil {
			t.Errorf("interval %v", m)
		}
	}

	// optimizeDose: every level weighed, the best allowed and in the grid.
	in := mipdRecordVars()
	in["horizonDays"], in["draws"] = 14, 50
	r = ts.query(clin, `query($in: OptimizeDoseInput!) { optimizeDose(input: $in) { best { dose probInRange } candidates { dose allowed guardrail probInRange } doses startHour } }`,
		map[string]any{"in": in})
	if r.code() != "" {
		t.Fatalf("optimizeDose: %+v", r.Errors)
	}
	od := r.Data["optimizeDose"].(map[string]any)
	cands := od["candidates"].([]any)
	best := od["best"].(map[string]any)
	if len(cands) != 31 || od["doses"].(float64) != 14 || od["startHour"].(float64) != 336 {
		t.Errorf("optimizeDose = %v", od)
	}
	for _, c := range cands {
		m := c.(map[string]any)
		if m["allowed"] == true && m["probInRange"].(float64) > best["probInRange"].(float64)+1e-12 {
			t.Errorf("candidate %v beats best %v", m, best)
		}
	}

	// forecast: a 7-day trajectory with an interval around the median.
	in = mipdRecordVars()
	in["horizonDays"], in["regimen"] = 7, []any{map[string]any{"hour": 336.0, "amount": "4"}, map[string]any{"hour": 360.0, "amount": "4"}}
	r = ts.query(clin, `query($in: ForecastInput!) { forecast(input: $in) { points { hour median lower upper } } }`, map[string]any{"in": in})
	if r.code() != "" {
		t.Fatalf("forecast: %+v", r.Errors)
	}
	pts := r.Data["forecast"].(map[string]any)["points"].([]any)
	if len(pts) != 8 {
		t.Errorf("forecast points = %d", len(pts))
	}
	for _, p := range pts {
		m := p.(map[string]any)
		if !(m["lower"].(float64) <= m["median"].(float64) && m["median"].(float64) <= m["upper"].(float64)) {
			t.Errorf("forecast point %v", m)
		}
	}
}

func TestMIPDErrors(t *testing.T) {
	ts := newTestServer(t, &MIPD{})
	clin := ts.token(auth.Clinician)
	q := `query($in: IndividualizationInput!) { individualize(input: $in) { objective } }`
	tests := []struct {
		name, code, field string
		edit              func(m map[string]any)
	}{
		{"before first dose", "BAD_USER_INPUT", "input.observations[2].hour", func(m map[string]any) {
			m["doses"] = m["doses"].([]any)[3:]
			m["observations"].([]any)[2] = map[string]any{"hour": 24.0, "value": 1.4}
		}},
		{"negative value", "BAD_USER_INPUT", "input.observations[1].value", func(m map[string]any) {
			m["observations"].([]any)[1] = map[string]any{"hour": 120.0, "value": -1.0}
		}},
		{"unknown unit", "BAD_USER_INPUT", "input.observations[0].unit", func(m map[string]any) {
			m["observations"].([]any)[0] = map[string]any{"hour": 72.0, "value": 1.3, "unit": "mg/dL"}
		}},
		{"hour past the clock", "BAD_USER_INPUT", "input.doses[13].hour", func(m map[string]any) {
			m["doses"].([]any)[13] = map[string]any{"hour": 1e300, "amount": "5"}
		}},
		{"too many observations", "LIMIT_EXCEEDED", "observations", func(m map[string]any) {
			var obs []any
			for i := range 201 {
				obs = append(obs, map[string]any{"hour": float64(i), "value": 1.1})
			}
			m["observations"] = obs
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := mipdRecordVars()
			tc.edit(in)
			r := ts.query(clin, q, map[string]any{"in": in})
			if r.code() != tc.code || !strings.Contains(r.Errors[0].Message, tc.field) {
				t.Fatalf("got %+v, want %s naming %s", r.Errors, tc.code, tc.field)
			}
			// No patient value is echoed.
			for _, v := range []string{"-1", "1.3", "66"} {
				if strings.Contains(r.Errors[0].Message, fmt.Sprintf(" %s ", v)) {
					t.Errorf("message echoes a value: %s", r.Errors[0].Message)
				}
			}
		})
	}
	// Without the dosing permission: FORBIDDEN.
	r := ts.query(ts.token(auth.Chemist), q, map[string]any{"in": mipdRecordVars()})
	if r.code() != "FORBIDDEN" {
		t.Errorf("chemist: %+v", r.Errors)
	}
}
