package graphql

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestSortIntrospection(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"types and fields by name",
			`{"__schema":{"types":[{"name":"B","fields":[{"name":"z"},{"name":"a"}]},{"name":"A","fields":null}]}}`,
			`{"__schema":{"types":[{"name":"A","fields":null},{"name":"B","fields":[{"name":"a"},{"name":"z"}]}]}}`},
		{"__type enum values", `{"__type":{"enumValues":[{"name":"Y"},{"name":"X"}]}}`, `{"__type":{"enumValues":[{"name":"X"},{"name":"Y"}]}}`},
		{"unnamed element keeps the list", `{"__schema":{"l":[{"name":"b"},{"x":1},{"name":"a"}]}}`, `{"__schema":{"l":[{"name":"b"},{"x":1},{"name":"a"}]}}`},
		{"data outside introspection untouched", `{"trials":[{"name":"b"},{"name":"a"}]}`, `{"trials":[{"name":"b"},{"name":"a"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in, want any
			if err := json.Unmarshal([]byte(tc.in), &in); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal([]byte(tc.want), &want)
			if got := sortIntrospection(in); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Errorf("got %s, want %s", g, tc.want)
			}
		})
	}
}

// TestIntrospectionOrder asks the real API for its types and one type's
// fields several times over HTTP: the lists come back sorted by name, the
// same every time.
func TestIntrospectionOrder(t *testing.T) {
	ts := newTestServer(t)
	q := `{ __schema { types { name fields { name args { name } } enumValues { name } inputFields { name } } } }`
	var first string
	for i := 0; i < 5; i++ {
		r := ts.query(ts.admin, q, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("introspection: %v", r.Errors)
		}
		b, _ := json.Marshal(r.Data)
		if i == 0 {
			first = string(b)
		} else if string(b) != first {
			t.Fatalf("request %d answered a different order", i)
		}
	}
	var data struct {
		Schema struct {
			Types []struct {
				Name   string `json:"name"`
				Fields []struct {
					Name string `json:"name"`
				} `json:"fields"`
			} `json:"types"`
		} `json:"__schema"`
	}
	if err := json.Unmarshal([]byte(first), &data); err != nil {
		t.Fatal(err)
	}
	types := data.Schema.Types
	if len(types) < 20 {
		t.Fatalf("%d types", len(types))
	}
	for i := 1; i < len(types); i++ {
		if types[i-1].Name >= types[i].Name {
			t.Fatalf("types out of order at %d: %s before %s", i, types[i-1].Name, types[i].Name)
		}
		for j := 1; j < len(types[i].Fields); j++ {
			if types[i].Fields[j-1].Name >= types[i].Fields[j].Name {
				t.Fatalf("%s: fields out of order: %s before %s", types[i].Name, types[i].Fields[j-1].Name, types[i].Fields[j].Name)
			}
		}
	}
}
