package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pandasPython returns a Python with pandas and matplotlib: RXLAB_PANDAS_PYTHON,
// else Debian's /usr/bin/python3 or python3 on PATH when they import both.
func pandasPython() string {
	cands := []string{os.Getenv("RXLAB_PANDAS_PYTHON"), "/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if p == "" {
			continue
		}
		if exec.Command(p, "-c", "import pandas, matplotlib").Run() == nil {
			return p
		}
	}
	return ""
}

// testPythonPackage installs examples/python with pip into a fresh virtual
// environment (offline: no index, no build isolation) and runs the package's
// integration tests against a real server with the demo world, once with
// pandas and matplotlib hidden (the standard-library core) and once with them
// where a Python that has them exists.
// TestAgainstServer runs it on its server before stopping it.
func testPythonPackage(t *testing.T, srv *server, python string) {
	schema, err := filepath.Abs(filepath.Join("..", "graphql", "schema.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	env := pythonEnv(map[string]string{"RXLAB_URL": srv.url, "RXLAB_TOKEN": srv.token, "RXLAB_SCHEMA": schema, "PYTHONDONTWRITEBYTECODE": "1"})

	t.Run("pip install", func(t *testing.T) {
		base := pandasPython()
		if base == "" {
			base = python
		}
		// A copy, so that setuptools' build/ and egg-info/ land outside the tree.
		src := filepath.Join(t.TempDir(), "python")
		if err := os.CopyFS(src, os.DirFS("python")); err != nil {
			t.Fatal(err)
		}
		venv := filepath.Join(t.TempDir(), "venv")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, args := range [][]string{
			{base, "-m", "venv", "--system-site-packages", venv},
			{filepath.Join(venv, "bin", "pip"), "install", "-q", "--no-build-isolation", "--no-index", "--no-deps", src},
		} {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("cannot make a venv and pip install here (%v): %s", err, out)
			}
		}
		// From another directory, so the import comes from site-packages.
		cmd := exec.CommandContext(ctx, filepath.Join(venv, "bin", "python"), "-c",
			"import rxlab, rxlab_client, sys; assert 'site-packages' in rxlab.__file__, rxlab.__file__; print(rxlab.Client().health()['ok'])")
		cmd.Dir = t.TempDir()
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "True\n" {
			t.Fatalf("installed package: %v\n%s", err, out)
		}
	})

	t.Run("standard library only", func(t *testing.T) {
		noPandas := append(append([]string{}, env...), "RXLAB_NO_PANDAS=1")
		runPython(t, noPandas, "python", python, "test_integration.py")
	})

	t.Run("with pandas and matplotlib", func(t *testing.T) {
		p := pandasPython()
		if p == "" {
			t.Skip("no Python with pandas and matplotlib (apt-get install python3-pandas python3-matplotlib)")
		}
		runPython(t, append(append([]string{}, env...), "MPLBACKEND=Agg"), "python", p, "test_integration.py")
	})
}
