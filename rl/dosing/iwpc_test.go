package dosing

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rxlab/rxlab/store/errs"
)

// sharedIWPC is the full upstream file; tests using it skip when absent.
var sharedIWPC = filepath.Join("..", "..", "..", "shared", "data", "iwpc-warfarin", "warfarin.csv")

func iwpcMAE(t *testing.T, recs []IWPCRecord) (n int, fixed, clinical, pgx float64) {
	t.Helper()
	for _, r := range recs {
		in := r.Input()
		if !in.Complete() || math.IsNaN(r.WeeklyDose) {
			continue
		}
		n++
		fixed += math.Abs(35 - r.WeeklyDose)
		clinical += math.Abs(IWPCClinical(in) - r.WeeklyDose)
		pgx += math.Abs(IWPCPharmacogenetic(in) - r.WeeklyDose)
	}
	f := float64(n)
	return n, fixed / f, clinical / f, pgx / f
}

// TestIWPCMeanAbsoluteError reproduces the data set's reference MAEs
// (SOURCE.md: n = 4,386; fixed 13.26, clinical 9.98, pharmacogenetic 8.63
// mg/week) on the shared file when present and on the embedded copy always.
func TestIWPCMeanAbsoluteError(t *testing.T) {
	sources := map[string]func() ([]IWPCRecord, error){
		"embedded": EmbeddedIWPC,
		"shared": func() ([]IWPCRecord, error) {
			f, err := os.Open(sharedIWPC)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return ReadIWPC(f)
		},
	}
	for name, load := range sources {
		t.Run(name, func(t *testing.T) {
			recs, err := load()
			if name == "shared" && errors.Is(err, os.ErrNotExist) {
				t.Skip("shared IWPC file absent")
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 5700 {
				t.Errorf("records = %d, want 5700", len(recs))
			}
			n, fixed, clin, pgx := iwpcMAE(t, recs)
			t.Logf("n=%d MAE fixed %.2f clinical %.2f pharmacogenetic %.2f mg/week", n, fixed, clin, pgx)
			if n != 4386 {
				t.Errorf("complete patients = %d, want 4386", n)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"fixed", fixed, 13.26}, {"clinical", clin, 9.98}, {"pharmacogenetic", pgx, 8.63}} {
				if math.Abs(c.got-c.want) > 0.01 {
					t.Errorf("%s MAE %.3f, want %.2f", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestReadIWPCErrors(t *testing.T) {
	cases := map[string]string{
		"missing column": "PharmGKB Subject ID,Gender\nPA1,male\n",
		"bad age":        "PharmGKB Subject ID,Gender,Race,Age,Height (cm),Weight (kg),Amiodarone (Cordarone),Carbamazepine (Tegretol),Phenytoin (Dilantin),Rifampin or Rifampicin,Therapeutic Dose of Warfarin,CYP2C9 consensus,VKORC1 -1639 consensus\nPA1,male,White,old,170,70,0,0,0,0,35,*1/*1,A/G\n",
		"bad height":     "PharmGKB Subject ID,Gender,Race,Age,Height (cm),Weight (kg),Amiodarone (Cordarone),Carbamazepine (Tegretol),Phenytoin (Dilantin),Rifampin or Rifampicin,Therapeutic Dose of Warfarin,CYP2C9 consensus,VKORC1 -1639 consensus\nPA1,male,White,60 - 69,tall,70,0,0,0,0,35,*1/*1,A/G\n",
		"bad quote":      "PharmGKB Subject ID,Gender\n\"PA1,male\n",
		"empty":          "",
	}
	for name, in := range cases {
		if _, err := ReadIWPC(bytes.NewReader([]byte(in))); !errors.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestReadIWPCExcerpts(t *testing.T) {
	head, err := os.ReadFile(filepath.Join("testdata", "iwpc_head.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ReadIWPC(bytes.NewReader(head))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0].ID != "PA135312261" || recs[0].AgeDecade != 6 || recs[0].VKORC1 != "A/G" || recs[0].WeeklyDose != 49 {
		t.Fatalf("unexpected first records: %+v", recs)
	}
	tail, err := os.ReadFile(filepath.Join("testdata", "iwpc_tail.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The tail has no header: prepend the head's header line.
	hdr := head[:bytes.IndexByte(head, '\n')+1]
	recs, err = ReadIWPC(bytes.NewReader(append(append([]byte{}, hdr...), tail...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("tail records = %d, want 2 (trailing empty record skipped)", len(recs))
	}
}

// FuzzReadIWPC checks the parser never panics and that accepted input
// yields sane records.
func FuzzReadIWPC(f *testing.F) {
	for _, name := range []string{"iwpc_head.csv", "iwpc_tail.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PharmGKB Subject ID,Gender,Race,Age,Height (cm),Weight (kg),Amiodarone (Cordarone),Carbamazepine (Tegretol),Phenytoin (Dilantin),Rifampin or Rifampicin,Therapeutic Dose of Warfarin,CYP2C9 consensus,VKORC1 -1639 consensus\nPA1,female,Asian,90+,150,50,1,NA,NA,NA,NA,*3/*3,A/A\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadIWPC(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.ID == "" || r.AgeDecade < 0 || r.AgeDecade > 9 || r.HeightCm < 0 || r.WeightKg < 0 {
				t.Fatalf("bad record %+v", r)
			}
			_ = IWPCPharmacogenetic(r.Input())
		}
	})
}
