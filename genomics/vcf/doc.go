// Package vcf reads Variant Call Format 4.x files as a stream in constant
// memory: plain text, gzip and bgzip (detected by magic bytes; bgzip blocks
// are inflated on two goroutines), header meta-lines, multi-sample genotypes
// (phased, unphased, haploid, polyploid, missing), FORMAT values such as AD,
// DP and AF, INFO flags and values, and SnpEff ANN / VEP CSQ annotations.
//
// The genotype path is allocation-free: Record.Genotypes decodes the GT of
// every sample into a caller-owned []Genotype buffer.
//
// Normalisation: SplitAlleles splits a multi-allelic record into biallelic
// pairs and Trim reduces each pair to its minimal representation (shared
// trailing bases, then shared leading bases, are removed and POS advanced).
// Left-alignment of indels in repeats (bcftools norm -f ref.fa) needs the
// reference genome and is NOT done here; neither is checking REF against the
// reference. Symbolic alleles (<DEL>, <*>, breakends) are passed through
// untouched.
//
// Errors are *ParseError values that carry the 1-based line number and the
// reason and wrap errs.Invalid. The reader never panics on bad input.
//
// # Limits
//
// NewReaderContext reads within Limits (DefaultLimits for zero fields):
// 20,000 header lines, 8 MiB of header, 16 MiB a line, 100,000 sample
// columns, 50 million records, and for gzip and bgzip input at most 200
// decompressed bytes per compressed byte past the first MiB. Each is
// checked as the input arrives, before the memory it guards is taken;
// passing one stops the reader with a *genomics.LimitError naming the
// field and the line (code PAYLOAD_TOO_LARGE). The reader checks its
// context every 1,024 lines, header lines included, and stops with the
// context's error. Decompress applies the default ratio too, so the MAF
// reader gets it.
package vcf
