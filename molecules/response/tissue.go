package response

import (
	"strings"

	"github.com/rxlab/rxlab/cohorts"
)

// tissuePrefix starts the names of the GDSC models' tissue features
// ("tissue:<GDSC TISSUE_FACTOR>").
const tissuePrefix = "tissue:"

// icd10Tissue maps ICD-10-CM categories (3 characters) to GDSC's
// TISSUE_FACTOR values. Lung cancer without a histology (C34) maps to
// non-small-cell, which is about 85 % of lung cancers; a SNOMED or OncoTree
// small-cell diagnosis overrides it.
var icd10Tissue = func() map[string]string {
	m := map[string]string{}
	span := func(from, to int, t string) {
		for i := from; i <= to; i++ {
			m[cat(i)] = t
		}
	}
	span(0, 14, "aero_dig_tract") // lip, oral cavity, pharynx
	span(15, 15, "aero_dig_tract")
	span(30, 32, "aero_dig_tract") // nasal cavity, sinuses, larynx
	span(16, 16, "stomach")
	span(18, 20, "large_intestine")
	span(22, 22, "liver")
	span(23, 24, "biliary_tract")
	span(25, 25, "pancreas")
	span(34, 34, "lung_NSCLC")
	span(40, 41, "bone")
	span(43, 43, "skin")
	span(45, 49, "soft_tissue")
	span(50, 50, "breast")
	span(53, 53, "cervix")
	span(54, 54, "endometrium")
	span(56, 56, "ovary")
	span(61, 61, "prostate")
	span(62, 62, "testis")
	span(64, 65, "kidney")
	span(67, 67, "Bladder")
	span(70, 72, "nervous_system")
	span(73, 73, "thyroid")
	span(74, 74, "neuroblastoma")
	span(81, 86, "lymphoma")
	span(88, 88, "lymphoma")
	span(90, 90, "myeloma")
	span(91, 95, "leukemia")
	return m
}()

func cat(i int) string {
	return "C" + string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// oncotreeTissue maps OncoTree codes to GDSC tissues.
var oncotreeTissue = map[string]string{
	"LUNG": "lung_NSCLC", "NSCLC": "lung_NSCLC", "LUAD": "lung_NSCLC", "LUSC": "lung_NSCLC", "LCLC": "lung_NSCLC",
	"SCLC": "lung_SCLC", "BOWEL": "large_intestine", "COADREAD": "large_intestine", "COAD": "large_intestine",
	"READ": "large_intestine", "BREAST": "breast", "BRCA": "breast", "IDC": "breast", "ILC": "breast",
	"SKIN": "skin", "MEL": "skin", "SKCM": "skin", "BRAIN": "nervous_system", "DIFG": "nervous_system",
	"GB": "nervous_system", "GBM": "nervous_system", "PANCREAS": "pancreas", "PAAD": "pancreas",
	"OVARY": "ovary", "HGSOC": "ovary", "PROSTATE": "prostate", "PRAD": "prostate", "KIDNEY": "kidney",
	"CCRCC": "kidney", "STOMACH": "stomach", "STAD": "stomach", "LIVER": "liver", "HCC": "liver",
	"THYROID": "thyroid", "BLADDER": "Bladder", "BLCA": "Bladder", "MM": "myeloma", "AML": "leukemia",
	"CLL": "leukemia", "ALL": "leukemia", "CML": "leukemia", "DLBCL": "lymphoma", "NBL": "neuroblastoma",
}

// snomedTissue maps the SNOMED CT concepts the demo world uses for lung histology.
var snomedTissue = map[string]string{
	"254637007": "lung_NSCLC", "424132000": "lung_NSCLC", "254632001": "lung_SCLC",
}

// patientTissue returns the GDSC tissue of the patient's cancer: an
// OncoTree or SNOMED diagnosis wins over an ICD-10-CM category (it is more
// specific); among equals the first recorded condition wins. Empty when no
// condition maps.
func patientTissue(p *cohorts.Patient) string {
	var icd string
	for _, c := range p.Conditions {
		code := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c.Code), ".", ""))
		switch strings.ToUpper(c.System) {
		case cohorts.SysOncotree:
			if t, ok := oncotreeTissue[code]; ok {
				return t
			}
		case cohorts.SysSNOMED:
			if t, ok := snomedTissue[code]; ok {
				return t
			}
		case cohorts.SysICD10:
			if len(code) >= 3 && icd == "" {
				icd = icd10Tissue[code[:3]]
			}
		}
	}
	return icd
}
