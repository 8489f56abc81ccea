package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestWorkerFlags checks the worker's and serve's queue flags: what is
// refused says which flag and why.
func TestWorkerFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // "" means accepted
	}{
		{"worker needs -nats", []string{"worker", "-store", "x"}, "-nats is required"},
		{"worker with nothing to take", []string{"worker", "-nats", "nats://127.0.0.1:1", "-jobs", "0", "-shards", "0"}, "some jobs or shards"},
		{"worker with negative shards", []string{"worker", "-nats", "nats://127.0.0.1:1", "-shards", "-1"}, "-shards -1"},
		{"ack wait too short", []string{"worker", "-nats", "nats://127.0.0.1:1", "-nats-ack-wait", "10ms"}, "-nats-ack-wait"},
		{"serve with too many shards", []string{"serve", "-shards", "100000"}, "-shards 100000"},
		{"worker extra argument", []string{"worker", "-nats", "nats://127.0.0.1:1", "now"}, "unexpected argument"},
		{"worker, NATS not there", []string{"worker", "-nats", "nats://127.0.0.1:1", "-data", ""}, "connect to NATS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.name == "worker, NATS not there" {
				args = append(args[:len(args)-1], t.TempDir())
			}
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestRedactNATS(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                      "nats://127.0.0.1:4222",
		"nats://u:secret@a:4222,nats://tok3n@b:4222": "nats://a:4222,nats://b:4222",
		"nats://a:4222, nats://u:secret@b:4222":      "nats://a:4222,nats://b:4222",
		"nats://u:se%zzcret@a:4222":                  "(unreadable URL)",
	} {
		if got := redactNATS(in); got != want {
			t.Errorf("redactNATS(%q) = %q, want %q", in, got, want)
		}
	}
}
