// Package examples holds no library code. It owns examples/: the Python package
// rxlab (python/: pip-installable, standard library at its core, pandas tables
// and matplotlib plots when those are installed; python/rxlab_client.py is its
// old module name), the notebook (notebook.ipynb), and the Go tests that build
// the real server, start it on a free port with a small demo world (2,000
// patients), and run the client script, the notebook's code cells and the
// package's integration tests (with and without pandas, and after a pip install
// into a fresh virtual environment) against it over HTTP.
package examples
