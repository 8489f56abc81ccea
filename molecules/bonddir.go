package molecules

// Double-bond direction marks for output, following the logic of RDKit's
// Canon::canonicalizeDoubleBond and removeRedundantBondDirSpecs: the first
// marked bond at the first-visited end is '/', the other marks follow from
// cis/trans and the traversal order.

const (
	outUp   = dirUp   // ENDUPRIGHT, written '/'
	outDown = dirDown // ENDDOWNRIGHT, written '\'
)

func flipOut(d uint8) uint8 {
	if d == outUp {
		return outDown
	}
	return outUp
}

type dirState struct {
	w          *smilesWriter
	bondVisit  []int
	atomVisit  []int
	bondCounts []int
	atomCounts []int
}

func (w *smilesWriter) isRingClosureBond(b int32) bool {
	return w.closureIdx[b] > 0
}

func (w *smilesWriter) isClosingRingBond(b int32) bool {
	bd := &w.m.Bonds[b]
	return bd.Begin > bd.End && bd.Begin-bd.End > 1 && w.isRingClosureBond(b)
}

func (w *smilesWriter) assignBondDirs() {
	m := w.m
	w.outDir = make([]uint8, len(m.Bonds))
	any := false
	for i := range m.Bonds {
		if m.Bonds[i].Stereo != stereoNone {
			any = true
			break
		}
	}
	if !any {
		return
	}
	st := &dirState{w: w, bondVisit: make([]int, len(m.Bonds)), atomVisit: make([]int, len(m.Atoms)),
		bondCounts: make([]int, len(m.Bonds)), atomCounts: make([]int, len(m.Atoms))}
	for k, e := range w.stack {
		switch e.kind {
		case stAtom:
			st.atomVisit[e.idx] = k + 1
		case stBond:
			st.bondVisit[e.idx] = k + 1
		}
	}
	for _, e := range w.stack {
		if e.kind == stBond && m.Bonds[e.idx].Type == BondDouble && m.Bonds[e.idx].Stereo != stereoNone {
			st.canonicalizeDoubleBond(int32(e.idx))
		}
	}
	st.removeRedundant()
}

func (st *dirState) checkBondsInSameBranch(dbl, dirB int32) bool {
	seen := false
	depth := 0
	for _, e := range st.w.stack {
		switch e.kind {
		case stBond:
			if int32(e.idx) == dirB || int32(e.idx) == dbl {
				if seen {
					return depth == 0
				}
				seen = true
			}
		case stOpen:
			if seen {
				depth++
			}
		case stClose:
			if seen {
				depth--
			}
		}
	}
	return false
}

