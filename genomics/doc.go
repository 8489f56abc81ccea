// Package genomics owns the genomic record types that the rest of rxlab
// shares: a biallelic small Variant with its gene, protein change, class,
// origin and zygosity; gene-level copy-number calls (CNV); gene fusions; and
// pharmacogenomic results (PgxResult).
//
// The parsers and callers live in sub-packages:
//
//   - genomics/vcf: streaming VCF 4.x reader (plain, gzip, bgzip), genotypes,
//     INFO/FORMAT access, SnpEff ANN and VEP CSQ annotations, biallelic split.
//   - genomics/maf: MAF reader (TCGA/cBioPortal) plus copy-number segment and
//     fusion tables.
//   - genomics/hgvs: HGVS protein notation parser/normalizer and consequence
//     words to VariantClass.
//   - genomics/pgx: star-allele diplotypes and CPIC phenotypes for
//     CYP2C9, CYP2C19, VKORC1, DPYD, TPMT, NUDT15 and SLCO1B1.
//   - genomics/ingest: streaming extraction of Variants, tested genes and PGx
//     results from a VCF or MAF for imports.
package genomics
