package store

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a name or id checked by CheckName.
const MaxNameBytes = 256

// CheckName checks a name or id a caller chose (a saved cohort's name, a
// library, a trial id, a token label, a model): it must be valid UTF-8,
// non-blank, at most MaxNameBytes, and free of characters that print as
// nothing or as something else — control characters (C0 including tab and
// line breaks, DEL, C1), format characters (bidi controls such as U+202E and
// U+2066–U+2069, zero-width spaces and joiners, the BOM, soft hyphen), line
// and paragraph separators, and non-characters (U+FDD0–U+FDEF, U+xFFFE,
// U+xFFFF). The error wraps ErrInvalid and names field and the position,
// never the name.
func CheckName(field, s string) error {
	switch {
	case len(s) > MaxNameBytes:
		return fmt.Errorf("%s: %w: longer than %d bytes", field, ErrInvalid, MaxNameBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: %w: not valid UTF-8", field, ErrInvalid)
	}
	blank := true
	pos := 0
	for _, r := range s {
		pos++
		if what := badRune(r); what != "" {
			return fmt.Errorf("%s: %w: character %d is U+%04X, %s", field, ErrInvalid, pos, r, what)
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank {
		return fmt.Errorf("%s: %w: empty", field, ErrInvalid)
	}
	return nil
}

// badRune says why r may not appear in a name, or "" when it may.
func badRune(r rune) string {
	switch {
	case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
		return "a control character"
	case r == 0x200E || r == 0x200F || r == 0x061C || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
		return "a bidirectional control"
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF:
		return "a zero-width character"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	case (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE:
		return "a non-character"
	}
	return ""
}
