package cohorts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rxlab/rxlab/store"
	"gopkg.in/yaml.v3"
)

// MaxTrialsPerFile bounds the trials one CTML file may hold.
const MaxTrialsPerFile = 1000

func trialVersionKey(id string, v int) []byte {
	return []byte(fmt.Sprintf("idx/trialv/%s/%08d", id, v))
}

// splitCTML decodes a CTML file into its trials: one mapping, a list of
// mappings (JSON array or YAML sequence), several JSON values one after
// the other, or a multi-document YAML stream.
func splitCTML(text string) ([]any, error) {
	if len(text) > maxCTMLBytes {
		return nil, fmt.Errorf("ctml: %d bytes, more than %d: %w", len(text), maxCTMLBytes, store.ErrInvalid)
	}
	var docs []any
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		jd := json.NewDecoder(strings.NewReader(t))
		for i := 0; ; i++ {
			var rawv json.RawMessage
			err := jd.Decode(&rawv)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("ctml: JSON value %d: %v: %w", i+1, err, store.ErrInvalid)
			}
			// JSON is YAML: decoding through yaml gives the same value
			// types as a YAML file (int, float64, string).
			var v any
			if err := yaml.Unmarshal(rawv, &v); err != nil {
				return nil, fmt.Errorf("ctml: JSON value %d: %v: %w", i+1, err, store.ErrInvalid)
			}
			if docs, err = appendDoc(docs, v); err != nil {
				return nil, err
			}
		}
	} else {
		dec := yaml.NewDecoder(strings.NewReader(text))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("ctml: YAML document %d: %v: %w", i+1, err, store.ErrInvalid)
			}
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("ctml: YAML document %d: %v: %w", i+1, err, store.ErrInvalid)
			}
			if v == nil {
				continue // an empty document between separators
			}
			if docs, err = appendDoc(docs, v); err != nil {
				return nil, err
			}
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("ctml: no trial in the file: %w", store.ErrInvalid)
	}
	return docs, nil
}

func appendDoc(docs []any, v any) ([]any, error) {
	if l, ok := v.([]any); ok {
		docs = append(docs, l...)
	} else {
		docs = append(docs, v)
	}
	if len(docs) > MaxTrialsPerFile {
		return nil, fmt.Errorf("ctml: more than %d trials in one file (MaxTrialsPerFile): %w", MaxTrialsPerFile, store.ErrInvalid)
	}
	return docs, nil
}

// ParseCTMLFile reads every trial of a CTML file. The file-level error is
// for input that is not CTML at all; per-trial errors sit in errs[i].
func ParseCTMLFile(text string) (trials []*Trial, errs []error, err error) {
	docs, err := splitCTML(text)
	if err != nil {
		return nil, nil, err
	}
	trials = make([]*Trial, len(docs))
	errs = make([]error, len(docs))
	for i, d := range docs {
		root := "ctml"
		if len(docs) > 1 {
			root = fmt.Sprintf("ctml[%d]", i)
		}
		trials[i], errs[i] = trialFromCTML(root, d)
	}
	return trials, errs, nil
}

// TrialImport is the outcome for one trial of a CTML file.
type TrialImport struct {
	// Index is the trial's position in the file (0-based).
	Index int
	// ProtocolNo is the trial's protocol_no when it could be read.
	ProtocolNo string
	// Trial is the stored version when Stored.
	Trial *Trial
	// Stored says whether this trial was written.
	Stored bool
	// Replaced is the version this import superseded (0: a new trial).
	Replaced int
	// Err says why the trial was not stored (wraps store.ErrInvalid or
	// store.ErrConflict).
	Err error
}

