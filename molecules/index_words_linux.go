package molecules

import "golang.org/x/sys/unix"

// adviseHuge asks the kernel for transparent huge pages under b (a no-op
// where THP is off; an error changes nothing and is ignored).
func adviseHuge(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }
