package molecules

// ringNeighbors builds RDKit's makeRingNeighborMap: rings are neighbours
// when they share at least one bond (and at most maxOverlap bonds when
// maxOverlap > 0); rings larger than maxSize (if > 0) have no neighbours.
func ringNeighbors(sc *scratch, brings [][]int32, nBonds int, maxSize, maxOverlap int) [][]int {
	set := bitset(sc.uint64sN((nBonds + 63) / 64))
	pairs := sc.intsN(0)[:0] // i, j of every neighbouring pair, i < j, in loop order
	deg := sc.intsN(len(brings))
	for i := range brings {
		if maxSize > 0 && len(brings[i]) > maxSize {
			continue
		}
		for _, b := range brings[i] {
			set.set(b)
		}
		for j := i + 1; j < len(brings); j++ {
			if maxSize > 0 && len(brings[j]) > maxSize {
				continue
			}
			inter := 0
			for _, b := range brings[j] {
				if set.has(b) {
					inter++
				}
			}
			if inter > 0 && (maxOverlap == 0 || inter <= maxOverlap) {
				pairs = append(pairs, i, j)
				deg[i]++
				deg[j]++
			}
		}
		clear(set)
	}
	nb := sc.intListsN(len(brings))
	back := sc.intsN(len(pairs))
	off := 0
	for i := range nb {
		nb[i] = back[off : off : off+deg[i]]
		off += deg[i]
	}
	for k := 0; k < len(pairs); k += 2 {
		i, j := pairs[k], pairs[k+1]
		nb[i] = append(nb[i], j)
		nb[j] = append(nb[j], i)
	}
	return nb
}

// pickFused is RingUtils::pickFusedRings: depth-first collection of a fused system.
func pickFused(cur int, nb [][]int, res []int, done []bool) []int {
	done[cur] = true
	res = append(res, cur)
	for _, o := range nb[cur] {
		if !done[o] {
			res = pickFused(o, nb, res, done)
		}
	}
	return res
}

// kekulize mirrors MolOps::Kekulize with markAtomsBonds=true.
func (m *Mol) kekulize() error {
	found := false
	for i := range m.Bonds {
		if m.Bonds[i].Aromatic {
			found = true
			break
		}
	}
	if !found {
		for i := range m.Atoms {
			if m.isAromaticAtom(i) {
				found = true
				break
			}
		}
	}
	if !found {
		return nil
	}
	arings := m.sc.listsN(len(m.rings))
	brings := m.sc.listsN(len(m.rings))
	for ri, r := range m.rings {
		allDummy := true
		for _, a := range r {
			if m.Atoms[a].Z != 0 {
				allDummy = false
			}
		}
		if allDummy {
			continue
		}
		arings = append(arings, r)
		brings = append(brings, m.ringBonds[ri])
	}
	nb := ringNeighbors(m.sc, brings, len(m.Bonds), 0, 0)
	done := m.sc.boolsN(len(arings))
	fused := m.sc.intsN(0)
	frings := m.sc.listsN(len(arings))
	for cur := 0; cur < len(arings); {
		fused = pickFused(cur, nb, fused[:0], done)
		frings = frings[:0]
		for _, ri := range fused {
			frings = append(frings, arings[ri])
		}
		if err := m.kekulizeFused(frings); err != nil {
			return err
		}
		next := -1
		for k := range done {
			if !done[k] {
				next = k
				break
			}
		}
		if next < 0 {
			break
		}
		cur = next
	}
	for i := range m.Bonds {
		m.Bonds[i].Aromatic = false
		if m.Bonds[i].Type == BondAromatic {
			// an aromatic bond outside any ring system RDKit could kekulize
			m.Bonds[i].Type = BondSingle
		}
	}
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Aromatic {
			if m.atomRingCount[i] == 0 {
				return errAt(int(a.pos), "non-ring atom %d marked aromatic", i)
			}
			a.Aromatic = false
			if (a.Z == 7 || a.Z == 15) && a.Charge == 0 && a.ExplicitHs == 1 {
				a.NoImplicit = false
				a.ExplicitHs = 0
				m.updatePropertyCache(i, false)
			}
		}
	}
	return nil
}

