package lru

import "testing"

// TestBudget adds entries of several sizes and checks what stays, in
// least-recently-used order, and the counters.
func TestBudget(t *testing.T) {
	type op struct {
		add  string
		size int64
		get  string
	}
	cases := []struct {
		name      string
		budget    int64
		ops       []op
		keep      []string
		gone      []string
		bytes     int64
		evictions uint64
	}{
		{"fits", 100, []op{{add: "a", size: 40}, {add: "b", size: 60}}, []string{"a", "b"}, nil, 100, 0},
		{"evicts oldest", 100, []op{{add: "a", size: 40}, {add: "b", size: 40}, {add: "c", size: 40}}, []string{"b", "c"}, []string{"a"}, 80, 1},
		{"get refreshes", 100, []op{{add: "a", size: 40}, {add: "b", size: 40}, {get: "a"}, {add: "c", size: 40}}, []string{"a", "c"}, []string{"b"}, 80, 1},
		{"too large kept out", 100, []op{{add: "a", size: 40}, {add: "big", size: 101}}, []string{"a"}, []string{"big"}, 40, 0},
		{"replace same key", 100, []op{{add: "a", size: 40}, {add: "a", size: 90}}, []string{"a"}, nil, 90, 0},
		{"evicts several", 100, []op{{add: "a", size: 30}, {add: "b", size: 30}, {add: "c", size: 30}, {add: "d", size: 90}}, []string{"d"}, []string{"a", "b", "c"}, 90, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New[string, int](tc.budget)
			for i, o := range tc.ops {
				if o.add != "" {
					c.Add(o.add, i, o.size)
				} else {
					c.Get(o.get)
				}
			}
			for _, k := range tc.keep {
				if _, ok := c.Get(k); !ok {
					t.Errorf("%s was evicted", k)
				}
			}
			for _, k := range tc.gone {
				if _, ok := c.Get(k); ok {
					t.Errorf("%s is still cached", k)
				}
			}
			st := c.Stats()
			if st.Bytes != tc.bytes || st.Evictions != tc.evictions || st.Budget != tc.budget {
				t.Errorf("stats %+v, want bytes %d evictions %d", st, tc.bytes, tc.evictions)
			}
			if st.Bytes > st.Budget {
				t.Errorf("%d bytes over the %d budget", st.Bytes, st.Budget)
			}
		})
	}
}

// TestRemoveIf drops the matching keys and keeps the byte count right.
func TestRemoveIf(t *testing.T) {
	c := New[string, int](100)
	c.Add("lib1/a", 1, 10)
	c.Add("lib1/b", 2, 20)
	c.Add("lib2/a", 3, 30)
	c.RemoveIf(func(k string) bool { return k[:4] == "lib1" })
	if st := c.Stats(); st.Entries != 1 || st.Bytes != 30 || st.Evictions != 0 {
		t.Fatalf("stats %+v", st)
	}
	if v, ok := c.Get("lib2/a"); !ok || v != 3 {
		t.Fatalf("lib2/a = %v, %v", v, ok)
	}
}
