package cohorts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/store"
)

// DefaultDemoPatients is the size of the demo world when none is given.
const DefaultDemoPatients = 10000

// Seed generates a deterministic demo population of n patients (same n and
// seed → same patients, relative to the index date at seeding) with the
// marginals documented in demo.md, and imports the demo trials. Patient
// ids are "DEMO-" and a zero-padded number. Re-seeding replaces those
// patients.
func (s *Service) Seed(ctx context.Context, n int, seed int64) error {
	if n <= 0 || n > 50_000_000 {
		return fmt.Errorf("seed: n=%d outside 1..50000000: %w", n, store.ErrInvalid)
	}
	g := newGenerator(seed, s.indexDate())
	const chunk = 100_000
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		muts := make([]mutation, 0, end-start)
		for i := start; i < end; i++ {
			p := g.patient(i)
			muts = append(muts, mutation{id: p.ID, loc: p.ID, records: 1, fn: func(cur *Patient) error {
				*cur = *p
				return nil
			}})
		}
		res := ImportResult{}
		if err := s.importMutations(ctx, muts, &res); err != nil {
			return err
		}
		if res.Rejected > 0 {
			return fmt.Errorf("seed: generated patient rejected: %s: %s", res.Errors[0].Location, res.Errors[0].Message)
		}
	}
	for _, t := range demoTrials {
		if _, err := s.ImportTrial(ctx, t, false); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("seed: demo trial: %w", err)
		}
	}
	return nil
}

// generator draws demo patients. Each patient's draws come from its own
// PCG stream keyed by (seed, patient number), so patient i is the same
// whatever n is.
type generator struct {
	seed  uint64
	at    time.Time
	today int32
}

func newGenerator(seed int64, at time.Time) *generator {
	return &generator{seed: uint64(seed), at: at, today: dayOf(at)}
}

type weighted[T any] struct {
	w float64
	v T
}

func pick[T any](r *rand.Rand, items []weighted[T]) T {
	total := 0.0
	for _, it := range items {
		total += it.w
	}
	x := r.Float64() * total
	for _, it := range items {
		if x < it.w {
			return it.v
		}
		x -= it.w
	}
	return items[len(items)-1].v
}

// Age by decade, US Census 2020 (percent of the population).
var ageDecades = []weighted[int]{{12.0, 0}, {13.0, 1}, {13.5, 2}, {13.5, 3}, {12.5, 4}, {13.0, 5}, {12.0, 6}, {7.0, 7}, {3.0, 8}, {0.5, 9}}

// Race, US Census 2020 (race alone; "other" includes some other race and two or more races).
var races = []weighted[string]{{61.6, "white"}, {12.4, "black"}, {6.0, "asian"}, {1.1, "native"}, {0.2, "hawaiian"}, {18.7, "other"}}

type variantDef struct {
	gene, pc, chrom string
	pos             int64
	ref, alt        string
	class           genomics.VariantClass
	exon            int
}

var (
	vEGFRL858R = variantDef{"EGFR", "L858R", "7", 55191822, "T", "G", genomics.Missense, 21}
	vEGFRex19  = variantDef{"EGFR", "E746_A750del", "7", 55174772, "GGAATTAAGAGAAGCA", "G", genomics.InframeIndel, 19}
	vEGFRT790M = variantDef{"EGFR", "T790M", "7", 55181378, "C", "T", genomics.Missense, 20}
	vKRASG12C  = variantDef{"KRAS", "G12C", "12", 25245351, "C", "A", genomics.Missense, 2}
	vKRASG12D  = variantDef{"KRAS", "G12D", "12", 25245350, "C", "T", genomics.Missense, 2}
	vKRASG12V  = variantDef{"KRAS", "G12V", "12", 25245350, "C", "A", genomics.Missense, 2}
	vKRASG13D  = variantDef{"KRAS", "G13D", "12", 25245347, "C", "T", genomics.Missense, 2}
	vBRAFV600E = variantDef{"BRAF", "V600E", "7", 140753336, "A", "T", genomics.Missense, 15}
	vBRAFV600K = variantDef{"BRAF", "V600K", "7", 140753335, "CA", "TT", genomics.Missense, 15}
	vNRASQ61R  = variantDef{"NRAS", "Q61R", "1", 114713908, "T", "C", genomics.Missense, 3}
	vPIK3H1047 = variantDef{"PIK3CA", "H1047R", "3", 179234297, "A", "G", genomics.Missense, 21}
	vPIK3E545K = variantDef{"PIK3CA", "E545K", "3", 179218303, "G", "A", genomics.Missense, 10}
	vTP53R273H = variantDef{"TP53", "R273H", "17", 7673802, "C", "T", genomics.Missense, 8}
	vTP53R175H = variantDef{"TP53", "R175H", "17", 7675088, "C", "T", genomics.Missense, 5}
	vBRCA1     = variantDef{"BRCA1", "E23Vfs*17", "17", 43124027, "ACT", "A", genomics.Frameshift, 2}
	vBRCA2     = variantDef{"BRCA2", "S1982Rfs*22", "13", 32340300, "GT", "G", genomics.Frameshift, 11}
)

