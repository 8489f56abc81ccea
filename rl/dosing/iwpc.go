package dosing

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/rxlab/rxlab/rl/pkpd"
	"github.com/rxlab/rxlab/store/errs"
)

// IWPCRecord is one patient of the IWPC warfarin data set (only the columns
// the dosing algorithms and populations use). Missing numbers are NaN,
// missing age decade is 0, missing genotypes are "".
type IWPCRecord struct {
	ID            string
	Sex           string // "FEMALE", "MALE" or ""
	Race          string
	AgeDecade     int // 1 for 10–19 … 9 for 90+
	HeightCm      float64
	WeightKg      float64
	Amiodarone    bool
	EnzymeInducer bool // carbamazepine, phenytoin or rifampin
	CYP2C9        string
	VKORC1        string // rs9923231 (-1639), e.g. "A/G"
	// WeeklyDose is the therapeutic (stable) dose in mg/week.
	WeeklyDose float64
}

// iwpcColumns are the header names ReadIWPC needs.
var iwpcColumns = []string{
	"PharmGKB Subject ID", "Gender", "Race", "Age", "Height (cm)", "Weight (kg)",
	"Amiodarone (Cordarone)", "Carbamazepine (Tegretol)", "Phenytoin (Dilantin)", "Rifampin or Rifampicin",
	"Therapeutic Dose of Warfarin", "CYP2C9 consensus", "VKORC1 -1639 consensus",
}

// ReadIWPC parses the IWPC CSV (the PharmGKB layout, or any CSV holding at
// least the needed columns by header name; UTF-8 BOM and CRLF accepted).
// Rows with an empty subject id are skipped. Errors give the line and column
// and wrap errs.Invalid.
func ReadIWPC(r io.Reader) ([]IWPCRecord, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("IWPC header: %v: %w", err, errs.Invalid)
	}
	idx := make(map[string]int, len(iwpcColumns))
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	col := make([]int, len(iwpcColumns))
	for k, name := range iwpcColumns {
		i, ok := idx[name]
		if !ok {
			return nil, fmt.Errorf("IWPC header: column %q missing: %w", name, errs.Invalid)
		}
		col[k] = i
	}
	var out []IWPCRecord
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("IWPC line %d column %d: %v: %w", pe.Line, pe.Column, pe.Err, errs.Invalid)
			}
			return nil, fmt.Errorf("IWPC: %v: %w", err, errs.Invalid)
		}
		line, _ := cr.FieldPos(0)
		get := func(k int) string {
			if col[k] < len(rec) {
				return strings.TrimSpace(rec[col[k]])
			}
			return ""
		}
		id := get(0)
		if id == "" {
			continue
		}
		r := IWPCRecord{ID: id, Race: get(2), CYP2C9: naToEmpty(get(11)), VKORC1: naToEmpty(get(12))}
		switch strings.ToLower(get(1)) {
		case "male":
			r.Sex = "MALE"
		case "female":
			r.Sex = "FEMALE"
		}
		if a := get(3); a != "" && a != "NA" {
			d := a[0] - '0'
			if d < 1 || d > 9 {
				return nil, fmt.Errorf("IWPC line %d column %q: age bin not of the form \"60 - 69\": %w", line, iwpcColumns[3], errs.Invalid)
			}
			r.AgeDecade = int(d)
		}
		for _, f := range []struct {
			k   int
			dst *float64
		}{{4, &r.HeightCm}, {5, &r.WeightKg}, {10, &r.WeeklyDose}} {
			v, err := parseNum(get(f.k))
			if err != nil {
				return nil, fmt.Errorf("IWPC line %d column %q: not a number: %w", line, iwpcColumns[f.k], errs.Invalid)
			}
			*f.dst = v
		}
		r.Amiodarone = get(6) == "1"
		r.EnzymeInducer = get(7) == "1" || get(8) == "1" || get(9) == "1"
		out = append(out, r)
	}
	return out, nil
}

func naToEmpty(s string) string {
	if s == "NA" {
		return ""
	}
	return s
}

func parseNum(s string) (float64, error) {
	if s == "" || s == "NA" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v < 0 {
		return 0, errors.New("bad number")
	}
	return v, nil
}

//go:embed iwpcdata/iwpc-covariates.csv.gz
var iwpcGz []byte

// EmbeddedIWPC returns the vendored IWPC covariate table (all 5,700 patients,
// the 13 columns ReadIWPC needs; see iwpcdata/SOURCE.md).
func EmbeddedIWPC() ([]IWPCRecord, error) {
	zr, err := gzip.NewReader(bytes.NewReader(iwpcGz))
	if err != nil {
		return nil, fmt.Errorf("embedded IWPC table: %w", err)
	}
	defer zr.Close()
	return ReadIWPC(zr)
}

