package graphql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
)

// buildSchema turns SDL into an executable graphql-go schema. graphql-go has
// no SDL builder, so this walks the parsed document: every named type is made
// first with thunks for its fields, then the fields resolve names through the
// type map. resolve gives the resolver of a "Type.field" (nil: the default
// resolver, which reads map keys and struct json tags).
func buildSchema(sdl string, scalars map[string]*gql.Scalar, resolve func(typeName, field string) gql.FieldResolveFn) (gql.Schema, error) {
	doc, err := parser.Parse(parser.ParseParams{Source: sdl})
	if err != nil {
		return gql.Schema{}, fmt.Errorf("schema: parse: %w", err)
	}
	// Fold "extend type X { ... }" into X, so the additions to the contract
	// can sit apart in the source.
	objs := map[string]*ast.ObjectDefinition{}
	for _, d := range doc.Definitions {
		if o, ok := d.(*ast.ObjectDefinition); ok {
			objs[o.Name.Value] = o
		}
	}
	var defs []ast.Node
	for _, d := range doc.Definitions {
		if ext, ok := d.(*ast.TypeExtensionDefinition); ok {
			o := objs[ext.Definition.Name.Value]
			if o == nil {
				return gql.Schema{}, fmt.Errorf("schema: extend type %s: no such type", ext.Definition.Name.Value)
			}
			o.Fields = append(o.Fields, ext.Definition.Fields...)
			continue
		}
		defs = append(defs, d)
	}
	types := map[string]gql.Type{
		"String": gql.String, "Int": gql.Int, "Float": gql.Float, "Boolean": gql.Boolean, "ID": gql.ID,
	}
	var ref func(t ast.Type) (gql.Type, error)
	ref = func(t ast.Type) (gql.Type, error) {
		switch t := t.(type) {
		case *ast.Named:
			nt, ok := types[t.Name.Value]
			if !ok {
				return nil, fmt.Errorf("schema: unknown type %q", t.Name.Value)
			}
			return nt, nil
		case *ast.List:
			inner, err := ref(t.Type)
			if err != nil {
				return nil, err
			}
			return gql.NewList(inner), nil
		case *ast.NonNull:
			inner, err := ref(t.Type)
			if err != nil {
				return nil, err
			}
			return gql.NewNonNull(inner), nil
		}
		return nil, fmt.Errorf("schema: unexpected type node %T", t)
	}
	desc := func(s *ast.StringValue) string {
		if s == nil {
			return ""
		}
		return s.Value
	}
	var buildErr error
	fail := func(err error) {
		if buildErr == nil {
			buildErr = err
		}
	}
	args := func(defs []*ast.InputValueDefinition) gql.FieldConfigArgument {
		out := gql.FieldConfigArgument{}
		for _, a := range defs {
			t, err := ref(a.Type)
			if err != nil {
				fail(err)
				continue
			}
			out[a.Name.Value] = &gql.ArgumentConfig{Type: t, Description: desc(a.Description), DefaultValue: typedDefault(t, a.DefaultValue)}
		}
		return out
	}
	var query, mutation string = "Query", "Mutation"
	for _, d := range defs {
		switch d := d.(type) {
		case *ast.ScalarDefinition:
			s, ok := scalars[d.Name.Value]
			if !ok {
				return gql.Schema{}, fmt.Errorf("schema: scalar %s has no implementation", d.Name.Value)
			}
			types[d.Name.Value] = s
		case *ast.EnumDefinition:
			vals := gql.EnumValueConfigMap{}
			for _, v := range d.Values {
				vals[v.Name.Value] = &gql.EnumValueConfig{Value: v.Name.Value, Description: desc(v.Description)}
			}
			types[d.Name.Value] = gql.NewEnum(gql.EnumConfig{Name: d.Name.Value, Values: vals, Description: desc(d.Description)})
		case *ast.InputObjectDefinition:
			types[d.Name.Value] = gql.NewInputObject(gql.InputObjectConfig{
				Name:        d.Name.Value,
				Description: desc(d.Description),
				Fields: gql.InputObjectConfigFieldMapThunk(func() gql.InputObjectConfigFieldMap {
					out := gql.InputObjectConfigFieldMap{}
					for _, f := range d.Fields {
						t, err := ref(f.Type)
						if err != nil {
							fail(err)
							continue
						}
						out[f.Name.Value] = &gql.InputObjectFieldConfig{Type: t, Description: desc(f.Description), DefaultValue: typedDefault(t, f.DefaultValue)}
					}
					return out
				}),
			})
		case *ast.ObjectDefinition:
			types[d.Name.Value] = gql.NewObject(gql.ObjectConfig{
				Name:        d.Name.Value,
				Description: desc(d.Description),
				Fields: gql.FieldsThunk(func() gql.Fields {
					out := gql.Fields{}
					for _, f := range d.Fields {
						t, err := ref(f.Type)
						if err != nil {
							fail(err)
							continue
						}
						out[f.Name.Value] = &gql.Field{
							Type:        t,
							Description: desc(f.Description),
							Args:        args(f.Arguments),
							Resolve:     resolve(d.Name.Value, f.Name.Value),
						}
					}
					return out
				}),
			})
		case *ast.SchemaDefinition:
			for _, op := range d.OperationTypes {
				switch op.Operation {
				case "query":
					query = op.Type.Name.Value
				case "mutation":
					mutation = op.Type.Name.Value
				}
			}
		default:
			return gql.Schema{}, fmt.Errorf("schema: unsupported definition %T", d)
		}
	}
	q, _ := types[query].(*gql.Object)
	m, _ := types[mutation].(*gql.Object)
	if q == nil {
		return gql.Schema{}, fmt.Errorf("schema: no query type %q", query)
	}
	var all []gql.Type
	for _, t := range types {
		all = append(all, t)
	}
	s, err := gql.NewSchema(gql.SchemaConfig{Query: q, Mutation: m, Types: all})
	if err != nil {
		return gql.Schema{}, fmt.Errorf("schema: %w", err)
	}
	if buildErr != nil {
		return gql.Schema{}, buildErr
	}
	return s, nil
}

