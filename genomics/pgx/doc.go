// Package pgx calls pharmacogenomic star-allele diplotypes and CPIC
// phenotypes from VCF genotypes for CYP2C9, CYP2C19, VKORC1 (rs9923231),
// DPYD, TPMT, NUDT15 and SLCO1B1.
//
// The allele-definition and phenotype tables are PharmCAT's (MPL-2.0,
// ClinPGx/CPIC curation), embedded unmodified from data/ (see
// data/SOURCE.md). The matching follows PharmCAT's published behaviour,
// re-implemented here:
//
//   - A definition position absent from the VCF, or present with a fully
//     missing genotype ("./."), is "not called", never reference. Named
//     alleles are restricted to the called positions; an allele left with no
//     defining position is dropped; remaining unspecified positions default
//     to the reference allele. MissingPositions lists what was absent.
//   - A partially missing genotype ("0/.") at a definition position makes the
//     gene a no-call, as in PharmCAT.
//   - Unphased heterozygous positions are resolved by trying every strand
//     assignment (equivalent to PharmCAT's sample permutations); every
//     diplotype whose two haplotypes explain the sample is scored by the
//     number of defining positions of its haplotypes (IUPAC wobble positions
//     where the sample is reference do not count) and only top-scoring
//     diplotypes are kept. Ties are reported as ambiguous (Diplotypes lists
//     them all); the phenotype is given when all candidates agree.
//   - DPYD uses the lowest-function rule: with phased data each strand's
//     function is its lowest-function variant; with unphased data the two
//     lowest-function variant haplotypes found define the phenotype (HapB3,
//     defined by two positions, is matched before its single-position tag).
//   - For DPYD, TPMT and NUDT15 an undocumented ALT at a definition position
//     is treated as reference (PharmCAT does the same); for the other genes
//     it prevents a call.
//
// Coordinates are GRCh38 (with or without "chr"); a VCF whose header
// declares another build is rejected (Caller.CheckHeader).
//
// Remaining ambiguities: phase sets (PS) are not used (partially phased data
// is treated as unphased); structural alleles (gene deletions, CYP2D6) and
// outside calls are out of scope; when two records describe the same
// position the first carrying an ALT call wins.
//
// Limits: a call's memory and work grow with samples × allele-defining
// positions, so Call calls at most Config.MaxSamples samples (default
// 1,000; a file with more and no sample named is refused right after its
// header with a *genomics.LimitError naming MaxSamples), reads the VCF
// within Config.VCF (vcf.Limits), and stops with the context's error once
// the context is done, while reading and between samples while calling.
package pgx
