package cohorts

import "unsafe"

// IndexStats describes the in-memory index.
type IndexStats struct {
	Patients    int   `json:"patients"`
	Keys        int   `json:"keys"`
	BitmapBytes int64 `json:"bitmapBytes"`
	ColumnBytes int64 `json:"columnBytes"`
	Generation  int64 `json:"generation"`
}

// Stats returns the size of the in-memory index (bitmaps as serialized,
// columns as held, sorted views included once built).
func (s *Service) Stats() IndexStats {
	ix := s.snapshot()
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	st := IndexStats{Patients: int(ix.all().GetCardinality()), Keys: len(ix.bm), Generation: int64(ix.gen)}
	for _, b := range ix.bm {
		st.BitmapBytes += int64(b.GetSizeInBytes())
	}
	view := func(v *sview) int64 {
		if v == nil {
			return 0
		}
		n := int64(len(v.keys))*12 + int64(len(v.keys))*0
		for _, b := range v.buckets {
			n += int64(b.GetSizeInBytes())
		}
		for _, b := range v.prefixes {
			n += int64(b.GetSizeInBytes())
		}
		return n
	}
	st.ColumnBytes += int64(len(ix.birth))*4 + view(ix.birthView)
	for _, c := range ix.labs {
		st.ColumnBytes += int64(len(c.val))*12 + int64(c.has.GetSizeInBytes()) + view(c.byVal) + view(c.byDay)
	}
	for _, m := range ix.dates {
		st.ColumnBytes += int64(len(m)) * int64(unsafe.Sizeof(uint32(0))+unsafe.Sizeof(int32(0))+8)
	}
	for _, id := range ix.ids {
		st.ColumnBytes += int64(len(id)) + 16 + 4
	}
	return st
}