// typedDefault converts a default to the Go type resolvers receive for its
// GraphQL type: graphql-go passes defaults through uncoerced, so an integer
// literal default of a Float argument would otherwise arrive as an int.
func typedDefault(t gql.Type, v ast.Value) any {
	d := astValue(v)
	if nn, ok := t.(*gql.NonNull); ok {
		t = nn.OfType
	}
	if n, ok := d.(int); ok && t == gql.Float {
		return float64(n)
	}
	return d
}

// astValue converts a constant SDL value (a default) to the Go value
// graphql-go expects.
func astValue(v ast.Value) any {
	switch v := v.(type) {
	case nil:
		return nil
	case *ast.IntValue:
		n, _ := strconv.Atoi(v.Value)
		return n
	case *ast.FloatValue:
		f, _ := strconv.ParseFloat(v.Value, 64)
		return f
	case *ast.StringValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, e := range v.Values {
			out[i] = astValue(e)
		}
		return out
	}
	return nil
}

// printSchema prints the schema's own types as SDL in a canonical order:
// the schema block, then scalars, enums, inputs and objects, each by name.
func printSchema(s gql.Schema) string {
	var b strings.Builder
	b.WriteString("schema { query: " + s.QueryType().Name())
	if s.MutationType() != nil {
		b.WriteString(" mutation: " + s.MutationType().Name())
	}
	b.WriteString(" }\n")
	var names []string
	for name := range s.TypeMap() {
		if strings.HasPrefix(name, "__") {
			continue
		}
		switch name {
		case "String", "Int", "Float", "Boolean", "ID":
			continue
		}
		names = append(names, name)
	}
	order := func(t gql.Type) int {
		switch t.(type) {
		case *gql.Scalar:
			return 0
		case *gql.Enum:
			return 1
		case *gql.InputObject:
			return 2
		}
		return 3
	}
	tm := s.TypeMap()
	sort.Slice(names, func(i, j int) bool {
		oi, oj := order(tm[names[i]]), order(tm[names[j]])
		if oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		b.WriteString("\n")
		switch t := tm[name].(type) {
		case *gql.Scalar:
			printDesc(&b, "", t.Description())
			b.WriteString("scalar " + name + "\n")
		case *gql.Enum:
			printDesc(&b, "", t.Description())
			var vals []string
			for _, v := range t.Values() {
				vals = append(vals, v.Name)
			}
			sort.Strings(vals)
			b.WriteString("enum " + name + " { " + strings.Join(vals, " ") + " }\n")
		case *gql.InputObject:
			printDesc(&b, "", t.Description())
			b.WriteString("input " + name + " {\n")
			fields := t.Fields()
			for _, fn := range sortedKeys(fields) {
				f := fields[fn]
				printDesc(&b, "  ", f.Description())
				b.WriteString("  " + fn + ": " + f.Type.String() + printDefault(f.DefaultValue, f.Type) + "\n")
			}
			b.WriteString("}\n")
		case *gql.Object:
			printDesc(&b, "", t.Description())
			b.WriteString("type " + name + " {\n")
			fields := t.Fields()
			for _, fn := range sortedKeys(fields) {
				f := fields[fn]
				printDesc(&b, "  ", f.Description)
				b.WriteString("  " + fn)
				if len(f.Args) > 0 {
					var as []string
					for _, a := range f.Args {
						as = append(as, a.Name()+": "+a.Type.String()+printDefault(a.DefaultValue, a.Type))
					}
					// graphql-go keeps arguments in a map: print them by name.
					sort.Strings(as)
					b.WriteString("(" + strings.Join(as, ", ") + ")")
				}
				b.WriteString(": " + f.Type.String() + "\n")
			}
			b.WriteString("}\n")
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func printDesc(b *strings.Builder, indent, d string) {
	if d == "" {
		return
	}
	// Continuation lines are not indented: graphql-go's block-string dedent
	// also strips the first line, so indentation would not round-trip.
	b.WriteString(indent + `"""` + d + `"""` + "\n")
}

func printDefault(v any, t gql.Type) string {
	if v == nil {
		return ""
	}
	if nn, ok := t.(*gql.NonNull); ok {
		t = nn.OfType
	}
	switch v := v.(type) {
	case string:
		if _, isEnum := t.(*gql.Enum); isEnum {
			return " = " + v
		}
		return " = " + strconv.Quote(v)
	case bool:
		return " = " + strconv.FormatBool(v)
	case int:
		return " = " + strconv.Itoa(v)
	case float64:
		return " = " + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf(" = %v", v)
}

// sortIntrospection puts the lists of an introspection answer (__schema and
// __type at the top of data) in name order: graphql-go builds types, fields,
// arguments and enum values from maps, so without this their order changes
// from one request to the next and GraphiQL's schema explorer reshuffles.
// Any list whose elements are all objects with a string "name" is sorted by
// it; other data is left as it is.
func sortIntrospection(data any) any {
	m, ok := data.(map[string]any)
	if !ok {
		return data
	}
	for k, v := range m {
		if k == "__schema" || k == "__type" {
			sortNamedLists(v)
		}
	}
	return data
}

// sortNamedLists sorts, in place and at every depth, the lists of objects
// that all carry a string "name".
func sortNamedLists(v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			sortNamedLists(e)
		}
	case []any:
		named := true
		for _, e := range v {
			sortNamedLists(e)
			o, ok := e.(map[string]any)
			if !ok {
				named = false
				continue
			}
			if _, ok := o["name"].(string); !ok {
				named = false
			}
		}
		if !named {
			return
		}
		sort.SliceStable(v, func(i, j int) bool {
			return v[i].(map[string]any)["name"].(string) < v[j].(map[string]any)["name"].(string)
		})
	}
}
