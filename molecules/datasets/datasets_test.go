package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rxlab/rxlab/store"
)

func newStore(t testing.TB, l Limits) (*Store, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{DB: db, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func as(actor, role string) context.Context {
	return store.WithAudit(context.Background(), store.AuditInfo{Actor: actor, Role: role, Operation: "test"})
}

var goodSMILES = []string{"CCO", "c1ccccc1", "CC(=O)O", "CCN(CC)CC", "OC1CCCCC1", "c1ccncc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "O=C(O)c1ccccc1O"}

// csv500 is a regression CSV of 500 rows whose rows badAt hold bad SMILES.
func csv500(badAt map[int]string) string {
	var b strings.Builder
	b.WriteString("id,smiles,logS,other\n")
	for i := 0; i < 500; i++ {
		smi := goodSMILES[i%len(goodSMILES)]
		if bad, ok := badAt[i]; ok {
			smi = bad
		}
		fmt.Fprintf(&b, "m%d,%s,%.2f,x\n", i, smi, -float64(i%7)/3)
	}
	return b.String()
}

func TestUpload500With3BadSMILES(t *testing.T) {
	s, db := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	bad := map[int]string{10: "C1CC", 200: "c1ccccc", 499: "CC(C"}
	res, err := s.Upload(ctx, Input{Name: "assay", SMILESColumn: "smiles", Targets: []string{"logS"}, Task: Regression}, strings.NewReader(csv500(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 497 || res.Rejected != 3 || !res.Committed || len(res.Errors) != 3 {
		t.Fatalf("accepted %d rejected %d committed %v errors %+v", res.Accepted, res.Rejected, res.Committed, res.Errors)
	}
	// Row i is on line i+2; the SMILES starts after "m<i>,", and the column
	// is the parser's 0-based position in it: the ring digit never closed,
	// or the end where ')' was expected.
	at := map[int]int{10: 1, 200: 1, 499: 4}
	for k, i := range []int{10, 200, 499} {
		e := res.Errors[k]
		smiCol := len(fmt.Sprintf("m%d,", i)) + 1
		if e.Line != i+2 || e.Field != "smiles" || e.Column != smiCol+at[i] {
			t.Errorf("error %d: %+v, want line %d, column %d", k, e, i+2, smiCol+at[i])
		}
		if !strings.Contains(e.Message, "bad SMILES") {
			t.Errorf("error %d message %q", k, e.Message)
		}
	}
	smiles, targets, task, hash, err := s.Rows(ctx, res.Dataset.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(smiles) != 497 || len(targets) != 497 || task != Regression || hash != res.Dataset.Hash || len(hash) != 64 {
		t.Fatalf("rows %d targets %d task %s hash %q", len(smiles), len(targets), task, hash)
	}
	if smiles[0] != "CCO" || smiles[2] != "CC(=O)O" || targets[1][0] != -1.0/3 && math.Abs(targets[1][0]+0.33) > 1e-9 {
		t.Errorf("first rows %v %v", smiles[:3], targets[:3])
	}
	// The upload is audited once, naming the dataset.
	recs, err := db.AuditLog(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		for _, tg := range r.Targets {
			found = found || tg == "dataset:"+res.Dataset.ID
		}
	}
	if !found {
		t.Errorf("no audit record names dataset:%s", res.Dataset.ID)
	}
}

func TestHashIsCanonical(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	in := Input{Name: "a", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Classification}
	r1, err := s.Upload(ctx, in, strings.NewReader("smiles,y\nOCC,1\nc1ccccc1,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	in.Name = "b"
	// Other column order, quoting and SMILES spelling, same content.
	r2, err := s.Upload(ctx, in, strings.NewReader("y,smiles\n1.0,\"CCO\"\n0,C1=CC=CC=C1\n"))
	if err != nil {
		t.Fatal(err)
	}
	in.Name = "c"
	r3, err := s.Upload(ctx, in, strings.NewReader("y,smiles\n0,CCO\n0,c1ccccc1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r1.Dataset.Hash != r2.Dataset.Hash || r1.Dataset.Hash == r3.Dataset.Hash {
		t.Fatalf("hashes %s %s %s: want the first two equal, the third different", r1.Dataset.Hash, r2.Dataset.Hash, r3.Dataset.Hash)
	}
}

func TestRowErrors(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	csv := "smiles,a,b\n" +
		"CCO,1,0\n" + // good
		"CCO,x,0\n" + // non-numeric
		"CCO,2,1\n" + // classification target not 0/1
		"CCO\n" + // too few columns
		"  C1CC,1,1\n" + // bad SMILES after spaces: the open ring at column 4
		",1,1\n" + // empty SMILES
		"CCN,,\n" + // every target missing
		"CCN,,1\n" + // one missing: kept (NaN)
		"CC\"C,1,1\n" // CSV syntax error
	res, err := s.Upload(ctx, Input{Name: "x", SMILESColumn: "smiles", Targets: []string{"a", "b"}, Task: Classification}, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line, col int
		msg       string
	}{
		{3, 5, "finite number"}, {4, 5, "0 or 1"}, {5, 4, "columns"}, {6, 4, "bad SMILES"},
		{7, 1, "empty SMILES"}, {8, 5, "missing"}, {10, 3, "CSV syntax"},
	}
	if res.Accepted != 2 || res.Rejected != len(want) {
		t.Fatalf("accepted %d rejected %d: %+v", res.Accepted, res.Rejected, res.Errors)
	}
	for i, w := range want {
		e := res.Errors[i]
		if e.Line != w.line || e.Column != w.col || !strings.Contains(e.Message, w.msg) {
			t.Errorf("error %d: %+v, want line %d column %d containing %q", i, e, w.line, w.col, w.msg)
		}
	}
	_, targets, _, _, err := s.Rows(ctx, res.Dataset.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(targets[1][0]) || targets[1][1] != 1 {
		t.Errorf("missing target: %v", targets[1])
	}
}

func TestStructuralErrorsAndLimits(t *testing.T) {
	s, _ := newStore(t, Limits{MaxRows: 5, MaxBytes: 4000, MaxLineBytes: 100, MaxColumns: 4, MaxTargets: 2})
	ctx := as("T1", "chemist")
	in := Input{Name: "x", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}
	many := "smiles,y\n" + strings.Repeat("CCO,1\n", 6)
	cases := []struct {
		name string
		in   Input
		csv  string
		code string // "" for a plain input error
		want string
	}{
		{"missing column", in, "smi,y\nCCO,1\n", "", "no column \"smiles\""},
		{"missing target", Input{Name: "x", SMILESColumn: "smiles", Targets: []string{"z"}, Task: Regression}, "smiles,y\nCCO,1\n", "", "input.targets[0]"},
		{"empty file", in, "", "", "empty file"},
		{"rows", in, many, "LIMIT_EXCEEDED", "MaxRows"},
		{"bytes", in, "smiles,y\n" + strings.Repeat("CCO,1\n", 800), "LIMIT_EXCEEDED", "MaxBytes"},
		{"line", in, "smiles,y\n" + strings.Repeat("C", 200) + ",1\n", "LIMIT_EXCEEDED", "MaxLineBytes"},
		{"columns", in, "smiles,y,a,b,c\nCCO,1,1,1,1\n", "LIMIT_EXCEEDED", "MaxColumns"},
		{"targets", Input{Name: "x", SMILESColumn: "smiles", Targets: []string{"a", "b", "c"}, Task: Regression}, "smiles,a\n", "LIMIT_EXCEEDED", "MaxTargets"},
		{"task", Input{Name: "x", SMILESColumn: "smiles", Targets: []string{"y"}, Task: "ranking"}, "smiles,y\n", "", "input.task"},
		{"name", Input{Name: "a\u202eb", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, "smiles,y\n", "", "input.name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Upload(ctx, c.in, strings.NewReader(c.csv))
			if err == nil || !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want an input error containing %q", err, c.want)
			}
			var le *LimitError
			if got := errors.As(err, &le); got != (c.code != "") {
				t.Fatalf("LimitError %v, want %v", got, c.code != "")
			}
		})
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("after refused uploads: %d datasets (%v), want none", len(list), err)
	}
}

func TestOwnerRuleListDelete(t *testing.T) {
	s, _ := newStore(t, Limits{})
	alice, bob, admin := as("A", "chemist"), as("B", "chemist"), as("Z", "admin")
	in := Input{Name: "mine", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}
	r, err := s.Upload(alice, in, strings.NewReader("smiles,y\nCCO,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(alice, in, strings.NewReader("smiles,y\nCCO,1\n")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same name twice: %v, want a conflict", err)
	}
	if _, err := s.Upload(bob, in, strings.NewReader("smiles,y\nCCN,2\n")); err != nil {
		t.Fatalf("another owner's same name: %v", err)
	}
	for _, c := range []struct {
		ctx  context.Context
		want int
	}{{alice, 1}, {bob, 1}, {admin, 2}, {context.Background(), 2}} {
		l, err := s.List(c.ctx)
		if err != nil || len(l) != c.want {
			t.Errorf("list: %d (%v), want %d", len(l), err, c.want)
		}
	}
	if _, err := s.Get(bob, r.Dataset.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads alice's dataset: %v", err)
	}
	if _, _, _, _, err := s.Rows(bob, r.Dataset.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads alice's rows: %v", err)
	}
	if _, err := s.Delete(bob, r.Dataset.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob deletes alice's dataset: %v", err)
	}
	if _, err := s.Delete(alice, r.Dataset.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := s.Rows(alice, r.Dataset.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rows after delete: %v", err)
	}
	if _, err := s.Get(alice, "nonsense"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad id: %v", err)
	}
}

func TestStandardizeOnUpload(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	in := Input{Name: "salts", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression, Standardize: true}
	res, err := s.Upload(ctx, in, strings.NewReader("smiles,y\nCC(=O)[O-].[Na+],1\nC[NH3+].[Cl-],2\nCCO,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Standardized != 2 || !res.Dataset.Standardized || res.Dataset.Changed != 2 {
		t.Fatalf("standardized %d, dataset %+v", res.Standardized, res.Dataset)
	}
	smiles, _, _, _, err := s.Rows(ctx, res.Dataset.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(smiles, " ") != "CC(=O)O CN CCO" {
		t.Fatalf("rows %v", smiles)
	}
}

func TestNoGoodRowStoresNothing(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	res, err := s.Upload(ctx, Input{Name: "bad", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, strings.NewReader("smiles,y\nC1CC,1\n"))
	if err != nil || res.Committed || res.Rejected != 1 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if l, _ := s.List(ctx); len(l) != 0 {
		t.Fatalf("%d datasets stored", len(l))
	}
}

func TestCancelledUploadStoresNothing(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx, cancel := context.WithCancel(as("T1", "chemist"))
	cancel()
	var b strings.Builder
	b.WriteString("smiles,y\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("CCO,1\n")
	}
	if _, err := s.Upload(ctx, Input{Name: "c", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, strings.NewReader(b.String())); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if l, _ := s.List(context.Background()); len(l) != 0 {
		t.Fatalf("%d datasets stored", len(l))
	}
}

// TestLimitAfterStagedChunksLeavesNothing: an upload refused after some
// chunks of rows were staged leaves no dataset record and no row chunk.
func TestLimitAfterStagedChunksLeavesNothing(t *testing.T) {
	s, db := newStore(t, Limits{MaxRows: 3 * chunkRows})
	ctx := as("T1", "chemist")
	var b strings.Builder
	b.WriteString("smiles,y\n")
	for i := 0; i <= 3*chunkRows; i++ {
		b.WriteString("CCO,1\n")
	}
	_, err := s.Upload(ctx, Input{Name: "big", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, strings.NewReader(b.String()))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxRows" {
		t.Fatalf("err %v, want MaxRows", err)
	}
	keys := 0
	err = db.View(context.Background(), func(tx *store.Txn) error {
		return tx.ScanKeys([]byte("ds/"), func([]byte) error { keys++; return nil })
	})
	if err != nil || keys != 0 {
		t.Fatalf("%d keys under ds/ after a refused upload (%v)", keys, err)
	}
}

// TestConcurrentSameName: two uploads of one name by one owner at once
// store one dataset; the other answers a conflict and stores nothing.
func TestConcurrentSameName(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	var b strings.Builder
	b.WriteString("smiles,y\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("CCO,1\n")
	}
	errc := make(chan error, 2)
	for k := 0; k < 2; k++ {
		go func() {
			_, err := s.Upload(ctx, Input{Name: "same", SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, strings.NewReader(b.String()))
			errc <- err
		}()
	}
	e1, e2 := <-errc, <-errc
	conflicts := 0
	for _, err := range []error{e1, e2} {
		switch {
		case errors.Is(err, store.ErrConflict):
			conflicts++
		case err != nil:
			t.Fatal(err)
		}
	}
	l, err := s.List(ctx)
	if err != nil || len(l) != 1 || conflicts != 1 {
		t.Fatalf("%d datasets, %d conflicts (%v %v)", len(l), conflicts, e1, e2)
	}
}

// A quoted SMILES cell's error column counts the opening quote.
func TestUploadQuotedSMILESColumn(t *testing.T) {
	s, _ := newStore(t, Limits{})
	ctx := as("T1", "chemist")
	for i, c := range []struct {
		csv string
		col int
	}{
		{"smiles,y\n\"C1CC\",1\n", 3},
		{"smiles,y\nC1CC,1\n", 2},
		{"y,smiles\n1,\"C1CC\"\n", 5},
		{"y,smiles\r\n1,\"C1CC\"\r\n", 5},
		{"y,smiles\r\n1,C1CC\r\n", 4},
		{"y,smiles\n1,C1CC", 4},
		{"y,smiles\n1,\"C1C\"\"C\"\n", 7}, // the error is at the doubled quote
	} {
		res, err := s.Upload(ctx, Input{Name: fmt.Sprintf("q%d", i), SMILESColumn: "smiles", Targets: []string{"y"}, Task: Regression}, strings.NewReader(c.csv))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 1 || res.Errors[0].Line != 2 || res.Errors[0].Column != c.col {
			t.Errorf("%q: errors %+v, want line 2 column %d", c.csv, res.Errors, c.col)
		}
	}
}
