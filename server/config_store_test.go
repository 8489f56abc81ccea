package main

import (
	"flag"
	"testing"
)

// TestStoreFlag: -store picks the backend — empty is the data directory
// (Badger), a postgres:// or postgresql:// URL the shared SQL store, any
// other value a Badger directory; RXLAB_STORE is its fallback.
func TestStoreFlag(t *testing.T) {
	cases := []struct {
		name, flag, env, wantDir, wantURL string
	}{
		{"default", "", "", "d", ""},
		{"directory", "/srv/rx", "", "/srv/rx", ""},
		{"postgres url", "postgres://rx@db:5432/rx", "", "d", "postgres://rx@db:5432/rx"},
		{"postgresql url", "postgresql://rx@db/rx?sslmode=require", "", "d", "postgresql://rx@db/rx?sslmode=require"},
		{"environment", "", "postgres://env@db/rx", "d", "postgres://env@db/rx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("RXLAB_STORE", c.env)
			cfg := &config{}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			storeFlags(fs, cfg)
			args := []string{"-data", "d"}
			if c.flag != "" {
				args = append(args, "-store", c.flag)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			sc, err := cfg.storeConfig()
			if err != nil {
				t.Fatal(err)
			}
			if sc.Dir != c.wantDir && c.wantURL == "" || sc.URL != c.wantURL {
				t.Errorf("store config = dir %q url %q, want dir %q url %q", sc.Dir, sc.URL, c.wantDir, c.wantURL)
			}
		})
	}
}
