package graphql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/rxlab/rxlab/cohorts"
	"github.com/rxlab/rxlab/genomics"
	"github.com/rxlab/rxlab/genomics/ingest"
	"github.com/rxlab/rxlab/graphql/auth"
	"github.com/rxlab/rxlab/store"
)

// inputSource reopens an import's input, so an import can read it twice: once to
// check every line and once to store. A bad line therefore rejects the whole
// import before anything is written, in constant memory.
type inputSource func() (io.ReadCloser, error)

func stringSource(s string) inputSource {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

// batchSize is how many variants go to the store in one batch.
const batchSize = 5000

func parseOrigin(s string) (genomics.Origin, error) {
	o := genomics.Origin(strings.ToUpper(s))
	if o != genomics.Germline && o != genomics.Somatic {
		return "", fmt.Errorf("origin: %w: %q, want GERMLINE or SOMATIC", errInvalid, s)
	}
	return o, nil
}

// importVCF imports one sample of a VCF into one patient: its variants,
// the genes the file tested, and its PGx calls.
func (d *Cohorts) importVCF(ctx context.Context, patientID, originName, sample string, src inputSource) (cohorts.ImportResult, error) {
	origin, err := parseOrigin(originName)
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	if strings.TrimSpace(patientID) == "" {
		return cohorts.ImportResult{}, fmt.Errorf("patientId: %w: empty", errInvalid)
	}
	opt := ingest.VCFOptions{Sample: sample, Origin: origin}
	rc, err := src()
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	sum, err := d.Ingest.VCF(ctx, rc, opt, func(genomics.Variant) error { return nil })
	rc.Close()
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	pgx := make([]genomics.PgxResult, len(sum.PGx))
	for i, r := range sum.PGx {
		pgx[i] = r.PgxResult
	}
	g, err := d.Service.BeginGenomics(ctx, origin)
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	first := true
	var batch []genomics.Variant
	flush := func() error {
		var tested []string
		var calls []genomics.PgxResult
		if first {
			tested, calls = nonNil(sum.TestedGenes), pgx
		}
		first = false
		err := g.Add(patientID, batch, tested, calls, nil, nil)
		batch = batch[:0]
		return err
	}
	rc, err = src()
	if err != nil {
		g.Fail(err)
		g.Finish()
		return cohorts.ImportResult{}, err
	}
	defer rc.Close()
	_, err = d.Ingest.VCF(ctx, rc, opt, func(v genomics.Variant) error {
		batch = append(batch, v)
		if len(batch) >= batchSize {
			return flush()
		}
		return nil
	})
	if err == nil && (len(batch) > 0 || first) {
		err = flush()
	}
	if err != nil {
		g.Fail(err)
		g.Finish()
		return cohorts.ImportResult{}, err
	}
	return g.Finish()
}

// tcgaPatient maps a TCGA tumour sample barcode to its participant.
var tcgaPatient = regexp.MustCompile(`^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})(-|$)`)

func patientOfSample(sample string) string {
	if m := tcgaPatient.FindStringSubmatch(sample); m != nil {
		return m[1]
	}
	return sample
}

// importMAF imports every tumour sample of a MAF into its patient (TCGA
// barcodes map to their participant, e.g. TCGA-AB-2802; other barcodes are
// the patient id as they are). Genes with a row count as tested.
func (d *Cohorts) importMAF(ctx context.Context, originName string, src inputSource) (cohorts.ImportResult, error) {
	origin, err := parseOrigin(originName)
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	rc, err := src()
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	sum, err := d.Ingest.MAF(ctx, rc, origin, func(string, genomics.Variant) error { return nil })
	rc.Close()
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	tested := map[string][]string{}
	for sample, genes := range sum.Genes {
		p := patientOfSample(sample)
		tested[p] = append(tested[p], genes...)
	}
	g, err := d.Service.BeginGenomics(ctx, origin)
	if err != nil {
		return cohorts.ImportResult{}, err
	}
	pending := map[string][]genomics.Variant{}
	flush := func(p string) error {
		err := g.Add(p, pending[p], tested[p], nil, nil, nil)
		tested[p] = nil
		delete(pending, p)
		return err
	}
	rc, err = src()
	if err != nil {
		g.Fail(err)
		g.Finish()
		return cohorts.ImportResult{}, err
	}
	defer rc.Close()
	_, err = d.Ingest.MAF(ctx, rc, origin, func(sample string, v genomics.Variant) error {
		p := patientOfSample(sample)
		pending[p] = append(pending[p], v)
		if len(pending[p]) >= batchSize {
			return flush(p)
		}
		return nil
	})
	for p := range pending {
		if err != nil {
			break
		}
		err = flush(p)
	}
	if err != nil {
		g.Fail(err)
		g.Finish()
		return cohorts.ImportResult{}, err
	}
	return g.Finish()
}

// receive spools an import's body under the upload limits: a declared
// Content-Length over MaxUploadBytes or over what the spool quota has left
// is refused before a byte is read; the body must arrive at MinUploadRate.
func (a *API) receive(w http.ResponseWriter, r *http.Request) (*spool, error) {
	l := a.cfg.Limits
	if err := declaredTooLarge(w, r, l.MaxUploadBytes, "MaxUploadBytes"); err != nil {
		return nil, err
	}
	rr := newRateReader(w, r.Body, l)
	sp, err := a.guard.spool.write(http.MaxBytesReader(w, rr, l.MaxUploadBytes), r.ContentLength)
	rr.done(w, err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &tooLarge{size: -1, limit: l.MaxUploadBytes, field: "MaxUploadBytes"}
	}
	return sp, err
}

// importHandler serves one streaming import endpoint: POST the file as the
// body; the caller needs patients:write; the import is audited like a mutation.
func (d *Cohorts) importHandler(r *Registry, op string, run func(ctx context.Context, q map[string]string, src inputSource) (cohorts.ImportResult, error)) http.Handler {
	a := r.api
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Every refusal below comes before the body is read.
		closeUnread(w, req)
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
		q := map[string]string{}
		for k := range req.URL.Query() {
			q[k] = req.URL.Query().Get(k)
		}
		if p := q["patient"]; p != "" {
			// Checked before the upload is read, and before it can reach
			// the audit record.
			if err := store.CheckName("query parameter patient", p); err != nil {
				a.reject(w, http.StatusBadRequest, "name", err.Error(), CodeBadInput)
				return
			}
			info.Targets = []string{"patient:" + p}
		}
		ctx := req.Context()
		if !pr.Can(auth.PatientsWrite) {
			a.audit(ctx, info, "denied: "+CodeForbidden)
			writeErrors(w, http.StatusForbidden, &apiError{msg: fmt.Sprintf("role %s may not import patients (it needs %s)", pr.Role, auth.PatientsWrite), code: CodeForbidden})
			return
		}
		w.Header().Del("Connection")
		sp, err := a.receive(w, req)
		if err == nil {
			defer sp.close()
			var res cohorts.ImportResult
			res, err = run(store.WithAudit(ctx, info), q, guardedSource(ctx, sp.path, a.cfg.Limits))
			if err == nil {
				writeJSON(w, http.StatusOK, importView(res))
				return
			}
		}
		a.importFailed(ctx, w, info, op, err)
	})
}

