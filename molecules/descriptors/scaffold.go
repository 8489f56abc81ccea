package descriptors

import (
	"encoding/binary"
	"hash/fnv"
	"slices"

	"github.com/rxlab/rxlab/molecules"
)

// ScaffoldAtoms returns the atoms of the Bemis–Murcko scaffold of m (ring
// systems and the linkers between them: every ring atom plus every chain atom
// on a path between two ring atoms), sorted. Acyclic molecules have an empty
// scaffold.
func ScaffoldAtoms(m *molecules.Mol) []int {
	n := m.NumAtoms()
	keep := make([]bool, n)
	deg := make([]int, n)
	anyRing := false
	for i := 0; i < n; i++ {
		keep[i] = true
		deg[i] = len(m.Neighbors(i))
		if m.AtomInRing(i) {
			anyRing = true
		}
	}
	if !anyRing {
		return nil
	}
	// Peel side chains: repeatedly drop non-ring atoms with at most one kept neighbour.
	var queue []int
	for i := 0; i < n; i++ {
		if !m.AtomInRing(i) && deg[i] <= 1 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if !keep[a] {
			continue
		}
		keep[a] = false
		for _, b := range m.Neighbors(a) {
			if keep[b] {
				deg[b]--
				if !m.AtomInRing(b) && deg[b] <= 1 {
					queue = append(queue, b)
				}
			}
		}
	}
	var out []int
	for i := 0; i < n; i++ {
		if keep[i] {
			out = append(out, i)
		}
	}
	return out
}

// ScaffoldKey identifies the Bemis–Murcko scaffold of m up to graph
// isomorphism: a Weisfeiler–Lehman hash of the scaffold subgraph (element,
// aromaticity, charge, degree within the scaffold, ring membership, bond
// orders), refined until the colour classes stop splitting. Molecules whose
// scaffolds are the same graph get the same key; distinct scaffolds collide
// only with negligible probability. Acyclic molecules share the key "".
func ScaffoldKey(m *molecules.Mol) string {
	atoms := ScaffoldAtoms(m)
	if len(atoms) == 0 {
		return ""
	}
	in := make(map[int]int, len(atoms))
	for k, a := range atoms {
		in[a] = k
	}
	type edge struct {
		to   int
		bond uint64
	}
	adj := make([][]edge, len(atoms))
	for bi := range m.Bonds {
		b := &m.Bonds[bi]
		x, okx := in[int(b.Begin)]
		y, oky := in[int(b.End)]
		if !okx || !oky {
			continue
		}
		bt := uint64(b.Type)
		if b.Aromatic {
			bt = uint64(molecules.BondAromatic)
		}
		adj[x] = append(adj[x], edge{y, bt})
		adj[y] = append(adj[y], edge{x, bt})
	}
	col := make([]uint64, len(atoms))
	for k, a := range atoms {
		at := &m.Atoms[a]
		v := uint64(at.Z) | uint64(uint8(at.Charge))<<8 | uint64(len(adj[k]))<<16
		if at.Aromatic {
			v |= 1 << 24
		}
		if m.AtomInRing(a) {
			v |= 1 << 25
		}
		col[k] = mix(v)
	}
	classes := distinct(col)
	next := make([]uint64, len(atoms))
	var nb []uint64
	for round := 0; round < len(atoms); round++ {
		for k := range atoms {
			nb = nb[:0]
			for _, e := range adj[k] {
				nb = append(nb, mix(col[e.to]^e.bond*0x9e3779b97f4a7c15))
			}
			slices.Sort(nb)
			h := col[k]
			for _, x := range nb {
				h = mix(h ^ x)
			}
			next[k] = h
		}
		col, next = next, col
		c := distinct(col)
		if c == classes {
			break
		}
		classes = c
	}
	final := slices.Clone(col)
	slices.Sort(final)
	h := fnv.New128a()
	var buf [8]byte
	for _, x := range final {
		binary.LittleEndian.PutUint64(buf[:], x)
		h.Write(buf[:])
	}
	return string(h.Sum(nil))
}

func distinct(c []uint64) int {
	s := slices.Clone(c)
	slices.Sort(s)
	return len(slices.Compact(s))
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
