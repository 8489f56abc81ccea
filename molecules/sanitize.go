package molecules

// isAromaticAtom is RDKit's isAromaticAtom: flagged, or any aromatic bond.
func (m *Mol) isAromaticAtom(i int) bool {
	a := &m.Atoms[i]
	if a.Aromatic {
		return true
	}
	for _, b := range a.bonds {
		if m.Bonds[b].Aromatic || m.Bonds[b].Type == BondAromatic {
			return true
		}
	}
	return false
}

// valenceContrib is Bond::getValenceContrib for atom i.
func (m *Mol) valenceContrib(b int32, i int32) float64 {
	bd := &m.Bonds[b]
	if bd.Type == BondDative && bd.End != i {
		return 0
	}
	return bd.order()
}

func chargeForValence(z uint8, charge int8) int {
	chr := int(charge)
	if earlyAtom[z] {
		chr = -chr
	}
	if z == 6 && chr > 0 {
		chr = -chr
	}
	return chr
}

// twiceValenceContrib is twice Bond::getValenceContrib for atom i (an
// aromatic bond counts 3), so valence sums stay integers.
func (m *Mol) twiceValenceContrib(b int32, i int32) int {
	bd := &m.Bonds[b]
	if bd.Type == BondDative && bd.End != i {
		return 0 // a dative bond counts for its acceptor only
	}
	return twiceBondType(bd.Type)
}

// calcExplicitValence mirrors Atom::calcExplicitValence (2022.09). RDKit
// sums bond orders as doubles (aromatic 1.5); here they are summed in half
// units, which is exact: the result round(sum + 0.1) is (2*sum + 1) / 2.
func (m *Mol) calcExplicitValence(i int, strict bool, aromaticOverride int) (int, error) {
	a := &m.Atoms[i]
	accum := 0 // twice the valence
	for _, b := range a.bonds {
		accum += m.twiceValenceContrib(b, int32(i))
	}
	accum += 2 * int(a.ExplicitHs)
	el := &elementTable[a.Z]
	dv := int(el.valences[0])
	chr := chargeForValence(a.Z, a.Charge)
	if accum > 2*(dv+chr) && aromaticOverride != 0 && m.isAromaticAtom(i) {
		pval := dv + chr
		for _, v := range el.valences {
			if v == -1 {
				break
			}
			val := int(v) + chr
			if 2*val > accum {
				break
			}
			pval = val
		}
		if accum-2*pval <= 3 {
			accum = 2 * pval
		}
	}
	res := (accum + 1) / 2
	if strict {
		var eff int
		if el.nOuter >= 4 {
			eff = res - int(a.Charge)
		} else {
			eff = res + int(a.Charge)
		}
		maxV := int(el.valences[len(el.valences)-1])
		if maxV > 0 && eff > maxV {
			return 0, errMol("explicit valence for atom %d %s, %d, is greater than permitted", i, el.symbol, eff)
		}
	}
	a.expVal = res
	return res, nil
}

// calcImplicitValence mirrors Atom::calcImplicitValence (2022.09).
func (m *Mol) calcImplicitValence(i int, strict bool) (int, error) {
	a := &m.Atoms[i]
	if a.NoImplicit || a.Z == 0 {
		a.ImplicitHs = 0
		return 0, nil
	}
	if a.expVal == 0 && a.Z == 1 && a.Radicals == 0 {
		switch a.Charge {
		case 1, -1:
			a.ImplicitHs = 0
			return 0, nil
		case 0:
			a.ImplicitHs = 1
			return 1, nil
		default:
			if strict {
				return 0, errMol("unreasonable formal charge on hydrogen %d", i)
			}
			a.ImplicitHs = 0
			return 0, nil
		}
	}
	el := &elementTable[a.Z]
	dv := int(el.valences[0])
	if dv == -1 {
		a.ImplicitHs = 0
		return 0, nil
	}
	ev := a.expVal + int(a.Radicals)
	chg := chargeForValence(a.Z, a.Charge)
	res := 0
	if m.isAromaticAtom(i) {
		if ev <= dv+chg {
			res = dv + chg - ev
		} else {
			satis := false
			for _, v := range el.valences {
				if v <= 0 {
					break
				}
				if ev == int(v)+chg {
					satis = true
					break
				}
			}
			if strict && !satis {
				return 0, errMol("explicit valence for aromatic atom %d %s not equal to any accepted valence", i, el.symbol)
			}
			res = 0
		}
	} else {
		res = -1
		for _, v := range el.valences {
			if v < 0 {
				break
			}
			tot := int(v) + chg
			if ev <= tot {
				res = tot - ev
				break
			}
		}
		if res < 0 {
			if strict && el.valences[len(el.valences)-1] != -1 {
				return 0, errMol("explicit valence for atom %d %s greater than permitted", i, el.symbol)
			}
			res = 0
		}
	}
	if res > 255 {
		res = 255
	}
	a.ImplicitHs = uint8(res)
	return res, nil
}

