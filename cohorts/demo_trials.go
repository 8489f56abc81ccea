package cohorts

// demoTrials are CTML trials modelled on real designs (eligibility reduced
// to what the demo world records). They are rxlab's own CTML, not copies of
// MatchMiner's curated files.
var demoTrials = []string{
	// CodeBreaK 200 (NCT04303780): sotorasib vs docetaxel, KRAS G12C NSCLC.
	`protocol_no: DEMO-KRAS-G12C
nct_id: NCT04303780
short_title: Sotorasib vs docetaxel in KRAS p.G12C NSCLC (modelled on CodeBreaK 200)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: SOTORASIB
      arm_description: Sotorasib 960 mg daily
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Non-Small Cell Lung Cancer}
        - genomic: {hugo_symbol: KRAS, variant_category: Mutation, protein_change: p.G12C}
`,
	// FLAURA (NCT02296125): osimertinib first line, EGFR exon 19 deletion or L858R.
	`protocol_no: DEMO-EGFR
nct_id: NCT02296125
short_title: Osimertinib in EGFR-mutant NSCLC (modelled on FLAURA)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: OSIMERTINIB
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Non-Small Cell Lung Cancer}
        - or:
          - genomic: {hugo_symbol: EGFR, variant_category: Mutation, protein_change: p.L858R}
          - genomic: {hugo_symbol: EGFR, variant_category: Mutation, exon: 19, variant_classification: In_Frame_Del}
        - genomic: {hugo_symbol: EGFR, variant_category: '!Mutation', protein_change: p.T790M}
`,
	// ALEX (NCT02075840): alectinib, ALK-rearranged NSCLC.
	`protocol_no: DEMO-ALK
nct_id: NCT02075840
short_title: Alectinib in ALK-positive NSCLC (modelled on ALEX)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: ALECTINIB
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Non-Small Cell Lung Cancer}
        - genomic: {hugo_symbol: ALK, variant_category: Structural Variation}
`,
	// BEACON CRC (NCT02928224): encorafenib + cetuximab, BRAF V600E colorectal.
	`protocol_no: DEMO-BRAF-CRC
nct_id: NCT02928224
short_title: Encorafenib plus cetuximab in BRAF V600E colorectal cancer (modelled on BEACON CRC)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: DOUBLET
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Colorectal Adenocarcinoma}
        - genomic: {hugo_symbol: BRAF, variant_category: Mutation, protein_change: p.V600E}
`,
	// KEYNOTE-177 (NCT02563002): pembrolizumab in MSI-H/dMMR colorectal cancer.
	`protocol_no: DEMO-MSI-CRC
nct_id: NCT02563002
short_title: Pembrolizumab in MSI-H/dMMR colorectal cancer (modelled on KEYNOTE-177)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    match:
    - and:
      - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Colorectal Adenocarcinoma}
      - genomic: {hugo_symbol: None, mmr_status: MMR-Deficient}
    arm:
    - arm_code: PEMBROLIZUMAB
      arm_suspended: N
`,
	// SOLAR-1 (NCT02437318) and OlympiAD (NCT02000622): breast cancer arms.
	`protocol_no: DEMO-BREAST
short_title: Targeted therapy in breast cancer by PIK3CA or germline BRCA status (modelled on SOLAR-1 and OlympiAD)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: ALPELISIB
      arm_description: PIK3CA-mutant (SOLAR-1, NCT02437318)
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Invasive Breast Carcinoma}
        - or:
          - genomic: {hugo_symbol: PIK3CA, variant_category: Mutation, protein_change: p.H1047R}
          - genomic: {hugo_symbol: PIK3CA, variant_category: Mutation, protein_change: p.E545K}
    - arm_code: OLAPARIB
      arm_description: germline BRCA1/2 (OlympiAD, NCT02000622)
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Invasive Breast Carcinoma}
        - or:
          - genomic: {hugo_symbol: BRCA1, variant_category: Mutation}
          - genomic: {hugo_symbol: BRCA2, variant_category: Mutation}
    - arm_code: TRASTUZUMAB-DERUXTECAN
      arm_description: ERBB2-amplified (DESTINY-Breast03, NCT03529110)
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Invasive Breast Carcinoma}
        - genomic: {hugo_symbol: ERBB2, variant_category: Copy Number Variation, cnv_call: High Amplification}
`,
	// COMBI-v (NCT01597908): dabrafenib + trametinib, BRAF V600E/K melanoma.
	`protocol_no: DEMO-BRAF-MEL
nct_id: NCT01597908
short_title: Dabrafenib plus trametinib in BRAF V600 melanoma (modelled on COMBI-v)
status: Open to Accrual
treatment_list:
  step:
  - step_code: '1'
    arm:
    - arm_code: COMBI
      arm_suspended: N
      match:
      - and:
        - clinical: {age_numerical: '>=18', oncotree_primary_diagnosis: Melanoma}
        - genomic: {hugo_symbol: BRAF, variant_category: Mutation, wildcard_protein_change: p.V600}
`,
}
