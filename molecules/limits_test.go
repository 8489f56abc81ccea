package molecules

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// polyacene returns a linear fused aromatic system of n rings.
func polyacene(n int) string {
	var sb strings.Builder
	sb.WriteString("c1ccc2")
	for i := 0; i < n-2; i++ {
		fmt.Fprintf(&sb, "cc%%(%d)", 100+i)
	}
	sb.WriteString("cc")
	for i := n - 3; i >= 0; i-- {
		fmt.Fprintf(&sb, "cc%%(%d)", 100+i)
	}
	sb.WriteString("cc2c1")
	return sb.String()
}

// TestPathologicalInputsAreBounded parses inputs built to stress ring
// perception, aromaticity, kekulization and canonicalization; each must
// finish quickly (accepted or rejected with a clear error).
func TestPathologicalInputsAreBounded(t *testing.T) {
	cases := []string{
		polyacene(30),
		strings.Repeat("C", 1999),
		strings.Repeat("C(", 600) + "C" + strings.Repeat(")", 600),
		strings.Repeat("c1ccccc1", 200),
		"C1" + strings.Repeat("C", 1500) + "1",
		strings.Repeat("[C@H](F)", 300) + "C",
		strings.Repeat("C/C=C/", 200) + "C",
	}
	// a cage: every atom bonded to the next three (dense ring system)
	var sb strings.Builder
	for i := 0; i < 60; i++ {
		sb.WriteString("C")
		if i%5 == 0 && i > 0 {
			fmt.Fprintf(&sb, "%%(%d)", 200+i)
		}
	}
	for i := 5; i < 60; i += 5 {
		fmt.Fprintf(&sb, ".C%%(%d)", 200+i)
	}
	cases = append(cases, sb.String())
	for _, s := range cases {
		start := time.Now()
		m, err := Parse(s)
		if err == nil {
			_ = m.CanonicalSMILES()
			_ = Morgan(m, 3, 2048)
			_ = Describe(m)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%.40s... took %v", s, d)
		}
	}
}
