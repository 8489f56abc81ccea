package molecules

// assignBondDirs is filled in by double-bond stereo support; without
// stereo double bonds no direction marks are written.
func (w *smilesWriter) assignBondDirs() {
	w.outDir = make([]uint8, len(w.m.Bonds))
}
