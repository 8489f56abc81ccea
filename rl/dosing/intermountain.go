package dosing

import (
	"fmt"
	"math"
)

// imZone is an Intermountain INR zone.
type imZone uint8

const (
	imNone imZone = iota
	imActionLow
	imRedLow
	imYellowLow
	imGreen
	imYellowHigh
	imRedHigh
	imActionHigh
)

var imZoneNames = [...]string{"", "action point low", "red zone low", "yellow zone low", "green zone", "yellow zone high", "red zone high", "action point high"}

func intermountainZone(inr float64) imZone {
	switch {
	case inr < 1.6:
		return imActionLow
	case inr < 1.8:
		return imRedLow
	case inr < 2.0:
		return imYellowLow
	case inr <= 3.0:
		return imGreen
	case inr < 3.4:
		return imYellowHigh
	case inr < 5.0:
		return imRedHigh
	}
	return imActionHigh
}

// intermountain is the Intermountain Healthcare maintenance nomogram
// (Anderson 2007, COUMA-GEN, supplementary Appendix B, as structured by
// ReiL): INR zones with a one-time dose today and a weekly-dose change —
// action point low (< 1.6): double dose today, +10 %/week, re-test in 5
// days; red low (< 1.8): 1.5× today, +5 %, 7 days; yellow low (< 2.0): +5 %
// only when the previous result was also yellow-low, 14 days; green (2–3):
// keep, 14 days (28 after two greens in a row); yellow high (< 3.4): −5 %
// when repeated, 14 days; red high (< 5): half dose today (none if INR ≥ 4),
// −10 %, 7 days; action point high (≥ 5): hold and re-test in 2 days until
// back in yellow/green, then −15 % and re-test in 7 days.
//
// The nomogram starts on day 8; days 0–7 use 5 mg/day with the first INR on
// day 8 (the initiation phase is this package's assumption: the notes do not
// give one). An INR measured during initiation (for example one given in a
// recommendDose history) is not ignored: at or above 3 it starts the
// nomogram early (yellow-high and higher zones act as on day 8); below 3 it
// is expected during loading and initiation continues, saying so. A day-0
// value is the pre-treatment baseline.
type intermountain struct {
	lv       []float64
	dose     float64 // maintenance daily dose
	today    float64 // one-time dose for the current day, −1 for none
	last     imZone
	nextDay  int
	holdLeft int
}

func newIntermountain(m *DrugModel, _ *Patient) (Controller, error) {
	return &intermountain{lv: levelFloats(m.DoseLevels), dose: 5, today: -1, nextDay: 8}, nil
}

func (c *intermountain) snap(mg float64) float64 {
	return c.lv[nearestLevel(c.lv, math.Min(mg, c.lv[len(c.lv)-1]))]
}

// scale changes the maintenance dose by factor, moving at least one level.
func (c *intermountain) scale(factor float64) {
	cur := nearestLevel(c.lv, c.dose)
	i := nearestLevel(c.lv, c.dose*factor)
	if factor > 1 && i <= cur {
		i = min(cur+1, len(c.lv)-1)
	}
	if factor < 1 && i >= cur {
		i = max(cur-1, 1)
	}
	c.dose = c.lv[i]
}

// Decide implements Controller.
func (c *intermountain) Decide(day int, obs *Observation) (Decision, error) {
	started := day >= 8 || c.last != imNone
	early := obs != nil && !started && (day == 0 || obs.Value < 3)
	if obs != nil && obs.Dose != nil && !early {
		if d, err := obs.Dose.Float64(); err == nil && d > 0 {
			c.dose = d
		}
	}
	if obs == nil || early {
		left := float64(max(0, c.nextDay-day)) * 24
		switch {
		case early && day > 0:
			return Decision{Dose: 5, NextCheckHours: left, Rationale: fmt.Sprintf("INR %.1f on day %d is below 3 during initiation (expected while loading): 5 mg/day, next INR on day %d", obs.Value, day, c.nextDay)}, nil
		case !started:
			return Decision{Dose: 5, NextCheckHours: left, Rationale: "Intermountain initiation: 5 mg/day, first INR on day 8"}, nil
		case c.holdLeft > 0:
			c.holdLeft--
			return Decision{Dose: 0, NextCheckHours: left, Rationale: "holding: INR at or above 5"}, nil
		}
		return Decision{Dose: c.dose, NextCheckHours: left, Rationale: fmt.Sprintf("continue %s mg/day", decimalOf(c.dose))}, nil
	}
	inr := obs.Value
	z := intermountainZone(inr)
	same := z == c.last
	prev := c.last
	c.last = z
	var today float64 = c.dose
	next := 14
	why := ""
	switch {
	case prev == imActionHigh && z != imActionHigh && z != imRedHigh && z != imActionLow && z != imRedLow:
		c.scale(0.85)
		today, next, why = c.dose, 7, "back from INR ≥ 5: resume −15 %"
	case prev == imActionHigh && z != imActionHigh:
		c.last = imActionHigh // keep holding until yellow or green
		c.holdLeft = 1
		today, next, why = 0, 2, "not yet back to the yellow/green zone after INR ≥ 5: hold 2 days"
	case z == imGreen:
		if same {
			next = 28
		}
		why = "green zone: keep dose"
	case z == imActionLow:
		today = c.snap(2 * c.dose)
		c.scale(1.10)
		next, why = 5, "action point low: double dose today, +10 %/week"
	case z == imRedLow:
		today = c.snap(1.5 * c.dose)
		c.scale(1.05)
		next, why = 7, "red zone low: 1.5× dose today, +5 %/week"
	case z == imYellowLow:
		if same {
			c.scale(1.05)
			why = "yellow zone low twice: +5 %/week"
		} else {
			why = "yellow zone low: keep dose, re-test"
		}
		today = c.dose
	case z == imYellowHigh:
		if same {
			c.scale(0.95)
			why = "yellow zone high twice: −5 %/week"
		} else {
			why = "yellow zone high: keep dose, re-test"
		}
		today = c.dose
	case z == imRedHigh:
		today = 0
		if inr < 4 {
			today = c.snap(0.5 * c.dose)
		}
		c.scale(0.90)
		next, why = 7, "red zone high: reduced dose today, −10 %/week"
	default: // action point high
		c.holdLeft = 1
		today, next, why = 0, 2, "action point high (INR ≥ 5): hold 2 days, re-test"
	}
	c.nextDay = day + next
	return Decision{Dose: today, NextCheckHours: float64(next) * 24,
		Rationale: fmt.Sprintf("INR %.1f, %s → today %s mg, then %s mg/day; re-test in %d days", inr, why, decimalOf(today), decimalOf(c.dose), next)}, nil
}
