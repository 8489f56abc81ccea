package graphql

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// streamFormats returns the formats of POST /import/patients.
func streamFormats() []string {
	return []string{cohorts.FormatFHIRNDJSON, cohorts.FormatSyntheaCSV, cohorts.FormatMatchMinerClinical, cohorts.FormatMatchMinerGenomic}
}

// patientsHandler serves POST /import/patients?format=F[&table=T]: the
// body is a patient file of any size (FHIR Bulk Data NDJSON, one Synthea
// CSV table, MatchMiner CSV or JSON). It follows /import/vcf's
// check-then-store rule: the body is spooled to disk, read once to check
// every record (any rejected record refuses the whole import, 400, with
// every error's line and nothing stored), then read again and stored in one
// staged write. The caller needs patients:write; the import is audited in
// one record (its targets counted and hashed, see store.Stage).
func (d *Cohorts) patientsHandler(r *Registry) http.Handler {
	a := r.api
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		const op = "import patients"
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeErrors(w, http.StatusMethodNotAllowed, &apiError{msg: "POST the file as the request body", code: CodeBadInput})
			return
		}
		// An import may take long: no write deadline; reads are bounded by
		// the upload rate instead.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		pr, _ := auth.FromContext(req.Context())
		info := store.AuditInfo{Actor: pr.TokenID, Role: string(pr.Role), Operation: op}
		ctx := req.Context()
		if !pr.Can(auth.PatientsWrite) {
			a.audit(ctx, info, "denied: "+CodeForbidden)
			writeErrors(w, http.StatusForbidden, &apiError{msg: fmt.Sprintf("role %s may not import patients (it needs %s)", pr.Role, auth.PatientsWrite), code: CodeForbidden})
			return
		}
		q := req.URL.Query()
		format, opt := q.Get("format"), cohorts.StreamOptions{Table: q.Get("table"), CreatePatients: q.Get("createPatients") == "true"}
		if !slices.Contains(streamFormats(), format) {
			a.audit(ctx, info, "error: "+CodeBadInput)
			writeErrors(w, http.StatusBadRequest, &apiError{msg: fmt.Sprintf("query parameter format: %q, want one of %v; POST /import/patients?format=F", format, streamFormats()), code: CodeBadInput})
			return
		}
		res, status, err := d.importPatientFile(store.WithAudit(ctx, info), a, w, req, format, opt)
		if err != nil {
			perr := publicError(ctx, a.log, op, err)
			a.audit(context.WithoutCancel(ctx), info, "error: "+perr.code)
			status := statusOfCode(perr.code)
			if s := statusOf(err); s == http.StatusRequestTimeout {
				status = s // the client sent too slowly
			}
			if perr.code == CodeSpoolQuota {
				w.Header().Set("Retry-After", "30")
			}
			writeErrors(w, status, perr)
			return
		}
		if status != http.StatusOK {
			a.audit(ctx, info, "error: "+CodeBadInput)
			msg := fmt.Sprintf("%d records rejected (data.errors has their lines); nothing was stored", res.Rejected)
			writeJSON(w, status, map[string]any{"data": patientImportView(res),
				"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": CodeBadInput}}}})
			return
		}
		writeJSON(w, http.StatusOK, patientImportView(res))
	})
}

// importPatientFile spools the body (under the upload limits) and runs the
// check and store passes; a check with rejections answers 400 with its
// result and stores nothing.
func (d *Cohorts) importPatientFile(ctx context.Context, a *API, w http.ResponseWriter, req *http.Request, format string, opt cohorts.StreamOptions) (cohorts.ImportResult, int, error) {
	sp, err := a.receive(w, req)
	if err != nil {
		return cohorts.ImportResult{}, 0, err
	}
	defer sp.close()
	src := guardedSource(ctx, sp.path, a.cfg.Limits)
	f, err := src()
	if err != nil {
		return cohorts.ImportResult{}, 0, err
	}
	chk, err := d.Service.CheckPatients(ctx, format, f, opt)
	f.Close()
	if err != nil {
		return cohorts.ImportResult{}, 0, err
	}
	if chk.Rejected > 0 {
		chk.Accepted = 0
		return chk, http.StatusBadRequest, nil
	}
	f, err = src()
	if err != nil {
		return cohorts.ImportResult{}, 0, err
	}
	defer f.Close()
	res, err := d.Service.ImportPatientStream(ctx, format, f, opt)
	return res, http.StatusOK, err
}

func patientImportView(r cohorts.ImportResult) map[string]any {
	v := importView(r)
	v["committed"] = r.Committed
	return v
}
