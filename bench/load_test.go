package main

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestQuantileMs(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	cases := []struct {
		in   []time.Duration
		q    float64
		want float64
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7},
		{ms(5, 1, 3, 2, 4), 0.5, 3},
		{ms(5, 1, 3, 2, 4), 1, 5},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10},
	}
	for _, c := range cases {
		if got := quantileMs(c.in, c.q); got != c.want {
			t.Errorf("quantileMs(%v, %v) = %v, want %v", c.in, c.q, got, c.want)
		}
	}
}

func TestSummarizeRSS(t *testing.T) {
	cases := []struct {
		ts, mb          []float64
		min, max, slope float64
	}{
		{[]float64{0, 1, 2}, []float64{100, 100, 100}, 100, 100, 0},
		{[]float64{0, 1, 2, 3}, []float64{100, 110, 120, 130}, 100, 130, 10},
		{[]float64{0, 1}, []float64{200, 150}, 150, 200, -50},
	}
	for _, c := range cases {
		s := summarizeRSS(c.ts, c.mb)
		if s.MinMB != c.min || s.MaxMB != c.max || math.Abs(s.SlopeMBPerMin-c.slope) > 1e-9 || s.Samples != len(c.mb) {
			t.Errorf("summarizeRSS(%v, %v) = %+v", c.ts, c.mb, s)
		}
	}
	if s := summarizeRSS([]float64{0, 1, 2, 3}, []float64{5, 9, 7, 6}); len(s.TenthsMB) != 4 || s.TenthsMB[1] != 9 {
		t.Errorf("tenths of 4 samples: %v", s.TenthsMB)
	}
	ts, mb := make([]float64, 100), make([]float64, 100)
	for i := range ts {
		ts[i], mb[i] = float64(i), float64(i%10)
	}
	if s := summarizeRSS(ts, mb); len(s.TenthsMB) != 10 || s.TenthsMB[0] != 9 || s.TenthsMB[9] != 9 {
		t.Errorf("tenths of a sawtooth: %v", s.TenthsMB)
	}
	if s := summarizeRSS(nil, nil); s.Samples != 0 || s.String() == "" {
		t.Errorf("empty summary: %+v", s)
	}
}

func TestParseClients(t *testing.T) {
	cases := []struct {
		in   string
		want []int
		bad  bool
	}{
		{"8,32,128", []int{8, 32, 128}, false},
		{" 4 ", []int{4}, false},
		{"0", nil, true},
		{"8,,32", nil, true},
		{"x", nil, true},
		{"5000", nil, true},
	}
	for _, c := range cases {
		got, err := parseClients(c.in)
		if (err != nil) != c.bad || (!c.bad && len(got) != len(c.want)) {
			t.Errorf("parseClients(%q) = %v, %v", c.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("parseClients(%q) = %v, want %v", c.in, got, c.want)
			}
		}
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	if _, err := readRSS(0); err == nil {
		t.Error("readRSS(0) succeeded")
	}
	mb, err := readRSS(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if mb <= 1 || mb > 1<<20 {
		t.Errorf("this process's RSS %v MB", mb)
	}
}