// ImportTrials parses a CTML file of one or more trials and stores every
// valid one in one transaction. A protocol_no already stored answers
// ErrConflict for that trial unless replace, which stores a new version
// and keeps the old one readable. A protocol_no twice in one file is a
// conflict for the later copy. The error return is for the whole call
// (unreadable file, store failure: then nothing is stored).
func (s *Service) ImportTrials(ctx context.Context, ctml string, replace bool) ([]TrialImport, error) {
	trials, errs, err := ParseCTMLFile(ctml)
	if err != nil {
		return nil, err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	out := make([]TrialImport, len(trials))
	prev := map[string]*Trial{}
	seen := map[string]int{}
	now := s.now().UTC().Format("2006-01-02T15:04:05Z")
	for i, t := range trials {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = TrialImport{Index: i, Err: errs[i]}
		if t == nil {
			continue
		}
		out[i].ProtocolNo = t.ID
		if j, dup := seen[t.ID]; dup {
			out[i].Err = fmt.Errorf("ctml[%d].protocol_no: %q already appears at ctml[%d] of this file: %w", i, t.ID, j, store.ErrConflict)
			continue
		}
		seen[t.ID] = i
		s.mu.RLock()
		old := s.trials[t.ID]
		s.mu.RUnlock()
		t.Version, t.ImportedAt = 1, now
		if old != nil {
			if !replace {
				out[i].Err = fmt.Errorf("trial %q exists (version %d); import with replace: true to store a new version (the old one stays readable): %w", t.ID, old.Version, store.ErrConflict)
				continue
			}
			prev[t.ID] = old
			t.Version = old.Version + 1
			out[i].Replaced = old.Version
		}
		out[i].Trial = t
	}
	err = s.db.Update(ctx, func(tx *store.Txn) error {
		for _, r := range out {
			if r.Trial == nil {
				continue
			}
			if old := prev[r.ProtocolNo]; old != nil {
				if err := tx.Put(trialVersionKey(old.ID, old.Version), old); err != nil {
					return err
				}
			}
			if err := tx.Put(trialKey(r.ProtocolNo), r.Trial); err != nil {
				return err
			}
			tx.Touch("trial:" + r.ProtocolNo)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for i := range out {
		if out[i].Trial != nil {
			out[i].Stored = true
			s.trials[out[i].ProtocolNo] = out[i].Trial
		}
	}
	s.mu.Unlock()
	return out, nil
}

// ImportTrial imports a CTML file holding exactly one trial; see
// ImportTrials for replace. The trial's own error (invalid, conflict) is
// the error returned.
func (s *Service) ImportTrial(ctx context.Context, ctml string, replace bool) (*Trial, error) {
	docs, err := splitCTML(ctml)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("ctml: %d trials in one file; importTrials imports several with a result per trial: %w", len(docs), store.ErrInvalid)
	}
	res, err := s.ImportTrials(ctx, ctml, replace)
	if err != nil {
		return nil, err
	}
	if res[0].Err != nil {
		return nil, res[0].Err
	}
	return res[0].Trial, nil
}

// TrialVersions lists every stored version of a trial, oldest first (the
// last is the current one).
func (s *Service) TrialVersions(ctx context.Context, id string) ([]*Trial, error) {
	cur, err := s.Trial(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []*Trial
	prefix := []byte("idx/trialv/" + id + "/")
	err = s.db.View(ctx, func(tx *store.Txn) error {
		return tx.Scan(prefix, nil, func(r store.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var t Trial
			if err := r.Decode(&t); err != nil {
				return err
			}
			if t.Version == 0 {
				t.Version = 1
			}
			out = append(out, &t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("trial %q versions: %w", id, err)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version < out[b].Version })
	return append(out, cur), nil
}

// ctmlDrugs reads drug_list.drug[].drug_name.
func ctmlDrugs(m map[string]any) []string {
	dl, _ := m["drug_list"].(map[string]any)
	list, _ := dl["drug"].([]any)
	var out []string
	for _, d := range list {
		dm, _ := d.(map[string]any)
		if n := str(dm["drug_name"]); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// ctmlField is one typed field of the CTML schema.
type ctmlField struct {
	kind     string // "string", "int", "yn", "list", "map"
	required bool
}

// The parts of MatchMiner's CTML trial schema the matcher reads, with
// their types. Keys not listed are accepted as they are (sites, staff,
// summaries).
var (
	ctmlTrialFields = map[string]ctmlField{
		"protocol_no": {"string", true}, "nct_id": {"string", false}, "status": {"string", false},
		"phase": {"string", false}, "short_title": {"string", false}, "long_title": {"string", false},
		"treatment_list": {"map", true}, "drug_list": {"map", false},
	}
	ctmlStepFields = map[string]ctmlField{"step_code": {"string", false}, "step_internal_id": {"int", false},
		"step_description": {"string", false}, "arm": {"list", false}}
	ctmlArmFields = map[string]ctmlField{"arm_code": {"string", true}, "arm_description": {"string", false},
		"arm_internal_id": {"int", false}, "arm_suspended": {"yn", false}, "dose_level": {"list", false}}
	ctmlDoseFields = map[string]ctmlField{"level_code": {"string", true}, "level_description": {"string", false},
		"level_internal_id": {"int", false}, "level_suspended": {"yn", false}}
)

// checkFields checks one mapping against its fields; errors name the path.
func checkFields(path string, m map[string]any, fields map[string]ctmlField) error {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fields[k]
		v, ok := m[k]
		p := path + "." + k
		if !ok || v == nil {
			if f.required {
				return fmt.Errorf("%s: required field missing: %w", p, store.ErrInvalid)
			}
			continue
		}
		okType := true
		switch f.kind {
		case "string":
			switch v.(type) {
			case string, int, float64:
			default:
				okType = false
			}
		case "int":
			_, okType = v.(int)
		case "yn":
			sv, isStr := v.(string)
			u := strings.ToUpper(strings.TrimSpace(sv))
			okType = isStr && (u == "Y" || u == "N" || u == "YES" || u == "NO")
			if _, b := v.(bool); b {
				okType = true
			}
		case "list":
			_, okType = v.([]any)
		case "map":
			_, okType = v.(map[string]any)
		}
		if !okType {
			want := map[string]string{"string": "a string", "int": "an integer", "yn": "Y or N", "list": "a list", "map": "a mapping"}[f.kind]
			return fmt.Errorf("%s: want %s, got %s: %w", p, want, kindOf(v), store.ErrInvalid)
		}
	}
	return nil
}

// validateCTML checks a trial against the typed parts of the CTML schema
// and MatchMiner's rule that arms are matched through treatment_list: a
// trial whose steps, arms and dose levels carry no match clause is refused
// (a trial-level match alone narrows nothing MatchMiner would match).
func validateCTML(root string, m map[string]any) error {
	if err := checkFields(root, m, ctmlTrialFields); err != nil {
		return err
	}
	tl := m["treatment_list"].(map[string]any)
	steps, ok := tl["step"].([]any)
	if !ok {
		return fmt.Errorf("%s.treatment_list.step: want a list of steps, got %s: %w", root, kindOf(tl["step"]), store.ErrInvalid)
	}
	matches := 0
	for i, st := range steps {
		sp := fmt.Sprintf("%s.treatment_list.step[%d]", root, i)
		sm, ok := st.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want a mapping, got %s: %w", sp, kindOf(st), store.ErrInvalid)
		}
		if err := checkFields(sp, sm, ctmlStepFields); err != nil {
			return err
		}
		if sm["match"] != nil {
			matches++
		}
		arms, _ := sm["arm"].([]any)
		for j, a := range arms {
			ap := fmt.Sprintf("%s.arm[%d]", sp, j)
			am, ok := a.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: want a mapping, got %s: %w", ap, kindOf(a), store.ErrInvalid)
			}
			if err := checkFields(ap, am, ctmlArmFields); err != nil {
				return err
			}
			if am["match"] != nil {
				matches++
			}
			doses, _ := am["dose_level"].([]any)
			for k, d := range doses {
				dp := fmt.Sprintf("%s.dose_level[%d]", ap, k)
				dm, ok := d.(map[string]any)
				if !ok {
					return fmt.Errorf("%s: want a mapping, got %s: %w", dp, kindOf(d), store.ErrInvalid)
				}
				if err := checkFields(dp, dm, ctmlDoseFields); err != nil {
					return err
				}
				if dm["match"] != nil {
					matches++
				}
			}
		}
	}
	if matches == 0 {
		return fmt.Errorf("%s.treatment_list: no step, arm or dose level has a match clause (the trial-level match alone matches no arm): %w", root, store.ErrInvalid)
	}
	return nil
}
