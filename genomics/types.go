package genomics

// Origin tells whether a variant was inherited (germline) or acquired by a tumor (somatic).
type Origin string

// The variant origins, spelled as the GraphQL enum VariantOrigin.
const (
	Germline Origin = "GERMLINE"
	Somatic  Origin = "SOMATIC"
)

// VariantClass is the coarse consequence of a variant on its protein,
// spelled as the GraphQL enum VariantClass.
type VariantClass string

// The variant classes of the API contract.
const (
	Missense     VariantClass = "MISSENSE"
	Nonsense     VariantClass = "NONSENSE"
	Frameshift   VariantClass = "FRAMESHIFT"
	Splice       VariantClass = "SPLICE"
	InframeIndel VariantClass = "INFRAME_INDEL"
	Synonymous   VariantClass = "SYNONYMOUS"
	StartLost    VariantClass = "START_LOST"
	StopLost     VariantClass = "STOP_LOST"
	OtherClass   VariantClass = "OTHER"
)

// Variant is one biallelic small variant of one sample, annotated with its
// gene and protein change where the source file says them.
type Variant struct {
	Gene          string       `json:"gene"`
	Chrom         string       `json:"chrom"`
	Pos           int64        `json:"pos"`
	Ref           string       `json:"ref"`
	Alt           string       `json:"alt"`
	ProteinChange string       `json:"proteinChange,omitempty"` // one-letter form without "p.", e.g. "V600E"
	Class         VariantClass `json:"class,omitempty"`
	Origin        Origin       `json:"origin"`
	Zygosity      string       `json:"zygosity,omitempty"` // "heterozygous", "homozygous", "hemizygous" or ""
}

// CNVType is the direction of a copy-number change.
type CNVType string

// The copy-number change types of the API contract.
const (
	Amplification CNVType = "AMPLIFICATION"
	Deletion      CNVType = "DELETION"
)

// CNV is a gene-level copy-number call of one sample.
type CNV struct {
	Gene string  `json:"gene"`
	Type CNVType `json:"type"`
}

// Fusion is a gene fusion of one sample; Partner may be empty when unknown.
type Fusion struct {
	Gene    string `json:"gene"`
	Partner string `json:"partner,omitempty"`
}

// PgxResult is the pharmacogenomic call for one gene of one sample.
type PgxResult struct {
	Gene   string `json:"gene"`
	Sample string `json:"sample,omitempty"`
	// Diplotype such as "*1/*3"; empty when the gene could not be called.
	Diplotype string `json:"diplotype,omitempty"`
	// Phenotype in CPIC words, e.g. "Poor Metabolizer"; for VKORC1 the
	// rs9923231 genotype such as "G/A". Empty when not callable.
	Phenotype string `json:"phenotype,omitempty"`
	// ActivityScore as an exact decimal string such as "1.5"; empty when the
	// gene has no activity score or the call failed.
	ActivityScore string `json:"activityScore,omitempty"`
	// MissingPositions are the positions the call needed that the VCF lacked,
	// as "chrom:pos" (with the rsID where known).
	MissingPositions []string `json:"missingPositions"`
}
