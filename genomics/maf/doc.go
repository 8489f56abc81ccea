// Package maf reads Mutation Annotation Format files (TCGA / GDC /
// cBioPortal / maftools flavours) as a stream: columns are found by header
// name (case-insensitive), '#' comment lines are skipped, and lines may end
// in LF, CRLF or a lone CR (old Mac files). Gzip input is detected by its
// magic bytes.
//
// It also reads the tab-separated copy-number segment tables (Chromosome,
// Start, End, nMajor, nMinor) and fusion tables (FusionGene "A--B",
// LeftBreakpoint, RightBreakpoint, SplitReads) that accompany the TCGA
// examples, and turns them into genomics.CNV and genomics.Fusion values.
//
// MAF indels keep MAF's own allele notation ("-" for the empty allele, no
// anchor base): converting them to VCF style needs the reference genome.
package maf
