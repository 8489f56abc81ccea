package store

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestArchitectureInvariants checks the import rules ARCHITECTURE.md
// promises: only store imports Badger, and the domain packages never import
// graphql or server.
func TestArchitectureInvariants(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/rxlab/rxlab/"
	domains := []string{"cohorts", "genomics", "molecules", "rl"}
	dec := json.NewDecoder(out)
	n := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/dgraph-io/badger") && rel != "store" {
				t.Errorf("%s imports Badger; only store may", rel)
			}
			for _, d := range domains {
				if rel == d || strings.HasPrefix(rel, d+"/") {
					if strings.HasPrefix(imp, mod+"graphql") || strings.HasPrefix(imp, mod+"server") {
						t.Errorf("domain package %s imports %s", rel, imp)
					}
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	if n < 10 {
		t.Fatalf("listed only %d packages", n)
	}
}

// TestLeavesDoNotLinkTheStore checks that the parsers, simulators and the
// neural-network core do not link Badger, even indirectly: they name error
// kinds through the leaf package store/errs, not through store.
func TestLeavesDoNotLinkTheStore(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	leaves := []string{
		"store/errs", "molecules", "molecules/response/mpnn", "molecules/internal/lru",
		"genomics", "genomics/hgvs", "genomics/ingest", "genomics/maf", "genomics/pgx", "genomics/vcf",
		"rl/pkpd", "rl/nn", "rl/env", "rl/ppo", "rl/dosing", "rl/mipd",
	}
	const mod = "github.com/rxlab/rxlab/"
	for _, leaf := range leaves {
		out, err := exec.Command("go", "list", "-deps", "../"+leaf).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", leaf, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/dgraph-io/badger") || dep == mod+"store" {
				t.Errorf("%s links %s; name error kinds through store/errs", leaf, dep)
			}
		}
	}
}
