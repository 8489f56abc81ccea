package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// removeEmptyLogs deletes the zero-length write-ahead files (memtable
// .mem, value log .vlog) a process killed right after creating one leaves
// behind. Such a file holds no entry, yet Badger refuses to open a
// directory that has one ("while opening memtables: … Create a new file",
// seen in TestCrashCycles), so a store killed at that instant would never
// open again. Files with any content are left to Badger's own recovery.
func removeEmptyLogs(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("store: open: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("store: open: remove an empty log file left by a crash: %w", err)
		}
		log.Warn("removed an empty log file left by a crash", "file", name)
	}
	return nil
}