// The demo panel: genes a tested tumour is profiled for.
var demoPanel = []string{"ALK", "BRAF", "BRCA1", "BRCA2", "EGFR", "ERBB2", "KRAS", "MET", "NRAS", "PIK3CA", "ROS1", "TP53"}

type cancerDef struct {
	oncotree, icd10, display string
}

func (g *generator) date(r *rand.Rand, maxDaysAgo int) string {
	return dayString(g.today - int32(r.IntN(maxDaysAgo+1)))
}

func (g *generator) patient(i int) *Patient {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)*0x9E3779B97F4A7C15+1))
	p := &Patient{ID: fmt.Sprintf("DEMO-%07d", i)}
	p.Sex = "MALE"
	if r.Float64() < 0.508 {
		p.Sex = "FEMALE"
	}
	decade := pick(r, ageDecades)
	age := decade*10 + r.IntN(10)
	birth := g.at.AddDate(-age, 0, -r.IntN(365))
	p.BirthDate = birth.Format("2006-01-02")
	p.Race = pick(r, races)
	adult := age >= 18

	// Cancer: prevalence rising with age (demo world, enriched about 2x over
	// US cancer-survivor prevalence so trials find patients).
	if age >= 25 && r.Float64() < 0.01+0.0025*float64(age-25) {
		g.cancer(r, p)
	}
	// Atrial fibrillation (Go et al., JAMA 2001: 0.1% <55 up to 9% >=80).
	afP := 0.001
	switch {
	case age >= 80:
		afP = 0.09
	case age >= 70:
		afP = 0.05
	case age >= 60:
		afP = 0.02
	case age >= 55:
		afP = 0.007
	}
	anticoag := false
	if r.Float64() < afP {
		p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "I48.91", Display: "Unspecified atrial fibrillation", Date: g.date(r, 3000)})
		anticoag = r.Float64() < 0.6 // ~60% of AF patients on oral anticoagulation
	}
	// Venous thromboembolism: lifetime ~1-2%, rising with age.
	if adult && r.Float64() < 0.004+0.0003*float64(max(0, age-40)) {
		if r.Float64() < 0.65 {
			p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "I82.409", Display: "Acute embolism and thrombosis of unspecified deep veins of unspecified lower extremity", Date: g.date(r, 1500)})
		} else {
			p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "I26.99", Display: "Other pulmonary embolism without acute cor pulmonale", Date: g.date(r, 1500)})
		}
		anticoag = anticoag || r.Float64() < 0.9
	}
	warfarin := false
	if anticoag {
		d := g.date(r, 700)
		switch pick(r, []weighted[int]{{45, 0}, {25, 1}, {30, 2}}) {
		case 0:
			p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "1364430", Display: "apixaban", Date: d}, ClinicalCode{System: SysATC, Code: "B01AF02", Display: "apixaban", Date: d})
		case 1:
			p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "1114195", Display: "rivaroxaban", Date: d}, ClinicalCode{System: SysATC, Code: "B01AF01", Display: "rivaroxaban", Date: d})
		default:
			warfarin = true
			p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "11289", Display: "warfarin", Date: d}, ClinicalCode{System: SysATC, Code: "B01AA03", Display: "warfarin", Date: d})
		}
	}
	if adult && r.Float64() < 0.03 {
		d := g.date(r, 700)
		p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "32968", Display: "clopidogrel", Date: d}, ClinicalCode{System: SysATC, Code: "B01AC04", Display: "clopidogrel", Date: d})
	}
	// Labs: most adults have a recent panel.
	if adult && r.Float64() < 0.7 {
		g.labs(r, p, age, warfarin)
	}
	// Pharmacogenomics: a pre-emptive PGx panel for ~30% of adults.
	if adult && r.Float64() < 0.3 {
		g.pgx(r, p)
	}
	g.extras(i, p, age)
	return p
}

