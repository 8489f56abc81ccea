package cohorts

// The index is published as an immutable snapshot through an atomic
// pointer (see doc.go, "Snapshots"). Readers call snapshot() once per
// request and evaluate against that version without holding s.mu, so a
// writer waiting for a lock never delays them. Writers (holding s.imu)
// take a private copy with begin(), change it through the index methods
// (pid, add, remove, setColumns: each copies a part on its first change),
// and make it visible with publish().

// snapshot returns the published index. It never changes, except for the
// lazily built views guarded by s.lazyMu.
func (s *Service) snapshot() *index { return s.cur.Load() }

// begin returns a private, writable copy of the published index. The
// caller holds s.imu and either publishes the copy or drops it; nothing a
// reader sees changes until publish.
func (s *Service) begin() *index {
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	return s.snapshot().cloneForWrite()
}

// publish makes ix the index every new reader sees, with the next
// generation number. The caller holds s.imu and must not change ix
// afterwards (call begin again for the next change).
func (s *Service) publish(ix *index) {
	if cur := s.snapshot(); cur != nil {
		ix.gen = cur.gen + 1
	} else {
		ix.gen = 1
	}
	ix.lazy = &s.lazyMu
	ix.bandCache = nil
	s.cur.Store(ix)
}

// update runs fn on a private copy of the index and publishes the copy
// when fn succeeds; on an error nothing changes. The caller holds s.imu.
func (s *Service) update(fn func(ix *index) error) error {
	ix := s.begin()
	if err := fn(ix); err != nil {
		return err
	}
	s.publish(ix)
	return nil
}
