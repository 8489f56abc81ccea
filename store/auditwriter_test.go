package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Concurrent standalone audit records (patient reads from many clients)
// all land, each once, on one verifiable chain.
func TestConcurrentAudits(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info := AuditInfo{Actor: "T1", Role: "clinician", Operation: "query patient", Targets: []string{fmt.Sprintf("patient:P%d", i)}}
			errs <- db.Audit(ctx, info, "ok")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	count, err := db.VerifyAudit(ctx)
	if err != nil || count != n {
		t.Fatalf("VerifyAudit = %d, %v; want %d records on an intact chain", count, err, n)
	}
	recs, err := db.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		for _, tg := range r.Targets {
			if seen[tg] {
				t.Fatalf("%s audited twice", tg)
			}
			seen[tg] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct targets audited, want %d", len(seen), n)
	}
}

// A cancelled request's access is still audited, and an audit after Close
// answers an error instead of waiting forever.
func TestAuditCancelledAndClosed(t *testing.T) {
	db := openTest(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Audit(ctx, AuditInfo{Actor: "T1", Operation: "query patient"}, "error: CANCELED"); err != nil {
		t.Fatalf("audit with a cancelled context: %v", err)
	}
	if n, err := db.VerifyAudit(context.Background()); err != nil || n != 1 {
		t.Fatalf("VerifyAudit = %d, %v; want 1", n, err)
	}
	db.Close()
	if err := db.Audit(context.Background(), AuditInfo{Actor: "T1"}, "ok"); err == nil {
		t.Fatal("audit after Close succeeded")
	}
}
