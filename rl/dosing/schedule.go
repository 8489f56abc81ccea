package dosing

import (
	"fmt"
	"slices"

	"github.com/rxlab/rxlab/store/errs"
)

// Monitoring names a measurement schedule: the days on which the observable
// is measured and a dosing method may change its plan.
type Monitoring string

// Built-in monitoring schedules.
const (
	// MonitoringProtocol follows each method's own re-test intervals (its
	// Decision.NextCheckHours); a learned policy asks for a daily INR, so
	// evaluations put policies on MonitoringOutpatient under PROTOCOL.
	MonitoringProtocol Monitoring = "PROTOCOL"
	// MonitoringDaily measures every day (inpatient).
	MonitoringDaily Monitoring = "DAILY"
	// MonitoringOutpatient is a standard anticoagulation-clinic schedule:
	// warfarin on days 0, 3, 5, 7, 10 and 14, then weekly, then every two
	// weeks after two consecutive in-range visits (back to weekly after an
	// out-of-range one); docetaxel ANC weekly (days 0, 7, 14, … which
	// include each cycle's day 7, 14 and the pre-cycle count).
	MonitoringOutpatient Monitoring = "OUTPATIENT"
)

// Monitorings lists the schedules in a stable order.
func Monitorings() []Monitoring {
	return []Monitoring{MonitoringDaily, MonitoringOutpatient, MonitoringProtocol}
}

// ParseMonitoring checks a schedule name ("" is PROTOCOL); the error names
// field and wraps errs.Invalid.
func ParseMonitoring(field, s string) (Monitoring, error) {
	if s == "" {
		return MonitoringProtocol, nil
	}
	if !slices.Contains(Monitorings(), Monitoring(s)) {
		return "", fmt.Errorf("%s: %q is not a monitoring schedule (%v): %w", field, s, Monitorings(), errs.Invalid)
	}
	return Monitoring(s), nil
}

// outpatientStart are the warfarin outpatient schedule's first visits.
var outpatientStart = [...]int{0, 3, 5, 7, 10, 14}

// Schedule tracks one patient's visits under a Monitoring. The zero value
// is not usable; use NewSchedule.
type Schedule struct {
	kind    Monitoring
	docet   bool
	lo, hi  float64
	inRange int // consecutive in-range visits from day 14 on
	next    int
}

// NewSchedule starts a schedule for model m; the first visit is day 0.
func NewSchedule(m *DrugModel, kind Monitoring) (*Schedule, error) {
	if _, err := ParseMonitoring("monitoring", string(kind)); err != nil {
		return nil, err
	}
	if kind == "" {
		kind = MonitoringProtocol
	}
	return &Schedule{kind: kind, docet: m.ID == DocetaxelFriberg, lo: m.TargetLow, hi: m.TargetHigh}, nil
}

// Kind returns the schedule's name.
func (s *Schedule) Kind() Monitoring { return s.kind }

// IsVisit reports whether day is a visit day.
func (s *Schedule) IsVisit(day int) bool { return day == s.next }

// NextVisit returns the day of the next visit.
func (s *Schedule) NextVisit() int { return s.next }

// Visited records the measurement value taken at a visit on day and the
// method's requested re-test interval in hours (used by PROTOCOL only), and
// moves to the next visit.
func (s *Schedule) Visited(day int, value, nextCheckHours float64) {
	switch s.kind {
	case MonitoringDaily:
		s.next = day + 1
	case MonitoringProtocol:
		s.next = day + max(1, int(nextCheckHours/24+0.5))
	default:
		s.next = s.outpatientNext(day, value)
	}
}

func (s *Schedule) outpatientNext(day int, value float64) int {
	if s.docet {
		return day + 7
	}
	for _, d := range outpatientStart {
		if d > day {
			return d
		}
	}
	if value >= s.lo && value <= s.hi {
		s.inRange++
	} else {
		s.inRange = 0
	}
	if s.inRange >= 2 {
		return day + 14
	}
	return day + 7
}
