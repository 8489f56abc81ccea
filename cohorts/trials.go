package cohorts

// Trial is one version of an imported trial: its arms each carry a
// criteria tree. Importing a protocol number again stores a new version
// only when the caller asks to replace; older versions stay readable
// (TrialVersions).
type Trial struct {
	ID     string `json:"id"`
	NctID  string `json:"nctId,omitempty"`
	Title  string `json:"title"`
	Status string `json:"status,omitempty"`
	// Phase is CTML's phase as written ("I/II").
	Phase string `json:"phase,omitempty"`
	// Drugs are drug_list.drug[].drug_name in file order.
	Drugs []string `json:"drugs,omitempty"`
	// Version counts imports of this protocol number from 1.
	Version int `json:"version,omitempty"`
	// ImportedAt is when this version was stored (UTC, RFC 3339).
	ImportedAt string     `json:"importedAt,omitempty"`
	Arms       []TrialArm `json:"arms"`
}

// TrialArm is one matchable unit of a trial (a CTML step, arm or dose
// level with a match clause).
type TrialArm struct {
	Code        string   `json:"code"`
	Level       string   `json:"level,omitempty"`
	Description string   `json:"description,omitempty"`
	Suspended   bool     `json:"suspended,omitempty"`
	Criteria    Criteria `json:"criteria"`
}

// Label is a readable name for the arm: its level, code and description,
// e.g. `arm "A" (Example Arm A)`.
func (a TrialArm) Label() string {
	l := a.Level
	if l == "" {
		l = "arm"
	}
	s := l + " " + quoteLabel(a.Code)
	if a.Description != "" && a.Description != a.Code {
		s += " (" + a.Description + ")"
	}
	if a.Suspended {
		s += ", suspended"
	}
	return s
}

func quoteLabel(s string) string { return "\"" + s + "\"" }
