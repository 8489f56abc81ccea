package molecules

import (
	"errors"
	"strings"
	"testing"
)

// TestKekulizeErrorPosition: a ring system with no Kekulé structure is
// reported at the character of its first aromatic atom, also when explicit
// hydrogens before it were removed and when it is not the first fragment.
func TestKekulizeErrorPosition(t *testing.T) {
	cases := []struct {
		smi  string
		pos  int
		want string
	}{
		{"c1ccnc1", 0, "5 aromatic atoms"},
		{"CCc1ccnc1", 2, "5 aromatic atoms"},
		{"[H]OCCc1ccnc1", 6, "kekulize"},
		{"c1ccccc1.CCc1cccc1", 11, "kekulize"},
		{"OC(=O)c1ccc2ccnc2c1", 6, "9 aromatic atoms"},
		{"Cc", 1, "non-ring atom"},
	}
	for _, c := range cases {
		_, err := Parse(c.smi)
		var se *SMILESError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): %v, want a *SMILESError", c.smi, err)
			continue
		}
		if se.Position != c.pos || !strings.Contains(se.Msg, c.want) {
			t.Errorf("Parse(%q): position %d %q, want position %d mentioning %q", c.smi, se.Position, se.Msg, c.pos, c.want)
		}
		if !strings.Contains(se.Error(), "at position") {
			t.Errorf("Parse(%q): %q does not say where", c.smi, se.Error())
		}
	}
}
