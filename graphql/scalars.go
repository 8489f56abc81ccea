package graphql

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// newScalars returns the contract's custom scalars: Decimal (exact decimals
// as JSON strings, checked with apd) and JSON (any JSON value).
func newScalars() map[string]*gql.Scalar {
	decimal := gql.NewScalar(gql.ScalarConfig{
		Name:        "Decimal",
		Description: `Exact decimal carried as a JSON string, e.g. "2.5". Used for doses and amounts.`,
		Serialize: func(v any) any {
			switch v := v.(type) {
			case *apd.Decimal:
				return v.Text('f')
			case apd.Decimal:
				return v.Text('f')
			case string:
				return v
			case fmt.Stringer:
				return v.String()
			}
			return nil
		},
		ParseValue: func(v any) any {
			switch v := v.(type) {
			case string:
				return parseDecimal(v)
			case float64:
				return parseDecimal(fmt.Sprint(v))
			case int:
				return parseDecimal(fmt.Sprint(v))
			}
			return nil
		},
		ParseLiteral: func(v ast.Value) any {
			switch v := v.(type) {
			case *ast.StringValue:
				return parseDecimal(v.Value)
			case *ast.IntValue:
				return parseDecimal(v.Value)
			case *ast.FloatValue:
				return parseDecimal(v.Value)
			}
			return nil
		},
	})
	jsonScalar := gql.NewScalar(gql.ScalarConfig{
		Name:        "JSON",
		Description: "Arbitrary JSON value.",
		Serialize: func(v any) any {
			switch v := v.(type) {
			case json.RawMessage:
				var out any
				if json.Unmarshal(v, &out) != nil {
					return nil
				}
				return out
			}
			return v
		},
		ParseValue:   func(v any) any { return v },
		ParseLiteral: func(v ast.Value) any { return literalJSON(v) },
	})
	return map[string]*gql.Scalar{"Decimal": decimal, "JSON": jsonScalar}
}

// parseDecimal returns the canonical text of an exact decimal, or nil (which
// graphql-go reports as an invalid value) when s is not one.
func parseDecimal(s string) any {
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil
	}
	return d.Text('f')
}

func literalJSON(v ast.Value) any {
	switch v := v.(type) {
	case *ast.ObjectValue:
		out := map[string]any{}
		for _, f := range v.Fields {
			out[f.Name.Value] = literalJSON(f.Value)
		}
		return out
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, e := range v.Values {
			out[i] = literalJSON(e)
		}
		return out
	case *ast.IntValue:
		var n json.Number = json.Number(v.Value)
		f, _ := n.Float64()
		return f
	}
	return astValue(v)
}
