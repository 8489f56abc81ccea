package cohorts

// Trial is an imported trial: its arms each carry a criteria tree.
type Trial struct {
	ID     string     `json:"id"`
	NctID  string     `json:"nctId,omitempty"`
	Title  string     `json:"title"`
	Status string     `json:"status,omitempty"`
	Arms   []TrialArm `json:"arms"`
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
