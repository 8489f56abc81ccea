// Package examples holds no library code. It owns examples/: the standard-library
// Python client (python/rxlab_client.py and its unit tests), the notebook
// (notebook.ipynb), and the Go test that builds the real server, starts it on a
// free port with an empty data directory, and runs the client script and the
// notebook's code cells against it over HTTP.
package examples
