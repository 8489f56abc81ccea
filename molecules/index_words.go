package molecules

import "unsafe"

// hugePage is the size of an x86-64 / arm64 transparent huge page.
const hugePage = 2 << 20

// appendWords appends fp to a bucket's fingerprint words. When the array
// must grow past two huge pages, the new one is sized in whole huge pages
// (plus one for alignment) and, on Linux, the whole huge pages inside it are
// advised as huge-page memory before it is first written: a scan reads the
// words once front to back, and on 4 KiB pages the TLB misses and the
// prefetchers stopping at every page cost a fifth to a third of the memory
// bandwidth (a streaming read of 256 MiB on one core of the development VM:
// 20–22.5 GB/s on 4 KiB pages, 26–30 GB/s on 2 MiB pages; the 1M-fingerprint
// scan 75–77M against 97–104M comparisons/s). The advice covers pages first
// touched after it: a heap span the runtime reuses and zeroes first keeps
// 4 KiB pages until the kernel's khugepaged collapses it.
func appendWords(words, fp []uint64) []uint64 {
	need := len(words) + len(fp)
	if need <= cap(words) {
		return append(words, fp...)
	}
	c := max(2*cap(words), need, 64)
	if c*8 < 2*hugePage {
		return append(words, fp...)
	}
	c = ((c*8+hugePage-1)/hugePage + 1) * hugePage / 8
	w := make([]uint64, len(words), c)
	full := w[:c]
	base := uintptr(unsafe.Pointer(&full[0]))
	off := (hugePage - base%hugePage) % hugePage
	if n := (uintptr(c*8) - off) / hugePage * hugePage; n > 0 {
		adviseHuge(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&full[0]), off)), n))
	}
	copy(w, words)
	return append(w, fp...)
}