func (m *Mol) kekulizeFused(arings [][]int32) error {
	n := len(m.Atoms)
	allAtms := m.sc.int32sN(0)
	in := m.sc.boolsN(n)
	for _, r := range arings {
		for _, a := range r {
			if !in[a] {
				in[a] = true
				allAtms = append(allAtms, a)
			}
		}
	}
	cands := m.sc.boolsN(n)
	done := m.sc.int32sN(0)
	questions := m.sc.int32sN(0)
	// markDbondCands
	hasArom := false
	for _, a := range allAtms {
		if m.Atoms[a].Z == 0 || m.isAromaticAtom(int(a)) {
			hasArom = true
			break
		}
	}
	if !hasArom {
		return nil
	}
	// nonCand[a]: rings through a with no aromatic atom in that ring alone
	nonCand := m.sc.int32sN(n)
	for _, r := range m.rings {
		notCand := true
		for _, a := range r {
			if m.isAromaticAtom(int(a)) && m.atomRingCount[a] == 1 {
				notCand = false
				break
			}
		}
		if notCand {
			for _, a := range r {
				nonCand[a]++
			}
		}
	}
	makeSingle := m.sc.int32sN(0)
	for _, ai := range allAtms {
		at := &m.Atoms[ai]
		if at.Z != 0 && !m.isAromaticAtom(int(ai)) {
			done = append(done, ai)
			continue
		}
		sbo := 0
		nToIgnore := 0
		nonArNonDummy := 0
		for _, b := range at.bonds {
			bd := &m.Bonds[b]
			o := bd.Other(ai)
			if m.Atoms[o].Z != 0 && !m.Atoms[o].Aromatic && in[o] {
				nonArNonDummy++
			}
			if bd.Aromatic && (bd.Type == BondSingle || bd.Type == BondDouble || bd.Type == BondAromatic) {
				sbo++
				makeSingle = append(makeSingle, b)
			} else {
				c := int(roundHalfAway(m.valenceContrib(b, ai)))
				sbo += c
				if c == 0 {
					nToIgnore++
				}
			}
		}
		nAtomRings := int(m.atomRingCount[ai])
		nNonCand := int(nonCand[ai])
		if at.Z == 0 && nonArNonDummy < nAtomRings && nNonCand < nAtomRings {
			cands[ai] = true
			questions = append(questions, ai)
			continue
		}
		sbo += at.TotalHs()
		dv := defaultValence(at.Z)
		chrg := int(at.Charge)
		if earlyAtom[at.Z] {
			chrg = -chrg
		}
		if at.Z == 6 && chrg > 0 {
			chrg = -chrg
		}
		dv += chrg
		tbo := m.totalValence(int(ai))
		nRad := int(at.Radicals)
		totalDegree := len(at.bonds) + int(at.ImplicitHs) - nToIgnore
		vl := elementTable[at.Z].valences
		for vi := 1; tbo > dv && vi < len(vl) && vl[vi] > 0; vi++ {
			dv = int(vl[vi]) + chrg
		}
		if tbo == 5 && sbo == 4 && dv == 3 && totalDegree == 3 && nRad == 0 && chrg == 0 && at.TotalHs() == 0 {
			switch at.Z {
			case 7, 15, 33:
				dv = 5
			}
		}
		if totalDegree+nRad >= dv {
			continue
		}
		if dv == sbo+1+nRad {
			cands[ai] = true
		} else if nRad == 0 && at.NoImplicit && dv == sbo+2 {
			cands[ai] = true
		}
	}
	for _, b := range makeSingle {
		m.Bonds[b].Type = BondSingle
	}
	adds := m.sc.boolsN(len(m.Bonds))
	candsCopy := m.sc.boolsN(n)
	copy(candsCopy, cands)
	ok := m.kekulizeWorker(allAtms, in, candsCopy, adds, append(m.sc.int32sN(0), done...), 100)
	if !ok && len(questions) > 0 && len(questions) < 20 {
		inPlay := in
		for pos := 1; pos < 1<<len(questions) && !ok; pos++ {
			for bi := range m.Bonds {
				bd := &m.Bonds[bi]
				if bd.Aromatic && bd.Type != BondSingle && inPlay[bd.Begin] && inPlay[bd.End] {
					bd.Type = BondSingle
				}
			}
			t := append([]bool(nil), cands...)
			for qi, q := range questions {
				if pos&(1<<qi) != 0 {
					t[q] = false
				}
			}
			adds = make([]bool, len(m.Bonds))
			ok = m.kekulizeWorker(allAtms, in, t, adds, nil, 100)
		}
	}
	if !ok {
		return m.kekulizeError(allAtms)
	}
	return nil
}

func roundHalfAway(x float64) float64 {
	if x < 0 {
		return -roundHalfAway(-x)
	}
	return float64(int(x + 0.5))
}