func (st *dirState) canonicalizeDoubleBond(dbl int32) {
	w := st.w
	m := w.m
	out := w.outDir
	bd := &m.Bonds[dbl]
	a1, a2 := bd.Begin, bd.End
	d1, d2 := len(m.Atoms[a1].bonds), len(m.Atoms[a2].bonds)
	if (d1 != 2 && d1 != 3) || (d2 != 2 && d2 != 3) {
		return
	}
	if st.atomVisit[a1] >= st.atomVisit[a2] {
		a1, a2 = a2, a1
		d1, d2 = d2, d1
	}
	pick := func(a int32) (first, second int32, set bool) {
		first, second = -1, -1
		fv := len(m.Bonds) + 1
		for _, b := range m.Atoms[a].bonds {
			if b == dbl {
				continue
			}
			if st.bondCounts[b] > 0 {
				set = true
			}
			if first < 0 || st.bondVisit[b] < fv {
				if first >= 0 {
					second = first
				}
				first = b
				fv = st.bondVisit[b]
			} else {
				second = b
			}
		}
		return
	}
	f1, s1, set1 := pick(a1)
	f2, s2, set2 := pick(a2)
	if f1 < 0 || f2 < 0 || (d1 == 3 && s1 < 0) || (d2 == 3 && s2 < 0) {
		return
	}
	inStereo := func(b int32, a int32) bool {
		o := m.Bonds[b].Other(a)
		return o == bd.stereoA || o == bd.stereoB
	}
	trans := bd.Stereo == stereoTrans
	fromBond1 := true
	var dir1, dir2 uint8
	ctl1, ctl2 := f1, f2
	switch {
	case !set1 && !set2:
		dir1 = outUp
		out[f1] = dir1
		st.bondCounts[f1]++
		st.atomCounts[a1]++
	case !set2:
		if st.bondCounts[f1] > 0 {
			dir1 = out[f1]
			st.bondCounts[f1]++
			st.atomCounts[a1]++
		} else {
			if s1 < 0 || st.bondCounts[s1] == 0 {
				return
			}
			dir1 = out[s1]
			out[f1] = dir1
			st.bondCounts[f1]++
			st.atomCounts[a1] += 2
			ctl1 = s1
		}
	default:
		fromBond1 = false
		if st.bondCounts[f2] > 0 {
			dir2 = out[f2]
			st.bondCounts[f2]++
			st.atomCounts[a2]++
		} else {
			if s2 < 0 || st.bondCounts[s2] == 0 {
				return
			}
			dir2 = out[s2]
			out[f2] = dir2
			st.bondCounts[f2]++
			st.atomCounts[a2] += 2
			ctl2 = s2
		}
	}
	if fromBond1 {
		if trans {
			dir2 = dir1
		} else {
			dir2 = flipOut(dir1)
		}
		flipped := false
		if d1 == 3 && !inStereo(ctl1, a1) {
			flipped = true
			dir2 = flipOut(dir2)
		}
		if d2 == 3 && !inStereo(f2, a2) {
			flipped = true
			dir2 = flipOut(dir2)
		}
		if !flipped && w.isClosingRingBond(dbl) {
			dir2 = flipOut(dir2)
		}
		out[f2] = dir2
		st.bondCounts[f2]++
		st.atomCounts[a2]++
	} else {
		if !trans {
			dir1 = dir2
		} else {
			dir1 = flipOut(dir2)
		}
		if d2 == 3 && !inStereo(ctl2, a2) {
			dir1 = flipOut(dir1)
		}
		if d1 == 3 && !inStereo(f1, a1) {
			dir1 = flipOut(dir1)
		}
		out[f1] = flipOut(dir1)
		st.bondCounts[f1]++
		st.atomCounts[a1]++
	}
	if d1 == 3 {
		if st.bondCounts[s1] == 0 {
			if st.checkBondsInSameBranch(dbl, s1) {
				out[s1] = flipOut(out[f1])
			} else {
				out[s1] = out[f1]
			}
		}
		st.bondCounts[s1]++
		st.atomCounts[a1]++
	}
	if d2 == 3 {
		if st.bondCounts[s2] == 0 {
			if !w.isRingClosureBond(s2) {
				out[s2] = flipOut(out[f2])
			} else {
				out[s2] = out[f2]
			}
		}
		st.bondCounts[s2]++
		st.atomCounts[a2]++
	}
	if fromBond1 && st.bondVisit[ctl1] > st.atomVisit[a1] {
		if st.bondCounts[ctl1] == 1 {
			if !w.isRingClosureBond(ctl1) {
				out[ctl1] = flipOut(out[ctl1])
			}
		} else if st.bondCounts[f2] == 1 {
			out[f2] = flipOut(out[f2])
			if s2 >= 0 && st.bondCounts[s2] >= 1 {
				out[s2] = flipOut(out[s2])
			}
		}
	}
	a3 := m.Bonds[f2].Other(a2)
	if len(m.Atoms[a3].bonds) == 3 {
		var other int32 = -1
		dblPresent := false
		for _, tb := range m.Atoms[a3].bonds {
			t := &m.Bonds[tb]
			if t.Type == BondDouble && t.Stereo != stereoNone {
				dblPresent = true
			} else if t.Type == BondSingle && tb != f2 {
				other = tb
			}
		}
		if dblPresent && other >= 0 && out[other] == dirNone {
			d := out[f2]
			if w.isClosingRingBond(other) {
				d = flipOut(d)
			}
			out[other] = d
			st.bondCounts[other]++
			st.atomCounts[a3]++
		}
	}
}

func canHaveDirection(b *Bond) bool { return b.Type == BondSingle || b.Type == BondAromatic }

func (st *dirState) clearBondDirs(ref int32, from int32) {
	m := st.w.m
	out := st.w.outDir
	nbrPossible, adjusted := false, false
	for _, ob := range m.Atoms[from].bonds {
		o := &m.Bonds[ob]
		if ob == ref || !canHaveDirection(o) {
			continue
		}
		nbrPossible = true
		if st.bondCounts[ob] >= st.bondCounts[ref] && st.atomCounts[o.Begin] != 1 && st.atomCounts[o.End] != 1 {
			adjusted = true
			st.bondCounts[ob]--
			if st.bondCounts[ob] == 0 {
				out[ob] = dirNone
				st.atomCounts[o.Begin]--
				st.atomCounts[o.End]--
			}
		}
	}
	r := &m.Bonds[ref]
	if nbrPossible && !adjusted && st.atomCounts[r.Begin] != 1 && st.atomCounts[r.End] != 1 {
		st.bondCounts[ref]--
		if st.bondCounts[ref] == 0 {
			out[ref] = dirNone
			st.atomCounts[r.Begin]--
			st.atomCounts[r.End]--
		}
	}
}

func (st *dirState) removeRedundant() {
	w := st.w
	m := w.m
	for _, e := range w.stack {
		if e.kind != stBond {
			continue
		}
		b := int32(e.idx)
		bd := &m.Bonds[b]
		begin := int32(e.left)
		end := bd.Other(begin)
		if canHaveDirection(bd) && st.bondCounts[b] >= 1 {
			for _, at := range []int32{begin, end} {
				has := false
				for _, ob := range m.Atoms[at].bonds {
					if ob != b && m.Bonds[ob].Type == BondDouble && m.Bonds[ob].Stereo != stereoNone {
						has = true
						break
					}
				}
				if has {
					st.clearBondDirs(b, at)
				}
			}
		} else if w.outDir[b] != dirNone {
			w.outDir[b] = dirNone
		}
	}
}
