package graphql

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	gql "github.com/graphql-go/graphql"

	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/molecules/datasets"
	"github.com/rxlab/rxlab/store"
)

// Datasets serves chemists' own datasets: uploadDataset, datasets,
// dataset and deleteDataset, and the streaming endpoint POST
// /import/dataset for files too large for a GraphQL request body.
// Reading needs molecules:read, uploading and deleting molecules:write;
// a caller sees only its own datasets (admins see all).
type Datasets struct {
	Store *datasets.Store
}

// asCaller attaches the caller's identity for the datasets' owner rule.
// Mutations carry it already (with their audit operation); queries get
// it here, for reading only: a View never writes an audit record.
func asCaller(ctx context.Context) context.Context {
	if _, ok := store.AuditFromContext(ctx); ok {
		return ctx
	}
	pr, _ := auth.FromContext(ctx)
	return store.WithAudit(ctx, store.AuditInfo{Actor: pr.TokenID, Role: string(pr.Role), Operation: "read datasets"})
}

// taskOf maps the DatasetTask enum to datasets.Task.
func taskOf(s string) datasets.Task { return datasets.Task(strings.ToLower(s)) }

func datasetView(d datasets.Dataset) map[string]any {
	var owner any
	if d.Owner != "" {
		owner = d.Owner
	}
	return map[string]any{
		"id": d.ID, "name": d.Name, "owner": owner, "task": strings.ToUpper(string(d.Task)),
		"smilesColumn": d.SMILESColumn, "targets": nonNil(d.Targets), "rows": d.Rows, "rejected": d.Rejected,
		"standardized": d.Standardized, "standardizedRows": d.Changed, "hash": d.Hash,
		"bytes": float64(d.Bytes), "createdAt": d.CreatedAt,
	}
}

// datasetResultView is the ImportResult of an upload.
func datasetResultView(r datasets.Result) map[string]any {
	errs := make([]any, len(r.Errors))
	for i, e := range r.Errors {
		loc := e.Location()
		if e.Field != "" {
			loc += " (" + e.Field + ")"
		}
		errs[i] = map[string]any{"location": loc, "message": e.Message, "line": e.Line, "column": e.Column}
	}
	var warnings []string
	if omitted := r.Rejected - len(r.Errors); omitted > 0 {
		warnings = append(warnings, fmt.Sprintf("%d more rejected rows are not listed (limit MaxErrors)", omitted))
	}
	if r.Standardized > 0 {
		warnings = append(warnings, fmt.Sprintf("the standardizer changed %d molecules", r.Standardized))
	}
	v := map[string]any{"accepted": r.Accepted, "rejected": r.Rejected, "errors": errs, "committed": r.Committed,
		"skipped": []any{}, "unlinkedSamples": 0, "warnings": nonNil(warnings), "dataset": nil}
	if r.Committed {
		v["dataset"] = datasetView(r.Dataset)
	}
	return v
}

// Register adds the dataset resolvers and POST /import/dataset.
func (d *Datasets) Register(r *Registry) error {
	r.Handle("/import/dataset", d.importHandler(r))
	return registerAll(r, []field{
		{"Query", "datasets", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			list, err := d.Store.List(asCaller(ctx))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, ds := range list {
				out[i] = datasetView(ds)
			}
			return out, nil
		}}},
		{"Query", "dataset", Resolver{Perm: auth.MoleculesRead, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			ds, err := d.Store.Get(asCaller(ctx), argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return datasetView(ds), nil
		}}},
		{"Mutation", "uploadDataset", Resolver{Perm: auth.MoleculesEdit, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			in, _ := p.Args["input"].(map[string]any)
			csv, _ := in["csv"].(string)
			input := datasets.Input{SMILESColumn: "smiles"}
			input.Name, _ = in["name"].(string)
			if s, ok := in["smilesColumn"].(string); ok {
				input.SMILESColumn = s
			}
			input.Targets = stringList(in["targets"])
			t, _ := in["task"].(string)
			input.Task = taskOf(t)
			input.Standardize, _ = in["standardize"].(bool)
			res, err := d.Store.Upload(ctx, input, strings.NewReader(csv))
			if err != nil {
				return nil, err
			}
			return datasetResultView(res), nil
		}}},
		{"Mutation", "deleteDataset", Resolver{Perm: auth.MoleculesEdit, Fn: func(ctx context.Context, p gql.ResolveParams) (any, error) {
			ds, err := d.Store.Delete(ctx, argString(p, "id"))
			if err != nil {
				return nil, err
			}
			return datasetView(ds), nil
		}}},
	})
}

