package graphql

import (
	"fmt"
	"time"

	"github.com/graphql-go/graphql/language/ast"
)

// Limits bound what one request may ask for and spend. graphql-go has none
// of its own: the lexical ones (MaxNesting, MaxTokens, MaxStringBytes, the
// variables' JSON) are checked by a pre-scan before graphql-go parses
// anything (prescan.go), the shape ones on the parsed document before
// validation and execution, the HTTP ones while the body is read.
// A zero field takes its DefaultLimits value.
type Limits struct {
	// MaxDepth bounds the nesting of selection sets (fragments expanded).
	MaxDepth int
	// MaxAliases bounds the number of aliased fields.
	MaxAliases int
	// MaxSelections bounds the number of field selections, fragments expanded.
	MaxSelections int
	// MaxFirst bounds any argument named "first".
	MaxFirst int
	// MaxListItems bounds the length of any list argument.
	MaxListItems int
	// MaxBodyBytes bounds the HTTP request body of /graphql (and a GET's URL).
	MaxBodyBytes int64

	// MaxNesting bounds the nesting of brackets of every kind ({ [ ( ) in
	// the query text, so graphql-go's recursive parser cannot overflow.
	MaxNesting int
	// MaxTokens bounds the number of lexical tokens in the query text.
	MaxTokens int
	// MaxStringBytes bounds one string or block string in the query text
	// (large inputs belong in variables).
	MaxStringBytes int
	// MaxVariableNesting bounds the JSON nesting of the variables.
	MaxVariableNesting int
	// MaxVariableElements bounds the JSON values and member keys of the
	// request body (or of a GET's variables).
	MaxVariableElements int

	// MaxUploadBytes bounds one streamed import body (/import/vcf, /import/maf).
	MaxUploadBytes int64
	// MaxSpoolBytes bounds the bytes spooled to disk by all imports at once.
	MaxSpoolBytes int64
	// MaxDecompressedBytes bounds what one gzip upload may inflate to.
	MaxDecompressedBytes int64
	// MaxDecompressionRatio bounds inflated/compressed bytes of a gzip
	// upload (past its first MiB).
	MaxDecompressionRatio int64
	// MinUploadRate is the slowest a request body may arrive, in bytes per
	// second averaged over UploadRateWindow; a slower client gets 408.
	MinUploadRate int64
	// UploadRateWindow is the window MinUploadRate is measured over.
	UploadRateWindow time.Duration

	// AuthFreeFailures is how many failed authentications one client
	// address may make before it must wait.
	AuthFreeFailures int
	// AuthBackoff is the first wait after the free failures; each further
	// failure doubles it, up to AuthMaxBackoff.
	AuthBackoff time.Duration
	// AuthMaxBackoff caps the wait.
	AuthMaxBackoff time.Duration
	// AuthTrackedClients bounds how many client addresses the failure
	// counter remembers (least recently failed are forgotten first).
	AuthTrackedClients int
}

// DefaultLimits returns limits generous for real clients (GraphiQL's
// introspection query included) and far below what a hostile request needs.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:      15,
		MaxAliases:    50,
		MaxSelections: 2000,
		MaxFirst:      1000,
		MaxListItems:  10000,
		MaxBodyBytes:  4 << 20,

		MaxNesting:          128,
		MaxTokens:           100_000,
		MaxStringBytes:      1 << 20,
		MaxVariableNesting:  64,
		MaxVariableElements: 200_000,

		MaxUploadBytes:        8 << 30,
		MaxSpoolBytes:         16 << 30,
		MaxDecompressedBytes:  32 << 30,
		MaxDecompressionRatio: 200,
		MinUploadRate:         8 << 10,
		UploadRateWindow:      10 * time.Second,

		AuthFreeFailures:   10,
		AuthBackoff:        time.Second,
		AuthMaxBackoff:     5 * time.Minute,
		AuthTrackedClients: 10_000,
	}
}

// withDefaults fills every zero field from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set64 := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxDepth, d.MaxDepth)
	set(&l.MaxAliases, d.MaxAliases)
	set(&l.MaxSelections, d.MaxSelections)
	set(&l.MaxFirst, d.MaxFirst)
	set(&l.MaxListItems, d.MaxListItems)
	set64(&l.MaxBodyBytes, d.MaxBodyBytes)
	set(&l.MaxNesting, d.MaxNesting)
	set(&l.MaxTokens, d.MaxTokens)
	set(&l.MaxStringBytes, d.MaxStringBytes)
	set(&l.MaxVariableNesting, d.MaxVariableNesting)
	set(&l.MaxVariableElements, d.MaxVariableElements)
	set64(&l.MaxUploadBytes, d.MaxUploadBytes)
	set64(&l.MaxSpoolBytes, d.MaxSpoolBytes)
	set64(&l.MaxDecompressedBytes, d.MaxDecompressedBytes)
	set64(&l.MaxDecompressionRatio, d.MaxDecompressionRatio)
	set64(&l.MinUploadRate, d.MinUploadRate)
	set(&l.AuthFreeFailures, d.AuthFreeFailures)
	set(&l.AuthTrackedClients, d.AuthTrackedClients)
	for _, p := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&l.UploadRateWindow, d.UploadRateWindow}, {&l.AuthBackoff, d.AuthBackoff}, {&l.AuthMaxBackoff, d.AuthMaxBackoff},
	} {
		if *p.v <= 0 {
			*p.v = p.def
		}
	}
	return l
}

// checkLimits walks the operation's selections, expanding fragments, and
// returns an error naming the first limit the document breaks.
func checkLimits(doc *ast.Document, opName string, vars map[string]any, l Limits) error {
	frags := map[string]*ast.FragmentDefinition{}
	var op *ast.OperationDefinition
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.FragmentDefinition:
			frags[d.Name.Value] = d
		case *ast.OperationDefinition:
			if opName == "" || (d.Name != nil && d.Name.Value == opName) {
				if op == nil {
					op = d
				}
			}
		}
	}
	// graphql-go's validation recurses without end on a fragment that
	// spreads itself (a fatal stack overflow, not a recoverable panic), so
	// cycles are refused here, before validation runs.
	if err := fragmentCycle(frags); err != nil {
		return err
	}
	if op == nil {
		return nil // validation reports the missing operation
	}
	w := &limitWalker{frags: frags, vars: vars, l: l, onPath: map[string]bool{}}
	return w.set(op.SelectionSet, 1)
}

// fragmentCycle reports a fragment that spreads itself, directly or through
// other fragments.
func fragmentCycle(frags map[string]*ast.FragmentDefinition) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var visit func(name string, depth int) error
	var spreads func(ss *ast.SelectionSet, depth int) error
	spreads = func(ss *ast.SelectionSet, depth int) error {
		if ss == nil {
			return nil
		}
		if depth > 10000 {
			return fmt.Errorf("fragments nest deeper than 10000 levels")
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if err := spreads(s.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := spreads(s.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if err := visit(s.Name.Value, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	visit = func(name string, depth int) error {
		switch state[name] {
		case onPath:
			return fmt.Errorf("fragment %s spreads itself", name)
		case done:
			return nil
		}
		f, ok := frags[name]
		if !ok {
			return nil // validation reports unknown fragments
		}
		state[name] = onPath
		if err := spreads(f.SelectionSet, depth); err != nil {
			return err
		}
		state[name] = done
		return nil
	}
	for name := range frags {
		if err := visit(name, 0); err != nil {
			return err
		}
	}
	return nil
}

type limitWalker struct {
	frags      map[string]*ast.FragmentDefinition
	vars       map[string]any
	l          Limits
	aliases    int
	selections int
	onPath     map[string]bool
}

func (w *limitWalker) set(ss *ast.SelectionSet, depth int) error {
	if ss == nil {
		return nil
	}
	if depth > w.l.MaxDepth {
		return fmt.Errorf("query depth exceeds the limit of %d", w.l.MaxDepth)
	}
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			w.selections++
			if w.selections > w.l.MaxSelections {
				return fmt.Errorf("query selects more than %d fields", w.l.MaxSelections)
			}
			if s.Alias != nil && s.Alias.Value != s.Name.Value {
				w.aliases++
				if w.aliases > w.l.MaxAliases {
					return fmt.Errorf("query uses more than %d aliases", w.l.MaxAliases)
				}
			}
			for _, a := range s.Arguments {
				if err := w.arg(s.Name.Value, a); err != nil {
					return err
				}
			}
			if err := w.set(s.SelectionSet, depth+1); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := w.set(s.SelectionSet, depth); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			name := s.Name.Value
			f, ok := w.frags[name]
			if !ok || w.onPath[name] {
				continue // validation reports unknown or cyclic fragments
			}
			w.onPath[name] = true
			err := w.set(f.SelectionSet, depth)
			w.onPath[name] = false
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *limitWalker) arg(field string, a *ast.Argument) error {
	name := a.Name.Value
	v := w.value(a.Value)
	if name == "first" {
		if n, ok := asNumber(v); ok && (n > float64(w.l.MaxFirst) || n < 0) {
			return fmt.Errorf("argument %s.first is %v; it must be between 0 and %d", field, n, w.l.MaxFirst)
		}
	}
	return w.lists(field+"."+name, v, 0)
}

func (w *limitWalker) lists(path string, v any, depth int) error {
	if depth > 64 {
		return fmt.Errorf("argument %s nests deeper than 64 levels", path)
	}
	switch v := v.(type) {
	case []any:
		if len(v) > w.l.MaxListItems {
			return fmt.Errorf("argument %s has %d items; the limit is %d", path, len(v), w.l.MaxListItems)
		}
		for _, e := range v {
			if err := w.lists(path, e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := w.lists(path+"."+k, e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// value resolves an argument's AST (with variables) into plain Go values.
func (w *limitWalker) value(v ast.Value) any {
	switch v := v.(type) {
	case *ast.Variable:
		return w.vars[v.Name.Value]
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, e := range v.Values {
			out[i] = w.value(e)
		}
		return out
	case *ast.ObjectValue:
		out := map[string]any{}
		for _, f := range v.Fields {
			out[f.Name.Value] = w.value(f.Value)
		}
		return out
	}
	return astValue(v)
}

func asNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}
