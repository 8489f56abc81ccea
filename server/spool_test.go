package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaleSpoolsRemovedAtStart: spool files a killed server left under
// DATA/spool are removed when the next one starts, and the start says so.
func TestStaleSpoolsRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	os.MkdirAll(spool, 0o700)
	stale := []string{"rxlab-import-1", "rxlab-import-2"}
	for _, name := range stale {
		if err := os.WriteFile(filepath.Join(spool, name), []byte("left by kill -9"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(spool, name)); err == nil {
			t.Errorf("%s survived the start", name)
		}
	}
	if !strings.Contains(c.log.String(), "removed spool files an earlier process left") {
		t.Errorf("the start does not report the removal: %s", c.log.String())
	}
}

func TestParseServeUploadFlags(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr bool
		spool   string
	}{
		{[]string{"-data", "/d"}, false, "/d/spool"},
		{[]string{"-data", "/d", "-spool-dir", "/s"}, false, "/s"},
		{[]string{"-data", "/d", "-spool-quota", "0"}, true, ""},
		{[]string{"-data", "/d", "-min-upload-rate", "-1"}, true, ""},
	}
	for _, c := range cases {
		cfg, err := parseServe(c.args)
		if (err != nil) != c.wantErr {
			t.Errorf("%v: err %v", c.args, err)
			continue
		}
		if err == nil && cfg.spoolDir != c.spool {
			t.Errorf("%v: spool dir %q, want %q", c.args, cfg.spoolDir, c.spool)
		}
	}
}
