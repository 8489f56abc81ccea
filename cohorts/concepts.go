package cohorts

import (
	"context"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/rxlab/rxlab/cohorts/vocab"
)

// ConceptHit is one concept of a concept search: the vocabulary's
// concept, its parents, and the criteria whose count is the number of
// stored patients carrying it or a concept below it (a condition for
// ICD-10-CM, SNOMED CT and OncoTree; a medication for RxNorm; any value of
// the test, under any LOINC code of its group, for LOINC).
type ConceptHit struct {
	System   string
	Code     string
	Display  string
	Parents  []ConceptHit
	Criteria Criteria
}

// lowestValue is the bound of "any value" for a LOINC concept's count.
const lowestValue = -math.MaxFloat64

// SearchConcepts finds concepts by code or words of their name (package
// vocab: at most vocab.MaxQueryChars characters and vocab.MaxQueryTerms
// words; first at most vocab.MaxFirst), optionally in one system. Errors
// wrap store.ErrInvalid and name the limit.
func (s *Service) SearchConcepts(ctx context.Context, query, system string, first int) ([]ConceptHit, error) {
	q, err := vocab.ParseQuery(query, system)
	if err != nil {
		return nil, err
	}
	cs, err := vocabulary.Search(ctx, q, first)
	if err != nil {
		return nil, err
	}
	out := make([]ConceptHit, 0, len(cs))
	for _, c := range cs {
		h := hitOf(c)
		for _, p := range vocabulary.Parents(c.System, c.Code) {
			h.Parents = append(h.Parents, hitOf(p))
		}
		if h.Parents == nil {
			h.Parents = []ConceptHit{}
		}
		out = append(out, h)
	}
	return out, nil
}

func hitOf(c *vocab.Concept) ConceptHit {
	h := ConceptHit{System: c.System, Code: c.Code, Display: c.Display}
	// Spelled as the API's CodeInput arrives (descendants defaults to true),
	// so the criteria's JSON is the same question as cohortCount's.
	desc := true
	switch c.System {
	case vocab.RXNORM:
		h.Criteria = Criteria{Medication: &Code{System: c.System, Code: c.Code, Descendants: &desc}}
	case vocab.LOINC:
		h.Criteria = Criteria{Lab: &Lab{Loinc: c.Code, Op: "GE", Value: lowestValue}}
	default:
		h.Criteria = Criteria{Condition: &Code{System: c.System, Code: c.Code, Descendants: &desc}}
	}
	return h
}

// ConceptCount is the exact number of stored patients meeting a concept's
// criteria (ConceptHit.Criteria), as a CohortCount with the count only (no
// attrition or breakdown): the API releases it to roles without
// patients:read through the same disclosure layer as cohortCount.
func (s *Service) ConceptCount(ctx context.Context, c Criteria) (CohortCount, error) {
	e, err := s.prepare(ctx, &c, nil)
	if err != nil {
		return CohortCount{}, err
	}
	var b *roaring.Bitmap
	if b, err = e.eval(&c); err != nil {
		return CohortCount{}, err
	}
	n := int(b.GetCardinality())
	return CohortCount{Count: &n, Display: strconv.Itoa(n), Attrition: []AttritionStep{}, Breakdown: []BreakdownCell{}}, nil
}
