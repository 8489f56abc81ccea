package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestChangeSet: keys are listed up to maxChangeKeys, then only their
// prefixes (truncated); Touches answers by key while listed, by prefix after.
func TestChangeSet(t *testing.T) {
	cases := []struct {
		name      string
		n         int
		truncated bool
	}{{"small", 3, false}, {"at the limit", maxChangeKeys - 1, false}, {"over", maxChangeKeys, true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := newChangeSet()
			for i := 0; i < c.n; i++ {
				cs.add([]byte(fmt.Sprintf("idx/r/%08x", i)))
				cs.add([]byte(fmt.Sprintf("idx/r/%08x", i))) // a key written twice counts once
			}
			cs.add([]byte("meta/audit-head"))
			keys, err := decodeKeys(encodeKeys(cs.keys))
			if err != nil {
				t.Fatal(err)
			}
			ch := Change{Prefixes: cs.sortedPrefixes(), Keys: keys, Truncated: cs.truncated}
			if ch.Truncated != c.truncated || (!c.truncated && len(keys) != c.n+1) {
				t.Fatalf("truncated %v with %d keys", ch.Truncated, len(keys))
			}
			if fmt.Sprint(ch.Prefixes) != "[idx/r/ meta/audit-head]" {
				t.Errorf("prefixes %v", ch.Prefixes)
			}
			probes := []struct {
				prefix string
				want   bool
			}{{"idx/", true}, {"idx/r/", true}, {"idx/b/", false}, {"idx/r/00000000", true}, {"pat/", false}}
			for _, p := range probes {
				if got := ch.Touches(p.prefix); got != p.want {
					t.Errorf("Touches(%q) = %v, want %v", p.prefix, got, p.want)
				}
			}
			if !c.truncated && ch.Touches("idx/r/ffffffff") {
				t.Errorf("Touches a key that was not written")
			}
		})
	}
	if _, err := decodeKeys([]byte{0x05, 'a'}); err == nil {
		t.Errorf("decodeKeys of a truncated list succeeded")
	}
}

// TestSQLTxnBudget: an Update over the budget is refused with ErrInvalid
// and writes nothing, on the SQL backend as on Badger.
func TestSQLTxnBudget(t *testing.T) {
	q := &sqlTxn{chg: newChangeSet()}
	q.n = sqlTxnBudget - 10
	err := q.set([]byte("k"), make([]byte, 64))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Stage") {
		t.Fatalf("set over the budget = %v, want ErrInvalid naming Stage", err)
	}
}

// TestSealErrorsNoID: a value that does not open is reported by its key's
// first segment, never by the key's id.
func TestSealErrorsNoID(t *testing.T) {
	a, _ := newSealer(bytes.Repeat([]byte{1}, 32))
	b, _ := newSealer(bytes.Repeat([]byte{2}, 32))
	key := []byte("pat/r/P12345")
	for _, val := range [][]byte{a.seal(key, []byte("v")), []byte("short")} {
		_, err := b.open(key, val)
		if err == nil || strings.Contains(err.Error(), "P12345") || !strings.Contains(err.Error(), `"pat/"`) {
			t.Errorf("open error %v: want an error naming \"pat/\" without the id", err)
		}
	}
}