// extras adds what the demo world gained with the vocabulary (issue 23):
// type 2 diabetes with metformin, osimertinib for EGFR-mutant NSCLC, and
// older eGFR results by MDRD. Its draws come from a second stream keyed
// by (seed, patient number), so every earlier field of a patient is the
// same as before it existed.
func (g *generator) extras(i int, p *Patient, age int) {
	r := rand.New(rand.NewPCG(g.seed^0x5EED0F0CAB, uint64(i)*0xBF58476D1CE4E5B9+7))
	// Diagnosed diabetes by age (CDC National Diabetes Statistics Report,
	// 2021: about 3% at 18-44, 14% at 45-64, 21% at 65+), ~95% type 2.
	t2dm := 0.0
	switch {
	case age >= 65:
		t2dm = 0.20
	case age >= 45:
		t2dm = 0.13
	case age >= 18:
		t2dm = 0.028
	}
	if r.Float64() < t2dm {
		code, display := "E11.9", "Type 2 diabetes mellitus without complications"
		switch {
		case hasCondition(p, "N18"):
			code, display = "E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease"
		case r.Float64() < 0.1:
			code, display = "E11.65", "Type 2 diabetes mellitus with hyperglycemia"
		}
		p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: code, Display: display, Date: g.date(r, 3000)})
		if r.Float64() < 0.6 { // metformin first line (ADA Standards of Care); a product code, as EHRs record
			d := g.date(r, 700)
			p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "860975", Display: "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", Date: d},
				ClinicalCode{System: SysATC, Code: "A10BA02", Display: "metformin", Date: d})
		}
	}
	// Osimertinib: first-line standard for EGFR exon 19 deletion or L858R
	// NSCLC since FLAURA (Soria 2018); ~70% of those patients.
	for _, v := range p.Variants {
		if v.Gene == "EGFR" && (v.ProteinChange == "L858R" || v.ProteinChange == "E746_A750del") && v.Origin == "SOMATIC" {
			if r.Float64() < 0.7 {
				d := g.date(r, 700)
				p.Medications = append(p.Medications, ClinicalCode{System: SysRxNorm, Code: "1721581", Display: "osimertinib 80 MG Oral Tablet", Date: d},
					ClinicalCode{System: SysATC, Code: "L01EB04", Display: "osimertinib", Date: d})
			}
			break
		}
	}
	// eGFR by MDRD (33914-3) before labs moved to CKD-EPI: 30% of patients
	// with a CKD-EPI 2021 result have one older MDRD result (1-4 years
	// before the earliest CKD-EPI one), so the most recent eGFR is still
	// the CKD-EPI value.
	first := ""
	var v0 float64
	for _, l := range p.Labs {
		if l.Loinc == "98979-8" && (first == "" || l.Date < first) {
			first, v0 = l.Date, l.Value
		}
	}
	if d, ok := parseDay(first); ok && r.Float64() < 0.3 {
		p.Labs = append([]LabValue{{Loinc: "33914-3", Value: round1(math.Max(4, v0+5*r.NormFloat64())), Unit: "mL/min/{1.73_m2}",
			Date: dayString(d - 365 - int32(r.IntN(3*365)))}}, p.Labs...)
	}
}