func (m *Mol) updatePropertyCache(i int, strict bool) error {
	if _, err := m.calcExplicitValence(i, strict, 1); err != nil {
		return err
	}
	_, err := m.calcImplicitValence(i, strict)
	return err
}

func (m *Mol) totalValence(i int) int { return m.Atoms[i].expVal + int(m.Atoms[i].ImplicitHs) }

// sanitizeFromSmiles is MolFromSmiles' post-processing: removeHs (which
// sanitizes) with updateExplicitCount. RDKit first runs a non-strict
// updatePropertyCache over every atom; it only sets the explicit valence and
// implicit H count, which nothing reads before sanitize's strict pass
// computes them again, so it is skipped here.
func (m *Mol) sanitizeFromSmiles(skipStereo bool) error {
	m.removeHs()
	return m.sanitize(skipStereo)
}

// removeHs drops [H] atoms the way RDKit's default RemoveHs does.
func (m *Mol) removeHs() {
	var remove []bool
	any := false
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if a.Z != 1 || len(a.bonds) != 1 || a.Isotope != 0 {
			continue
		}
		b := &m.Bonds[a.bonds[0]]
		nbr := b.Other(int32(i))
		na := &m.Atoms[nbr]
		if na.Z < 1 || na.Z == 1 {
			continue
		}
		if len(na.bonds) == 2 {
			keep := false
			for _, nb := range na.bonds {
				if m.Bonds[nb].Type == BondDouble && b.dir != dirNone {
					keep = true
				}
			}
			if keep {
				continue
			}
		}
		if remove == nil {
			remove = make([]bool, len(m.Atoms))
		}
		remove[i] = true
		any = true
	}
	if !any {
		return
	}
	for i := len(m.Atoms) - 1; i >= 0; i-- {
		if !remove[i] {
			continue
		}
		hb := m.Atoms[i].bonds[0]
		b := &m.Bonds[hb]
		heavy := b.Other(int32(i))
		h := &m.Atoms[heavy]
		h.ExplicitHs++
		// keep double-bond stereo given through the H on another neighbour
		if b.dir != dirNone {
			found := false
			var other int32 = -1
			for _, nb := range h.bonds {
				if nb == hb || m.Bonds[nb].Type != BondSingle {
					continue
				}
				if m.Bonds[nb].dir == dirNone {
					other = nb
				} else {
					found = true
				}
			}
			if !found && other >= 0 {
				ob := &m.Bonds[other]
				if ob.Begin == heavy && b.Begin == heavy {
					ob.dir = flipDir(b.dir)
				} else {
					ob.dir = b.dir
				}
			}
		}
		for k, x := range h.stereoNbrs {
			if x == int32(i) {
				h.stereoNbrs[k] = hNeighbor
			}
		}
	}
	m.deleteAtoms(remove)
}

// deleteAtoms removes flagged atoms and their bonds, renumbering the rest.
func (m *Mol) deleteAtoms(remove []bool) {
	newIdx := make([]int32, len(m.Atoms))
	var atoms []Atom
	for i := range m.Atoms {
		if remove[i] {
			newIdx[i] = -1
			continue
		}
		newIdx[i] = int32(len(atoms))
		atoms = append(atoms, m.Atoms[i])
	}
	var bonds []Bond
	for _, b := range m.Bonds {
		if remove[b.Begin] || remove[b.End] {
			continue
		}
		b.Begin, b.End = newIdx[b.Begin], newIdx[b.End]
		bonds = append(bonds, b)
	}
	for i := range atoms {
		atoms[i].bonds = atoms[i].bonds[:0]
		nb := atoms[i].stereoNbrs[:0]
		for _, x := range atoms[i].stereoNbrs {
			if x >= 0 {
				x = newIdx[x]
				if x < 0 {
					continue
				}
			}
			nb = append(nb, x)
		}
		atoms[i].stereoNbrs = nb
	}
	m.Atoms = atoms
	m.Bonds = bonds
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		m.Atoms[b.Begin].bonds = append(m.Atoms[b.Begin].bonds, int32(bi))
		m.Atoms[b.End].bonds = append(m.Atoms[b.End].bonds, int32(bi))
	}
}

// sanitize runs RDKit's sanitizeMol steps that affect the results we report.
func (m *Mol) sanitize(skipStereo bool) error {
	m.sc = getScratch()
	defer func() {
		m.sc.release()
		m.sc = nil
	}()
	m.cleanUp()
	for i := range m.Atoms {
		if err := m.updatePropertyCache(i, true); err != nil {
			return err
		}
	}
	if err := m.perceiveRings(); err != nil {
		return err
	}
	if err := m.kekulize(); err != nil {
		return err
	}
	m.assignRadicals()
	m.setAromaticity()
	m.adjustHs()
	m.cleanupChirality()
	if skipStereo && !m.stereoChangesHs() {
		m.dropStereo()
	} else {
		m.assignStereo()
		if skipStereo {
			m.dropStereo()
		}
	}
	return nil
}

