package store

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
		why      string
	}{
		{"plain", "EGFR L858R, stage IV", true, ""},
		{"accents and CJK", "Étude 試験 α-2", true, ""},
		{"emoji", "lung 🫁", true, ""},
		{"inner spaces", "a b", true, ""},
		{"empty", "", false, "empty"},
		{"blank", "   ", false, "empty"},
		{"NUL", "a\x00b", false, "control"},
		{"tab", "tab\tname", false, "control"},
		{"newline", "new\nline", false, "control"},
		{"CR", "a\rb", false, "control"},
		{"DEL", "a\x7fb", false, "control"},
		{"C1 NEL", "a\u0085b", false, "control"},
		{"RLO", "x\u202Ey", false, "bidi"},
		{"LRE", "x\u202Ay", false, "bidi"},
		{"LRI", "lib\u2066z", false, "bidi"},
		{"PDI", "lib\u2069z", false, "bidi"},
		{"LRM", "a\u200Eb", false, "bidi"},
		{"RLM", "a\u200Fb", false, "bidi"},
		{"ALM", "a\u061Cb", false, "bidi"},
		{"ZWSP", "a\u200Bb", false, "zero-width"},
		{"ZWJ", "a\u200Db", false, "zero-width"},
		{"word joiner", "a\u2060b", false, "zero-width"},
		{"BOM", "\uFEFFname", false, "zero-width"},
		{"soft hyphen", "a\u00ADb", false, "format"},
		{"tag character", "a\U000E0041b", false, "format"},
		{"line separator", "a\u2028b", false, "separator"},
		{"non-character FDD0", "a\uFDD0b", false, "non-character"},
		{"non-character FFFE", "a\uFFFEb", false, "non-character"},
		{"non-character 1FFFF", "a\U0001FFFFb", false, "non-character"},
		{"invalid UTF-8", "a\xffb", false, "UTF-8"},
		{"overlong encoding", "a\xc0\xafb", false, "UTF-8"},
		{"257 bytes", strings.Repeat("x", 257), false, "longer"},
		{"256 bytes", strings.Repeat("x", 256), true, ""},
	}
	for _, c := range cases {
		err := CheckName("cohort name", c.in)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.why) || !strings.HasPrefix(err.Error(), "cohort name: ") {
			t.Errorf("%s: %v, want ErrInvalid naming the field and %q", c.name, err, c.why)
		}
		if err != nil && len(c.in) > 2 && strings.Contains(err.Error(), c.in) {
			t.Errorf("%s: the error repeats the name", c.name)
		}
	}
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"a", "a\x00", "x\u202Ey", "\xff", "\uFEFF", "a\U000E0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckName("f", s) != nil {
			return
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