func hasCondition(p *Patient, prefix string) bool {
	for _, c := range p.Conditions {
		if len(c.Code) >= len(prefix) && c.Code[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

func (g *generator) addVariant(p *Patient, v variantDef, origin genomics.Origin, zyg string) {
	p.Variants = append(p.Variants, Variant{Variant: genomics.Variant{Gene: v.gene, Chrom: v.chrom, Pos: v.pos, Ref: v.ref, Alt: v.alt,
		ProteinChange: v.pc, Class: v.class, Origin: origin, Zygosity: zyg}, Exon: v.exon})
}

func (g *generator) cancer(r *rand.Rand, p *Patient) {
	kinds := []weighted[string]{{20, "lung"}, {15, "crc"}, {10, "melanoma"}, {6, "pancreas"}}
	if p.Sex == "FEMALE" {
		kinds = append(kinds, weighted[string]{32, "breast"})
	} else {
		kinds = append(kinds, weighted[string]{20, "prostate"})
	}
	kind := pick(r, kinds)
	date := g.date(r, 1800)
	addDx := func(c cancerDef) {
		p.Conditions = append(p.Conditions,
			ClinicalCode{System: SysICD10, Code: c.icd10, Display: c.display, Date: date},
			ClinicalCode{System: SysOncotree, Code: c.oncotree, Display: c.display, Date: date})
	}
	tested := r.Float64() < 0.65 // share of cancer patients with tumour profiling
	var alts []variantDef
	switch kind {
	case "lung":
		sub := pick(r, []weighted[cancerDef]{{51, cancerDef{"LUAD", "C34.90", "Lung adenocarcinoma"}}, {21, cancerDef{"LUSC", "C34.90", "Lung squamous cell carcinoma"}}, {13, cancerDef{"NSCLC", "C34.90", "Non-small cell lung cancer"}}, {15, cancerDef{"SCLC", "C34.90", "Small cell lung cancer"}}})
		addDx(sub)
		if sub.oncotree != "SCLC" && tested {
			// NSCLC drivers (US, AACR GENIE / Lindeman 2018): EGFR ~15% of
			// adenocarcinoma (L858R ~40%, exon 19 deletions ~45%), KRAS G12C
			// ~13%, ALK fusions ~5%.
			x := r.Float64()
			egfr := 0.15
			if sub.oncotree == "LUSC" {
				egfr = 0.02
			}
			switch {
			case x < egfr*0.45:
				alts = append(alts, vEGFRex19)
			case x < egfr*0.85:
				alts = append(alts, vEGFRL858R)
			case x < egfr*0.85+0.13:
				alts = append(alts, vKRASG12C)
			case x < egfr*0.85+0.13+0.05:
				p.Fusions = append(p.Fusions, genomics.Fusion{Gene: "ALK", Partner: "EML4"})
			}
			if len(alts) > 0 && alts[0].gene == "EGFR" && r.Float64() < 0.05 {
				alts = append(alts, vEGFRT790M)
			}
		}
	case "crc":
		addDx(pick(r, []weighted[cancerDef]{{70, cancerDef{"COAD", "C18.9", "Colon adenocarcinoma"}}, {30, cancerDef{"READ", "C20", "Rectal adenocarcinoma"}}}))
		if tested {
			// TCGA 2012: KRAS ~40% (G12D, G12V, G13D, G12C), BRAF V600E ~9%;
			// MSI-high ~15% (Vilar & Gruber 2010).
			x := r.Float64()
			switch {
			case x < 0.13:
				alts = append(alts, vKRASG12D)
			case x < 0.22:
				alts = append(alts, vKRASG12V)
			case x < 0.29:
				alts = append(alts, vKRASG13D)
			case x < 0.32:
				alts = append(alts, vKRASG12C)
			case x < 0.41:
				alts = append(alts, vBRAFV600E)
			}
			mmr := "PROFICIENT"
			if r.Float64() < 0.15 {
				mmr = "DEFICIENT"
			}
			p.Biomarkers = append(p.Biomarkers, Biomarker{Name: "MMR", Value: mmr})
		}
	case "melanoma":
		addDx(cancerDef{"SKCM", "C43.9", "Cutaneous melanoma"})
		if tested {
			// TCGA 2015: BRAF V600 ~50% (V600E ~85% of those), NRAS Q61 ~20%.
			x := r.Float64()
			switch {
			case x < 0.42:
				alts = append(alts, vBRAFV600E)
			case x < 0.50:
				alts = append(alts, vBRAFV600K)
			case x < 0.70:
				alts = append(alts, vNRASQ61R)
			}
		}
	case "breast":
		addDx(pick(r, []weighted[cancerDef]{{85, cancerDef{"IDC", "C50.919", "Breast invasive ductal carcinoma"}}, {15, cancerDef{"ILC", "C50.919", "Breast invasive lobular carcinoma"}}}))
		if tested {
			// HER2 amplification ~15% (ASCO/CAP 2018); PIK3CA ~35% mutated,
			// H1047R ~40% and E545K ~20% of those (TCGA 2012).
			if r.Float64() < 0.15 {
				p.CNVs = append(p.CNVs, genomics.CNV{Gene: "ERBB2", Type: genomics.Amplification})
			}
			x := r.Float64()
			switch {
			case x < 0.14:
				alts = append(alts, vPIK3H1047)
			case x < 0.21:
				alts = append(alts, vPIK3E545K)
			}
			// Germline BRCA1 ~2%, BRCA2 ~2.5% of breast cancer patients (Couch 2015).
			y := r.Float64()
			switch {
			case y < 0.02:
				g.addVariant(p, vBRCA1, genomics.Germline, "heterozygous")
			case y < 0.045:
				g.addVariant(p, vBRCA2, genomics.Germline, "heterozygous")
			}
		}
	case "prostate":
		addDx(cancerDef{"PRAD", "C61", "Prostate adenocarcinoma"})
		if tested && r.Float64() < 0.06 {
			g.addVariant(p, vBRCA2, genomics.Germline, "heterozygous")
		}
	case "pancreas":
		addDx(cancerDef{"PAAD", "C25.9", "Pancreatic adenocarcinoma"})
		if tested && r.Float64() < 0.9 {
			alts = append(alts, pick(r, []weighted[variantDef]{{45, vKRASG12D}, {35, vKRASG12V}, {2, vKRASG12C}}))
		}
	}
	if !tested {
		return
	}
	p.TestedGenes = append(p.TestedGenes, demoPanel...)
	if r.Float64() < 0.4 { // TP53, the commonest passenger/driver across cancers
		alts = append(alts, pick(r, []weighted[variantDef]{{50, vTP53R273H}, {50, vTP53R175H}}))
	}
	for _, a := range alts {
		g.addVariant(p, a, genomics.Somatic, "")
	}
	tmb := math.Exp(1.4 + 0.9*r.NormFloat64()) // median ~4 mut/Mb
	for _, b := range p.Biomarkers {
		if b.Value == "DEFICIENT" {
			tmb *= 8
		}
	}
	p.Labs = append(p.Labs, LabValue{Loinc: loincTMB, Value: round1(tmb), Unit: "/mb", Date: g.date(r, 700)})
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func (g *generator) labs(r *rand.Rand, p *Patient, age int, warfarin bool) {
	// eGFR (CKD-EPI 2021, LOINC 98979-8): CKD stages by age (CDC CKD
	// surveillance: ~14% of adults, mostly stage 1-3).
	egfr := 105 - 0.7*float64(max(0, age-20)) + 12*r.NormFloat64()
	if r.Float64() < 0.07+0.002*float64(max(0, age-40)) {
		egfr = pick(r, []weighted[float64]{{60, 52}, {25, 37}, {10, 22}, {5, 10}}) + 6*r.NormFloat64()
	}
	egfr = math.Max(4, round1(egfr))
	days := 720
	for k := 0; k < 1+r.IntN(3); k++ {
		p.Labs = append(p.Labs, LabValue{Loinc: "98979-8", Value: round1(egfr + 4*r.NormFloat64()), Unit: "mL/min/{1.73_m2}", Date: g.date(r, days)})
	}
	switch {
	case egfr < 15:
		p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "N18.5", Display: "Chronic kidney disease, stage 5", Date: g.date(r, 2000)})
	case egfr < 30:
		p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "N18.4", Display: "Chronic kidney disease, stage 4", Date: g.date(r, 2000)})
	case egfr < 60:
		p.Conditions = append(p.Conditions, ClinicalCode{System: SysICD10, Code: "N18.30", Display: "Chronic kidney disease, stage 3 unspecified", Date: g.date(r, 2000)})
	}
	// ANC (751-8), 10*3/uL: lognormal around 4; some reported as cells/uL.
	anc := math.Exp(math.Log(4.0) + 0.35*r.NormFloat64())
	if r.Float64() < 0.1 {
		p.Labs = append(p.Labs, LabValue{Loinc: "751-8", Value: math.Round(anc * 1000), Unit: "/uL", Date: g.date(r, days)})
	} else {
		p.Labs = append(p.Labs, LabValue{Loinc: "751-8", Value: round1(anc), Unit: "10*3/uL", Date: g.date(r, days)})
	}
	// Total bilirubin (1975-2): mg/dL around 0.6; 20% reported in umol/L.
	bili := math.Exp(math.Log(0.6) + 0.4*r.NormFloat64())
	if r.Float64() < 0.2 {
		p.Labs = append(p.Labs, LabValue{Loinc: "1975-2", Value: math.Round(bili * 17.1), Unit: "umol/L", Date: g.date(r, days)})
	} else {
		p.Labs = append(p.Labs, LabValue{Loinc: "1975-2", Value: round1(bili), Unit: "mg/dL", Date: g.date(r, days)})
	}
	// ALT (1742-6), U/L: lognormal median 22.
	p.Labs = append(p.Labs, LabValue{Loinc: "1742-6", Value: math.Round(math.Exp(math.Log(22) + 0.45*r.NormFloat64())), Unit: "U/L", Date: g.date(r, days)})
	// INR (6301-6): ~1.0, 2-3 on warfarin.
	inr := 1.0 + 0.08*r.NormFloat64()
	if warfarin {
		inr = 2.5 + 0.5*r.NormFloat64()
	}
	p.Labs = append(p.Labs, LabValue{Loinc: "6301-6", Value: math.Max(0.8, round1(inr)), Unit: "{INR}", Date: g.date(r, days)})
}