// IWPCInput are the covariates of the IWPC 2009 dosing algorithms.
type IWPCInput struct {
	AgeDecades    int // 1 for 10–19, 2 for 20–29, …
	HeightCm      float64
	WeightKg      float64
	Race          RaceGroup
	CYP2C9        pkpd.CYP2C9
	CYP2C9Known   bool
	VKORC1        pkpd.VKORC1
	VKORC1Known   bool
	EnzymeInducer bool
	Amiodarone    bool
}

// Complete reports whether age, height and weight are present.
func (in IWPCInput) Complete() bool {
	return in.AgeDecades > 0 && in.HeightCm > 0 && in.WeightKg > 0
}

// Input converts a record; rare CYP2C9 alleles (*5, *6, *11, …) count as
// *1/*1 and unparsable genotypes as unknown.
func (r IWPCRecord) Input() IWPCInput {
	in := IWPCInput{AgeDecades: r.AgeDecade, HeightCm: r.HeightCm, WeightKg: r.WeightKg,
		EnzymeInducer: r.EnzymeInducer, Amiodarone: r.Amiodarone}
	p := Patient{Race: r.Race}
	in.Race = p.RaceGroup()
	if r.CYP2C9 != "" {
		c, err := pkpd.ParseCYP2C9(r.CYP2C9)
		in.CYP2C9, in.CYP2C9Known = c, true
		if err != nil {
			in.CYP2C9 = pkpd.CYP2C9_11
		}
	}
	if r.VKORC1 != "" {
		if v, err := pkpd.ParseVKORC1(r.VKORC1); err == nil {
			in.VKORC1, in.VKORC1Known = v, true
		}
	}
	return in
}

// IWPCInputOf builds the algorithm input from a patient; age, height and
// weight are required (errors name the field).
func IWPCInputOf(p *Patient) (IWPCInput, error) {
	if !(p.Age >= 10) {
		return IWPCInput{}, fmt.Errorf("patient.age is required (≥ 10) by the IWPC algorithms: %w", errs.Invalid)
	}
	if !(p.HeightCm > 0) {
		return IWPCInput{}, fmt.Errorf("patient.heightCm is required by the IWPC algorithms: %w", errs.Invalid)
	}
	if !(p.WeightKg > 0) {
		return IWPCInput{}, fmt.Errorf("patient.weightKg is required by the IWPC algorithms: %w", errs.Invalid)
	}
	in := IWPCInput{AgeDecades: min(9, int(p.Age/10)), HeightCm: p.HeightCm, WeightKg: p.WeightKg,
		Race: p.RaceGroup(), EnzymeInducer: p.EnzymeInducer, Amiodarone: p.Amiodarone}
	in.CYP2C9, in.CYP2C9Known = p.CYP2C9()
	in.VKORC1, in.VKORC1Known = p.VKORC1()
	return in, nil
}

// IWPCPharmacogenetic returns the IWPC 2009 pharmacogenetic algorithm's
// weekly dose (mg/week): the square of the linear predictor.
func IWPCPharmacogenetic(in IWPCInput) float64 {
	s := 5.6044 - 0.2614*float64(in.AgeDecades) + 0.0087*in.HeightCm + 0.0128*in.WeightKg
	switch {
	case !in.VKORC1Known:
		s -= 0.4854
	case in.VKORC1 == pkpd.VKORC1_GA:
		s -= 0.8677
	case in.VKORC1 == pkpd.VKORC1_AA:
		s -= 1.6974
	}
	if !in.CYP2C9Known {
		s -= 0.2188
	} else {
		s -= [...]float64{0, 0.5211, 0.9357, 1.0616, 1.9206, 2.3312}[in.CYP2C9]
	}
	switch in.Race {
	case RaceAsian:
		s -= 0.1092
	case RaceBlack:
		s -= 0.2760
	case RaceMissingOrMixed:
		s -= 0.1032
	}
	if in.EnzymeInducer {
		s += 1.1816
	}
	if in.Amiodarone {
		s -= 0.5503
	}
	return s * s
}

// IWPCClinical returns the IWPC 2009 clinical algorithm's weekly dose
// (mg/week).
func IWPCClinical(in IWPCInput) float64 {
	s := 4.0376 - 0.2546*float64(in.AgeDecades) + 0.0118*in.HeightCm + 0.0134*in.WeightKg
	switch in.Race {
	case RaceAsian:
		s -= 0.6752
	case RaceBlack:
		s += 0.4060
	case RaceMissingOrMixed:
		s += 0.0443
	}
	if in.EnzymeInducer {
		s += 1.2799
	}
	if in.Amiodarone {
		s -= 0.5695
	}
	return s * s
}
