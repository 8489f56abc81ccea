package cohorts

import (
	"fmt"
	"strings"
)

// labUnit is a LOINC test's canonical unit and the factors that convert
// other spellings of the unit into it (canonical = value * factor).
type labUnit struct {
	canonical string
	factors   map[string]float64
}

// labUnits lists the tests whose values are converted to one canonical
// unit at import and query time. Molar ↔ mass conversions use the
// analyte's molar mass (creatinine 113.12 g/mol → 88.42 µmol/L per mg/dL;
// bilirubin 584.66 g/mol → 17.1; glucose 180.16 g/mol → 18.016); µkat/L →
// U/L uses 1 µkat = 60 U. Tests not listed keep their unit and are compared
// only with queries in the same unit (see doc.go).
var labUnits = map[string]labUnit{
	"33914-3": {"ml/min/1.73m2", nil}, // eGFR (MDRD)
	"62238-1": {"ml/min/1.73m2", nil}, // eGFR (CKD-EPI 2009)
	"98979-8": {"ml/min/1.73m2", nil}, // eGFR (CKD-EPI 2021)
	"2160-0":  {"mg/dl", map[string]float64{"umol/l": 1 / 88.42, "mmol/l": 1000 / 88.42}},
	"1975-2":  {"mg/dl", map[string]float64{"umol/l": 1 / 17.1}},
	"1742-6":  {"u/l", map[string]float64{"ukat/l": 60, "iu/l": 1}},
	"1920-8":  {"u/l", map[string]float64{"ukat/l": 60, "iu/l": 1}},
	"751-8":   {"10*3/ul", map[string]float64{"10*9/l": 1, "/ul": 0.001, "cells/ul": 0.001, "10^9/l": 1, "k/ul": 1}},
	"777-3":   {"10*3/ul", map[string]float64{"10*9/l": 1, "10^9/l": 1, "k/ul": 1}},
	"6301-6":  {"{inr}", map[string]float64{"": 1, "inr": 1, "1": 1, "ratio": 1}},
	"718-7":   {"g/dl", map[string]float64{"g/l": 0.1, "mmol/l": 1.611}},
	"2345-7":  {"mg/dl", map[string]float64{"mmol/l": 18.016}},
	"94076-7": {"/mb", map[string]float64{"1/mb": 1, "{mutations}/mb": 1, "mut/mb": 1}},
	"29463-7": {"kg", map[string]float64{"[lb_av]": 0.45359237, "lb": 0.45359237, "g": 0.001}},
	"8302-2":  {"cm", map[string]float64{"m": 100, "[in_i]": 2.54, "in": 2.54}},
	"39156-5": {"kg/m2", nil},
	"8480-6":  {"mm[hg]", map[string]float64{"mmhg": 1}},
	"8462-4":  {"mm[hg]", map[string]float64{"mmhg": 1}},
}

// normUnit lower-cases a UCUM-ish unit and folds common spellings.
func normUnit(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.ReplaceAll(u, " ", "")
	u = strings.ReplaceAll(u, "µ", "u")
	u = strings.ReplaceAll(u, "μ", "u")
	u = strings.ReplaceAll(u, "{1.73_m2}", "1.73m2")
	u = strings.ReplaceAll(u, "1.73_m2", "1.73m2")
	return u
}

// labColumn returns the index column of a stored lab value and the value
// in that column's unit: the canonical unit for listed tests, otherwise the
// value's own unit ("LOINC|unit").
func labColumn(loinc string, value float64, unit string) (string, float64) {
	nu := normUnit(unit)
	if lu, ok := labUnits[loinc]; ok {
		if nu == "" || nu == lu.canonical {
			return loinc, value
		}
		if f, ok := lu.factors[nu]; ok {
			return loinc, value * f
		}
	}
	return loinc + "|" + nu, value
}

// labQueryValue returns the column and value a Lab criterion compares with.
func labQueryValue(l *Lab) (col string, err error) {
	unit := ""
	if l.Unit != nil {
		unit = *l.Unit
	}
	nu := normUnit(unit)
	if lu, ok := labUnits[l.Loinc]; ok {
		if nu == "" || nu == lu.canonical {
			return l.Loinc, nil
		}
		if _, ok := lu.factors[nu]; ok {
			return l.Loinc, nil
		}
		return "", fmt.Errorf("unit %q cannot be converted to %s for LOINC %s", unit, lu.canonical, l.Loinc)
	}
	return l.Loinc + "|" + nu, nil
}

// labQuery returns the column and the query value in that column's unit.
func labQuery(l *Lab) (string, float64, error) {
	col, err := labQueryValue(l)
	if err != nil {
		return "", 0, err
	}
	unit := ""
	if l.Unit != nil {
		unit = *l.Unit
	}
	_, v := labColumn(l.Loinc, l.Value, unit)
	return col, v, nil
}

func compare(op string, a, b float64) bool {
	switch op {
	case "LT":
		return a < b
	case "LE":
		return a <= b
	case "EQ":
		return a == b
	case "GE":
		return a >= b
	case "GT":
		return a > b
	}
	return false
}