// PGx allele frequencies by ancestry group (CPIC allele frequency tables;
// "other" races use the European table).
type alleleFreq struct {
	allele string
	f      float64
}

var (
	cyp2c19Freq = map[string][]alleleFreq{
		"white": {{"*1", 0.627}, {"*2", 0.147}, {"*3", 0.002}, {"*17", 0.216}},
		"black": {{"*1", 0.62}, {"*2", 0.17}, {"*3", 0.004}, {"*17", 0.20}},
		"asian": {{"*1", 0.59}, {"*2", 0.29}, {"*3", 0.09}, {"*17", 0.03}},
	}
	cyp2c9Freq = map[string][]alleleFreq{
		"white": {{"*1", 0.795}, {"*2", 0.127}, {"*3", 0.076}, {"*8", 0.002}},
		"black": {{"*1", 0.90}, {"*2", 0.024}, {"*3", 0.014}, {"*8", 0.062}},
		"asian": {{"*1", 0.965}, {"*2", 0.001}, {"*3", 0.034}, {"*8", 0.0}},
	}
	// VKORC1 rs9923231 A allele (c.-1639G>A).
	vkorc1A = map[string]float64{"white": 0.39, "black": 0.11, "asian": 0.88}
	// DPYD: c.1905+1G>A (*2A, no function), c.1679T>G (*13, no function),
	// c.2846A>T and HapB3 (decreased function); other alleles normal.
	dpydFreq = []alleleFreq{{"c.1905+1G>A", 0.005}, {"c.1679T>G", 0.001}, {"c.2846A>T", 0.004}, {"c.1129-5923C>G", 0.024}}
)

