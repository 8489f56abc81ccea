package graphql

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/molecules/library"
)

func newDatasetServer(t testing.TB) *testServer {
	t.Helper()
	return newTestServerWith(t, func(ts *testServer) []Domain {
		dss, err := datasets.New(datasets.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		lib, err := library.New(library.Config{DB: ts.db})
		if err != nil {
			t.Fatal(err)
		}
		return []Domain{&Datasets{Store: dss}, &Libraries{Library: lib}, &Molecules{Library: lib}}
	})
}

// assayCSV is a regression CSV of n rows; rows in bad hold broken SMILES.
func assayCSV(n int, bad map[int]string) string {
	smiles := []string{"CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CC(=O)[O-].[Na+]", "CCN(CC)CC", "OC(=O)c1ccccc1"}
	var b strings.Builder
	b.WriteString("name,smiles,pIC50\n")
	for i := 0; i < n; i++ {
		s := smiles[i%len(smiles)]
		if x, ok := bad[i]; ok {
			s = x
		}
		fmt.Fprintf(&b, "c%d,%s,%.3f\n", i, s, 5+float64(i%11)/10)
	}
	return b.String()
}

const uploadDoc = `mutation($in: DatasetInput!) { uploadDataset(input: $in) {
  accepted rejected committed warnings errors { location message line column }
  dataset { id name owner task targets rows rejected hash standardized standardizedRows } } }`

// TestUploadDatasetAPI: the acceptance case through GraphQL — 500 rows
// with 3 bad SMILES store 497 rows and answer three positioned errors; the
// dataset is listed, read and deleted by its owner only.
func TestUploadDatasetAPI(t *testing.T) {
	ts := newDatasetServer(t)
	chem, other, designer := ts.token(auth.Chemist), ts.token(auth.Chemist), ts.token(auth.Designer)
	bad := map[int]string{7: "C1CC", 250: "CC(C)(C)(C)(C)C", 498: "c1ccnc1"}
	in := map[string]any{"name": "my assay", "csv": assayCSV(500, bad), "targets": []string{"pIC50"}, "task": "REGRESSION", "standardize": true}
	r := ts.query(chem, uploadDoc, map[string]any{"in": in})
	if len(r.Errors) > 0 {
		t.Fatalf("upload: %+v", r.Errors)
	}
	res := r.Data["uploadDataset"].(map[string]any)
	if res["accepted"].(float64) != 497 || res["rejected"].(float64) != 3 || res["committed"] != true {
		t.Fatalf("result %v", res)
	}
	errs := res["errors"].([]any)
	for k, i := range []int{7, 250, 498} {
		e := errs[k].(map[string]any)
		line, col := e["line"].(float64), e["column"].(float64)
		if int(line) != i+2 || col < float64(len(fmt.Sprintf("c%d,", i))+1) || !strings.Contains(e["location"].(string), fmt.Sprintf("line %d", i+2)) {
			t.Errorf("error %d: %v", k, e)
		}
	}
	ds := res["dataset"].(map[string]any)
	id := ds["id"].(string)
	if ds["rows"].(float64) != 497 || ds["task"] != "REGRESSION" || len(ds["hash"].(string)) != 64 || ds["standardizedRows"].(float64) == 0 {
		t.Fatalf("dataset %v", ds)
	}
	list := ts.query(chem, `{ datasets { id name rows } }`, nil)
	if l := list.Data["datasets"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != id {
		t.Fatalf("datasets %v %v", list.Data, list.Errors)
	}
	if l := ts.query(other, `{ datasets { id } }`, nil).Data["datasets"].([]any); len(l) != 0 {
		t.Fatalf("another chemist sees %v", l)
	}
	if l := ts.query(ts.admin, `{ datasets { id } }`, nil).Data["datasets"].([]any); len(l) != 1 {
		t.Fatalf("admin sees %v", l)
	}
	q := `query($id: ID!) { dataset(id: $id) { id rows } }`
	if r := ts.query(other, q, map[string]any{"id": id}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeNotFound {
		t.Fatalf("another chemist reads it: %+v", r)
	}
	if r := ts.query(designer, uploadDoc, map[string]any{"in": in}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeForbidden {
		t.Fatalf("designer uploads: %+v", r.Errors)
	}
	if r := ts.query(chem, uploadDoc, map[string]any{"in": in}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeConflict {
		t.Fatalf("same name again: %+v", r.Errors)
	}
	del := `mutation($id: ID!) { deleteDataset(id: $id) { id } }`
	if r := ts.query(other, del, map[string]any{"id": id}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeNotFound {
		t.Fatalf("another chemist deletes it: %+v", r)
	}
	if r := ts.query(chem, del, map[string]any{"id": id}); len(r.Errors) > 0 {
		t.Fatalf("delete: %+v", r.Errors)
	}
	if r := ts.query(chem, q, map[string]any{"id": id}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeNotFound {
		t.Fatalf("read after delete: %+v", r)
	}
}

func TestUploadDatasetLimitsAndColumns(t *testing.T) {
	ts := newDatasetServer(t)
	chem := ts.token(auth.Chemist)
	cases := []struct {
		name string
		in   map[string]any
		code string
		want string
	}{
		{"missing column", map[string]any{"name": "a", "csv": "smi,y\nCCO,1\n", "targets": []string{"y"}, "task": "REGRESSION"}, CodeBadInput, `no column "smiles"`},
		{"targets", map[string]any{"name": "a", "csv": "smiles\n", "targets": make([]string, 65), "task": "REGRESSION"}, "LIMIT_EXCEEDED", "MaxTargets"},
		{"bad name", map[string]any{"name": "a\u202e", "csv": "smiles,y\n", "targets": []string{"y"}, "task": "REGRESSION"}, CodeBadInput, "input.name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.query(chem, uploadDoc, map[string]any{"in": c.in})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != c.code || !strings.Contains(r.Errors[0].Message, c.want) {
				t.Fatalf("errors %+v, want %s mentioning %q", r.Errors, c.code, c.want)
			}
		})
	}
}

func TestLibrariesQuery(t *testing.T) {
	ts := newDatasetServer(t)
	chem := ts.token(auth.Chemist)
	add := `mutation { addMolecules(library: "mine", smiles: ["CCO", "CCN"]) { accepted } }`
	if r := ts.query(chem, add, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	r := ts.query(chem, `{ libraries { name size owner default } }`, nil)
	libs, _ := r.Data["libraries"].([]any)
	if len(r.Errors) > 0 || len(libs) != 1 {
		t.Fatalf("libraries %v %v", r.Data, r.Errors)
	}
	l := libs[0].(map[string]any)
	if l["name"] != "mine" || l["size"].(float64) != 2 || l["owner"] != nil || l["default"] != false {
		t.Fatalf("library %v", l)
	}
	if r := ts.query(ts.token(auth.Clinician), `{ libraries { name } }`, nil); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != CodeForbidden {
		t.Fatalf("clinician lists libraries: %+v", r.Errors)
	}
}

func postDataset(t testing.TB, ts *testServer, token string, q url.Values, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.srv.URL+"/import/dataset?"+q.Encode(), body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// TestImportDatasetEndpoint streams CSV (plain and gzip) to POST
// /import/dataset over real HTTP.
func TestImportDatasetEndpoint(t *testing.T) {
	ts := newDatasetServer(t)
	chem := ts.token(auth.Chemist)
	q := url.Values{"name": {"streamed"}, "target": {"pIC50"}, "task": {"regression"}}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, assayCSV(3000, map[int]string{100: "C1CC"}))
	zw.Close()
	status, res := postDataset(t, ts, chem, q, &gz)
	if status != 200 || res["accepted"].(float64) != 2999 || res["rejected"].(float64) != 1 {
		t.Fatalf("HTTP %d %v", status, res)
	}
	ds := res["dataset"].(map[string]any)
	if ds["rows"].(float64) != 2999 || ds["name"] != "streamed" {
		t.Fatalf("dataset %v", ds)
	}
	cases := []struct {
		name   string
		token  string
		q      url.Values
		body   string
		status int
		code   string
	}{
		{"designer", ts.token(auth.Designer), q, "smiles,pIC50\nCCO,1\n", 403, CodeForbidden},
		{"no name", chem, url.Values{"target": {"y"}, "task": {"regression"}}, "smiles,y\nCCO,1\n", 400, CodeBadInput},
		{"bad task", chem, url.Values{"name": {"b"}, "target": {"y"}, "task": {"ranking"}}, "smiles,y\nCCO,1\n", 400, CodeBadInput},
		{"no good row", chem, url.Values{"name": {"c"}, "target": {"y"}, "task": {"regression"}}, "smiles,y\nC1CC,1\n", 400, ""},
		{"missing column", chem, url.Values{"name": {"d"}, "target": {"z"}, "task": {"regression"}}, "smiles,y\nCCO,1\n", 400, CodeBadInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := postDataset(t, ts, c.token, c.q, strings.NewReader(c.body))
			if status != c.status {
				t.Fatalf("HTTP %d %v, want %d", status, out, c.status)
			}
			if c.code == "" {
				if out["committed"] != false || out["rejected"].(float64) != 1 {
					t.Fatalf("answer %v", out)
				}
				return
			}
			errs, _ := out["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != c.code {
				t.Fatalf("answer %v, want code %s", out, c.code)
			}
		})
	}
}

// BenchmarkImportDataset streams a generated CSV of about 100 MB (about
// 2.6 million rows of 8 drug-like SMILES) to POST /import/dataset and
// reports MB/s and rows/s. Run with
//
//	go test ./graphql -run XXX -bench BenchmarkImportDataset -benchtime 1x
func BenchmarkImportDataset(b *testing.B) {
	ts := newTestServerConfig(b, func(ts *testServer) []Domain {
		dss, err := datasets.New(datasets.Config{DB: ts.db, Limits: datasets.Limits{MaxRows: 5_000_000}})
		if err != nil {
			b.Fatal(err)
		}
		return []Domain{&Datasets{Store: dss}}
	}, func(c *Config, dir string) { c.Limits.MaxUploadBytes = 1 << 30 })
	chem := ts.token(auth.Chemist)
	smiles := []string{"CC(=O)Nc1ccc(O)cc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "COc1ccc2[nH]cc(CCN(C)C)c2c1", "O=C(O)c1ccccc1OC(C)=O",
		"CN1CCC[C@H]1c1cccnc1", "Clc1ccc2c(c1)C(c1ccccc1)=NCC(=O)N2", "CC(C)NCC(O)c1ccc(O)c(O)c1", "Nc1ccc(S(=O)(=O)Nc2ncccn2)cc1"}
	var csv bytes.Buffer
	csv.WriteString("id,smiles,y\n")
	rows := 0
	for csv.Len() < 100<<20 {
		fmt.Fprintf(&csv, "r%d,%s,%.3f\n", rows, smiles[rows%len(smiles)], float64(rows%97)/10)
		rows++
	}
	data := csv.Bytes()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		status, res := postDataset(b, ts, chem, url.Values{"name": {fmt.Sprintf("big%d", i)}, "target": {"y"}, "task": {"regression"}}, bytes.NewReader(data))
		if status != 200 || int(res["accepted"].(float64)) != rows {
			b.Fatalf("HTTP %d %v", status, res["errors"])
		}
		sec := time.Since(start).Seconds()
		b.ReportMetric(float64(len(data))/(1<<20)/sec, "MB/s")
		b.ReportMetric(float64(rows)/sec, "rows/s")
	}
}
