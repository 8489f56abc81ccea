// Package ingest turns genomic files into the records rxlab stores, as a
// stream in constant memory: per-sample genomics.Variant values (non-
// reference genotypes only, with zygosity and the gene, protein change and
// class from SnpEff ANN / VEP CSQ when present), the genes the file tested,
// and pharmacogenomic calls — for VCF — and per-tumour-sample variants for
// MAF. Storage, HTTP and GraphQL wiring belong to the callers.
package ingest