func drawAllele(r *rand.Rand, fs []alleleFreq) string {
	x := r.Float64()
	for _, a := range fs {
		if x < a.f {
			return a.allele
		}
		x -= a.f
	}
	return fs[0].allele
}

func freqTable(m map[string][]alleleFreq, race string) []alleleFreq {
	if t, ok := m[race]; ok {
		return t
	}
	return m["white"]
}

func (g *generator) pgx(r *rand.Rand, p *Patient) {
	// CYP2C19 (CPIC 2022 phenotype assignment).
	a, b := drawAllele(r, freqTable(cyp2c19Freq, p.Race)), drawAllele(r, freqTable(cyp2c19Freq, p.Race))
	dip := normDiplotype(a + "/" + b)
	nf := 0 // no-function alleles
	inc := 0
	for _, x := range []string{a, b} {
		switch x {
		case "*2", "*3":
			nf++
		case "*17":
			inc++
		}
	}
	ph := "Normal Metabolizer"
	switch {
	case nf == 2:
		ph = "Poor Metabolizer"
	case nf == 1:
		ph = "Intermediate Metabolizer"
	case inc == 2:
		ph = "Ultrarapid Metabolizer"
	case inc == 1:
		ph = "Rapid Metabolizer"
	}
	p.Pgx = append(p.Pgx, genomics.PgxResult{Gene: "CYP2C19", Diplotype: dip, Phenotype: ph, MissingPositions: []string{}})
	// CYP2C9 activity score: *1 1, *2 0.5, *3 0, *8 0.5.
	as := map[string]float64{"*1": 1, "*2": 0.5, "*3": 0, "*8": 0.5}
	a, b = drawAllele(r, freqTable(cyp2c9Freq, p.Race)), drawAllele(r, freqTable(cyp2c9Freq, p.Race))
	score := as[a] + as[b]
	ph = "Normal Metabolizer"
	switch {
	case score <= 0.5:
		ph = "Poor Metabolizer"
	case score <= 1.5:
		ph = "Intermediate Metabolizer"
	}
	p.Pgx = append(p.Pgx, genomics.PgxResult{Gene: "CYP2C9", Diplotype: normDiplotype(a + "/" + b), Phenotype: ph,
		ActivityScore: strconv.FormatFloat(score, 'f', -1, 64), MissingPositions: []string{}})
	// VKORC1 rs9923231 genotype.
	fa, ok := vkorc1A[p.Race]
	if !ok {
		fa = vkorc1A["white"]
	}
	gt := ""
	for k := 0; k < 2; k++ {
		if r.Float64() < fa {
			gt += "A"
		} else {
			gt += "G"
		}
	}
	if gt == "AG" {
		gt = "GA"
	}
	p.Pgx = append(p.Pgx, genomics.PgxResult{Gene: "VKORC1", Phenotype: gt[:1] + "/" + gt[1:], MissingPositions: []string{}})
	// DPYD activity score: no function 0, decreased 0.5, normal 1 per allele.
	dval := map[string]float64{"c.1905+1G>A": 0, "c.1679T>G": 0, "c.2846A>T": 0.5, "c.1129-5923C>G": 0.5}
	ds := 0.0
	var alleles []string
	for k := 0; k < 2; k++ {
		x := r.Float64()
		al := "Reference"
		for _, f := range dpydFreq {
			if x < f.f {
				al = f.allele
				break
			}
			x -= f.f
		}
		alleles = append(alleles, al)
		if v, ok := dval[al]; ok {
			ds += v
		} else {
			ds++
		}
	}
	ph = "Normal Metabolizer"
	switch {
	case ds <= 0.5:
		ph = "Poor Metabolizer"
	case ds <= 1.5:
		ph = "Intermediate Metabolizer"
	}
	p.Pgx = append(p.Pgx, genomics.PgxResult{Gene: "DPYD", Diplotype: alleles[0] + "/" + alleles[1], Phenotype: ph,
		ActivityScore: strconv.FormatFloat(ds, 'f', -1, 64), MissingPositions: []string{}})
	p.TestedGenes = append(p.TestedGenes, "CYP2C19", "CYP2C9", "VKORC1", "DPYD")
}
