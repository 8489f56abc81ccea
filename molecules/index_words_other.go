//go:build !linux

package molecules

// adviseHuge does nothing: huge-page advice is Linux's.
func adviseHuge([]byte) {}
