package vocab

// OncoNode is one OncoTree tumour type with rxlab's mappings from
// ICD-10-CM categories and SNOMED CT concepts.
type OncoNode struct {
	Code, Name, Parent string
	// Tissue is the node's tissue (its ancestor right below the root);
	// HEMATOPOIETIC tumours are liquid, all others solid.
	Tissue string
	ICD10  []string
	SNOMED []string
	// Aliases are older names of the node.
	Aliases []string
}

// OncoTree returns the whole tree in file order (a parent before its
// children); the root TISSUE is left out and tissues have no parent.
func (v *Vocab) OncoTree() []OncoNode {
	out := make([]OncoNode, 0, len(v.oncoOrder))
	for _, code := range v.oncoOrder {
		c := v.concepts[key(ONCOTREE, code)]
		n := OncoNode{Code: code, Name: c.Display, Tissue: v.oncoTis[code], ICD10: v.oncoICD[code], SNOMED: v.oncoSNO[code], Aliases: c.Synonyms}
		if len(c.Parents) > 0 {
			n.Parent = c.Parents[0]
		}
		out = append(out, n)
	}
	return out
}