// datasetInputOf reads an upload's description from the query string of
// POST /import/dataset: name, smilesColumn (default "smiles"), one target
// parameter per target column, task and standardize.
func datasetInputOf(q map[string][]string) (datasets.Input, error) {
	one := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	in := datasets.Input{Name: one("name"), SMILESColumn: one("smilesColumn"), Targets: q["target"], Task: taskOf(one("task"))}
	if in.SMILESColumn == "" {
		in.SMILESColumn = "smiles"
	}
	switch one("standardize") {
	case "", "false", "0":
	case "true", "1":
		in.Standardize = true
	default:
		return in, fmt.Errorf("query parameter standardize: %w: want true or false", errInvalid)
	}
	if err := store.CheckName("query parameter name", in.Name); err != nil {
		return in, err
	}
	return in, nil
}

// importHandler serves POST /import/dataset?name=N&target=T[&target=T2…]
// &task=regression|classification[&smilesColumn=C][&standardize=true]:
// the body is the CSV (gzip allowed), received through the streaming
// imports' machinery (size and rate limits, the spool quota, gzip caps,
// the client leaving) and stored by datasets.Store.Upload in one staged
// write. The answer is the ImportResult as JSON (200 when stored, 400
// when no row was good); the call is audited like a mutation.
func (d *Datasets) importHandler(r *Registry) http.Handler {
	a := r.api
	const op = "import dataset"
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		closeUnread(w, req)
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeErrors(w, http.StatusMethodNotAllowed, &apiError{msg: "POST the CSV as the request body", code: CodeBadInput})
			return
		}
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		pr, _ := auth.FromContext(req.Context())
		info := store.AuditInfo{Actor: pr.TokenID, Role: string(pr.Role), Operation: op}
		ctx := req.Context()
		if !pr.Can(auth.MoleculesEdit) {
			a.audit(ctx, info, "denied: "+CodeForbidden)
			writeErrors(w, http.StatusForbidden, &apiError{msg: fmt.Sprintf("role %s may not upload datasets (it needs %s)", pr.Role, auth.MoleculesEdit), code: CodeForbidden})
			return
		}
		in, err := datasetInputOf(req.URL.Query())
		if err == nil {
			w.Header().Del("Connection")
			var res datasets.Result
			if res, err = d.receive(store.WithAudit(ctx, info), a, w, req, in); err == nil {
				status := http.StatusOK
				if !res.Committed {
					status = http.StatusBadRequest
					a.audit(context.WithoutCancel(ctx), info, "error: "+CodeBadInput)
				}
				writeJSON(w, status, datasetResultView(res))
				return
			}
		}
		a.importFailed(ctx, w, info, op, err)
	})
}

// receive spools the body and uploads it.
func (d *Datasets) receive(ctx context.Context, a *API, w http.ResponseWriter, req *http.Request, in datasets.Input) (datasets.Result, error) {
	sp, err := a.receive(w, req)
	if err != nil {
		return datasets.Result{}, err
	}
	defer sp.close()
	f, err := guardedSource(ctx, sp.path, a.cfg.Limits)()
	if err != nil {
		return datasets.Result{}, err
	}
	defer f.Close()
	return d.Store.Upload(ctx, in, io.Reader(f))
}