func containsI32(s []int32, x int32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// kekulizeWorker follows RDKit's breadth-first assignment with bounded
// backtracking, so the Kekulé structure and the rejects match RDKit's.
func (m *Mol) kekulizeWorker(allAtms []int32, inSys []bool, cands []bool, adds []bool, done []int32, maxBT int) bool {
	queue := m.sc.int32sN(0)
	// options[a]: the untried partners of backtracking point a (an atom has
	// options exactly when its list is non-empty); made on first use
	// (optStore[optOff[a]:][:optLen[a]]; lists are appended, never changed)
	var optOff, optLen []int32
	optStore := m.sc.int32sN(0)
	optsOf := func(a int32) []int32 {
		if optLen == nil {
			return nil
		}
		return optStore[optOff[a] : optOff[a]+optLen[a]]
	}
	setOpts := func(a int32, o []int32) {
		if optLen == nil {
			optOff, optLen = m.sc.int32sN(len(m.Atoms)), m.sc.int32sN(len(m.Atoms))
		}
		optOff[a], optLen[a] = int32(len(optStore)), int32(len(o))
		optStore = append(optStore, o...)
	}
	optBuf := m.sc.int32sN(0)
	btmoves := m.sc.int32sN(0)
	lastOpt := int32(-1)
	local := m.sc.boolsN(len(m.Bonds))
	numBT := 0
	for len(done) < len(allAtms) || len(queue) > 0 {
		var cur int32 = -1
		if len(queue) > 0 {
			cur = queue[0]
			queue = queue[1:]
		} else {
			for _, a := range allAtms {
				if !containsI32(done, a) {
					cur = a
					break
				}
			}
		}
		if cur < 0 {
			return false
		}
		done = append(done, cur)
		cCand := cands[cur]
		opts := optBuf[:0] // kept only through a copy (setOpts)
		if o := optsOf(cur); len(o) > 0 {
			opts = append(opts, o...)
		} else {
			for _, b := range m.Atoms[cur].bonds {
				nbr := m.Bonds[b].Other(cur)
				if containsI32(done, nbr) || !inSys[nbr] {
					continue
				}
				if !containsI32(queue, nbr) {
					queue = append(queue, nbr)
				}
				if cCand && cands[nbr] && (m.Bonds[b].Aromatic || m.Atoms[cur].Z == 0 || m.Atoms[nbr].Z == 0) {
					opts = append(opts, nbr)
				}
			}
		}
		if !cCand {
			continue
		}
		if len(opts) > 0 {
			nc := opts[0]
			opts = opts[1:]
			bi := m.bondBetween(cur, nc)
			m.Bonds[bi].Type = BondDouble
			cands[cur], cands[nc] = false, false
			adds[bi] = true
			local[bi] = true
			if len(optsOf(cur)) > 0 {
				if len(opts) == 0 {
					setOpts(cur, nil)
					btmoves = btmoves[:len(btmoves)-1]
					if len(btmoves) > 0 {
						lastOpt = btmoves[len(btmoves)-1]
					} else {
						lastOpt = -1
					}
				} else {
					setOpts(cur, opts)
				}
			} else if len(opts) > 0 {
				lastOpt = cur
				btmoves = append(btmoves, cur)
				setOpts(cur, opts)
			}
		} else if m.Atoms[cur].Z != 0 {
			if lastOpt >= 0 && numBT < maxBT {
				// backtrack to lastOpt
				pos := -1
				for k, d := range done {
					if d == lastOpt {
						pos = k
						break
					}
				}
				tdone := append([]int32(nil), done[:pos]...)
				for k := len(done) - 1; k >= pos; k-- {
					queue = append([]int32{done[k]}, queue...)
				}
				for bi := range m.Bonds {
					if adds[bi] {
						b := &m.Bonds[bi]
						if !containsI32(tdone, b.Begin) && !containsI32(tdone, b.End) {
							adds[bi] = false
							b.Type = BondSingle
							cands[b.Begin], cands[b.End] = true, true
						}
					}
				}
				done = tdone
				numBT++
			} else {
				for bi := range m.Bonds {
					if local[bi] {
						m.Bonds[bi].Type = BondSingle
					}
				}
				return false
			}
		}
	}
	return true
}

// kekulizeError reports an aromatic ring system with no Kekulé structure
// at the first of its aromatic atoms in the SMILES (the character position
// of the system), with its size, as RDKit lists the unkekulized atoms.
func (m *Mol) kekulizeError(atoms []int32) error {
	pos, n := -1, 0
	for _, a := range atoms {
		if !m.isAromaticAtom(int(a)) {
			continue
		}
		n++
		if p := int(m.Atoms[a].pos); pos < 0 || p < pos {
			pos = p
		}
	}
	return errAt(pos, "can't kekulize mol: no Kekulé structure for the %d aromatic atoms of the ring system starting here (check [nH] and charges)", n)
}