// cleanUp applies RDKit's nitro/azide/P=O/halogen-oxoacid normalizations.
func (m *Mol) cleanUp() {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		switch a.Z {
		case 7:
			if a.Charge != 0 {
				continue
			}
			hold := a.Aromatic
			a.Aromatic = false
			ev, _ := m.calcExplicitValence(i, false, 1)
			if ev == 5 {
				for _, b := range a.bonds {
					bd := &m.Bonds[b]
					o := &m.Atoms[bd.Other(int32(i))]
					if o.Z == 8 && o.Charge == 0 && bd.Type == BondDouble {
						bd.Type = BondSingle
						a.Charge = 1
						o.Charge = -1
						break
					} else if o.Z == 7 && o.Charge == 0 && bd.Type == BondTriple {
						bd.Type = BondDouble
						a.Charge = 1
						o.Charge = -1
						break
					}
				}
			}
			a.Aromatic = hold
		case 15:
			if a.Charge != 0 {
				continue
			}
			ev, _ := m.calcExplicitValence(i, false, 1)
			if ev == 5 && len(a.bonds) == 3 {
				var dblO int32 = -1
				hasDbl := false
				for _, b := range a.bonds {
					bd := &m.Bonds[b]
					oi := bd.Other(int32(i))
					o := &m.Atoms[oi]
					if o.Z == 8 && o.Charge == 0 && bd.Type == BondDouble {
						dblO = b
					} else if (o.Z == 6 || o.Z == 7) && len(o.bonds) >= 2 && bd.Type == BondDouble {
						hasDbl = true
					}
				}
				if hasDbl && dblO >= 0 {
					bd := &m.Bonds[dblO]
					m.Atoms[bd.Other(int32(i))].Charge = -1
					bd.Type = BondSingle
					a.Charge = 1
				}
			}
		case 17, 35, 53:
			ev, _ := m.calcExplicitValence(i, false, 1)
			if a.Charge == 0 && (ev == 7 || ev == 5 || ev == 3) {
				allO := true
				for _, b := range a.bonds {
					if m.Atoms[m.Bonds[b].Other(int32(i))].Z != 8 {
						allO = false
						break
					}
				}
				if allO {
					fc := 0
					for _, b := range a.bonds {
						bd := &m.Bonds[b]
						if bd.Type == BondDouble {
							bd.Type = BondSingle
							fc++
							m.Atoms[bd.Other(int32(i))].Charge = -1
						}
					}
					a.Charge = int8(fc)
				}
			}
		}
	}
}

// assignRadicals mirrors MolOps::assignRadicals.
func (m *Mol) assignRadicals() {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		if !a.NoImplicit || a.Radicals != 0 || a.Z == 0 {
			continue
		}
		el := &elementTable[a.Z]
		chg := int(a.Charge)
		nOuter := el.nOuter
		if !(len(el.valences) == 1 && el.valences[0] == -1) {
			accum := 0.0
			for _, b := range a.bonds {
				accum += m.valenceContrib(b, int32(i))
			}
			accum += float64(a.ExplicitHs)
			tv := int(accum + 0.1)
			base := 8
			if a.Z == 1 || a.Z == 2 {
				base = 2
			}
			nr := base - nOuter - tv + chg
			if nr < 0 {
				nr = 0
				if len(el.valences) > 1 {
					for _, v := range el.valences {
						if int(v)-tv+chg >= 0 {
							nr = int(v) - tv + chg
							break
						}
					}
				}
			}
			nr2 := nOuter - tv - chg
			if nr2 >= 0 && nr2 < nr {
				nr = nr2
			}
			if nr > 255 {
				nr = 255
			}
			a.Radicals = uint8(nr)
		} else {
			nv := nOuter - chg
			if nv < 0 {
				nv = 0
			}
			a.Radicals = uint8(nv % 2)
		}
	}
}

// adjustHs mirrors MolOps::adjustHs: keep hydrogens that aromaticity
// perception would otherwise make disappear.
func (m *Mol) adjustHs() {
	for i := range m.Atoms {
		a := &m.Atoms[i]
		orig := int(a.ImplicitHs)
		m.calcExplicitValence(i, false, 1)
		if a.NoImplicit {
			a.ImplicitHs = 0
			continue
		}
		newV, _ := m.calcImplicitValence(i, false)
		if newV < orig {
			a.ExplicitHs += uint8(orig - newV)
			m.calcExplicitValence(i, false, 1)
		}
	}
}