// importFailed answers a streaming import that failed: the error as the
// client may see it, audited, with the HTTP status of its code (408 for a
// client that sent too slowly, 503 with Retry-After for the spool quota)
// and the rejection counted in the metrics.
func (a *API) importFailed(ctx context.Context, w http.ResponseWriter, info store.AuditInfo, op string, err error) {
	perr := publicError(ctx, a.log, op, err)
	a.audit(context.WithoutCancel(ctx), info, "error: "+perr.code)
	status := statusOfCode(perr.code)
	if s := statusOf(err); s == http.StatusRequestTimeout {
		status = s // the client sent too slowly
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "30")
		a.metrics.rejected.WithLabelValues("spool-quota").Inc()
	case http.StatusRequestEntityTooLarge:
		a.metrics.rejected.WithLabelValues("upload-size").Inc()
	case http.StatusRequestTimeout:
		a.metrics.rejected.WithLabelValues("upload-rate").Inc()
	}
	writeErrors(w, status, perr)
}

func (d *Cohorts) vcfHandler(r *Registry) http.Handler {
	return d.importHandler(r, "import vcf", func(ctx context.Context, q map[string]string, src inputSource) (cohorts.ImportResult, error) {
		if strings.TrimSpace(q["patient"]) == "" {
			return cohorts.ImportResult{}, fmt.Errorf("query parameter patient: %w: empty; POST /import/vcf?patient=ID&origin=GERMLINE|SOMATIC[&sample=NAME]", errInvalid)
		}
		return d.importVCF(ctx, q["patient"], q["origin"], q["sample"], src)
	})
}

func (d *Cohorts) mafHandler(r *Registry) http.Handler {
	return d.importHandler(r, "import maf", func(ctx context.Context, q map[string]string, src inputSource) (cohorts.ImportResult, error) {
		origin := q["origin"]
		if origin == "" {
			origin = string(genomics.Somatic)
		}
		return d.importMAF(ctx, origin, src)
	})
}
