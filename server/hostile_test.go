package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hostile suite of issue #20: every row of the table, and deep
// nesting of every other syntax, sent over real HTTP to a real server
// subprocess at default limits. Each case must get a clear coded error (or
// a right answer) within its deadline; afterwards the process still
// answers /healthz, its peak resident memory during the case stayed under
// hxCeilingMB above where it started, and nothing was half-committed
// (patients, molecules and saved cohorts are counted before and after).
//
// awaitingFix lists the cases whose fix has not landed yet, by case id,
// with the reason; they are skipped. The lead shrinks it as fixes land:
// delete a line and the case runs.
var awaitingFix = map[string]string{}

// hxCeilingMB is the most extra memory any single hostile request may cost
// the server at default limits (issue #20's acceptance).
const hxCeilingMB = 256

// hxCase is one hostile input.
type hxCase struct {
	id, what string
	// writes: the case checks its own counts; otherwise patients,
	// molecules and saved cohorts must be what they were before.
	writes bool
	// ceilingMB overrides hxCeilingMB for a case that is many requests
	// at once rather than one (row 16's load).
	ceilingMB float64
	run       func(t *testing.T, s *hxServer)
}

// runCases runs each case as a subtest with the checks every case shares.
func runCases(t *testing.T, s *hxServer, cases []hxCase) {
	for _, c := range cases {
		t.Run(c.id+"_"+c.what, func(t *testing.T) {
			if why, ok := awaitingFix[c.id]; ok {
				t.Skip("awaiting fix: " + why)
			}
			if s.revive() {
				t.Log("restarted the server, which an earlier case killed")
			}
			before := s.counts(t)
			mem := startMem(s.c.cmd.Process.Pid)
			c.run(t, s)
			extra := mem.extraMB()
			s.healthz(t)
			ceiling := float64(hxCeilingMB)
			if c.ceilingMB > 0 {
				ceiling = c.ceilingMB
			}
			if extra > ceiling {
				t.Errorf("the server's resident memory peaked %.0f MB above its start (ceiling %.0f MB)", extra, ceiling)
			}
			t.Logf("peak extra memory %.0f MB", extra)
			if after := s.counts(t); !c.writes && after != before {
				t.Errorf("counts changed: before %+v, after %+v", before, after)
			}
		})
	}
}

var badInput = []int{http.StatusBadRequest}

// TestHostile runs the table's rows that share one server: parsing (1 and
// every other syntax nested deep), criteria cost (4, 5, 7), memory (8, 9,
// 10), HTTP (11), auth (14), names (15) and a short mixed load (16).
func TestHostile(t *testing.T) {
	s := hxStart(t)
	s.gq(t, s.admin, `mutation($d: String!) { importPatients(format: "matchminer-clinical", data: $d) { accepted } }`,
		map[string]any{"d": clinicalCSV("HX-", 0, 2000, func(i int) int { return 1930 + i%70 })}, 60*time.Second).ok(t, "import 2,000 patients")
	var smiles []string
	for i := 1; i <= 150; i++ {
		smiles = append(smiles, strings.Repeat("C", i%20+1)+"O", "c1ccccc1"+strings.Repeat("C", i%12)+"N")
	}
	s.gq(t, s.token(t, "chemist"), `mutation($s: [String!]!) { addMolecules(library: "hxlib", smiles: $s) { accepted } }`,
		map[string]any{"s": smiles}, 60*time.Second).ok(t, "add a library")
	var cases []hxCase
	cases = append(cases, parsingCases()...)
	cases = append(cases, criteriaCases()...)
	cases = append(cases, memoryCases()...)
	cases = append(cases, httpCases()...)
	cases = append(cases, authCases()...)
	cases = append(cases, nameCases()...)
	cases = append(cases, loadCase())
	// Row 9 last: before its fix, its work went on after the answer and
	// its memory would be charged to the cases after it.
	cases = append(cases, pgxCase())
	runCases(t, s, cases)
	s.auditOK(t)
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// rawGQL posts a hand-built JSON body (so it can be deeper than
// encoding/json would write).
func rawGQL(t *testing.T, s *hxServer, role, body string, d time.Duration) hxAnswer {
	return s.send(t, "POST", "/graphql", s.token(t, role), []byte(body), d)
}

// parsingCases are row 1 and deep nesting of every other syntax: the
// pre-scan must refuse them before graphql-go's recursive parser runs.
func parsingCases() []hxCase {
	const d = 10 * time.Second
	deep := func(id, what, body string) hxCase {
		return hxCase{id: id, what: what, run: func(t *testing.T, s *hxServer) {
			rawGQL(t, s, "designer", body, d).refused(t, what, d, badInput, "BAD_USER_INPUT")
		}}
	}
	get := func(n int) func(t *testing.T, s *hxServer) hxAnswer {
		return func(t *testing.T, s *hxServer) hxAnswer {
			return s.send(t, "GET", "/graphql?query="+url.QueryEscape(repeat("{a", n)), s.token(t, "designer"), nil, d)
		}
	}
	return []hxCase{
		deep("1a", "list_literal_700k", `{"query":"{ cohortCount(criteria: {race: `+repeat("[", 700000)+`"}`),
		deep("1b", "selection_open_1M", `{"query":"`+repeat("{a", 1000000)+`"}`),
		{id: "1c", what: "GET_900KB", run: func(t *testing.T, s *hxServer) {
			get(112000)(t, s).refused(t, "GET with 900 KB of nesting", d, badInput, "BAD_USER_INPUT")
		}},
		{id: "1d", what: "GET_1MB", run: func(t *testing.T, s *hxServer) {
			// Over net/http's 1 MB header limit: refused before the handler (431).
			a := get(140000)(t, s)
			if a.err != nil || a.status < 400 || a.status >= 500 || a.elapsed > d {
				t.Errorf("GET of 1 MB: %s", a)
			}
		}},
		{id: "1m", what: "GET_variables_nested", run: func(t *testing.T, s *hxServer) {
			q := url.QueryEscape("query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }")
			v := url.QueryEscape(`{"c":{"race":` + repeat("[", 100000) + `"x"` + repeat("]", 100000) + `}}`)
			a := s.send(t, "GET", "/graphql?query="+q+"&variables="+v, s.token(t, "designer"), nil, d)
			a.refused(t, "GET with variables nested 100,000 deep", d, badInput, "BAD_USER_INPUT")
		}},
		deep("1e", "object_values", `{"query":"{ cohortCount(criteria: `+repeat("{not: ", 100000)+`{sex: [MALE]}`+repeat("}", 100000)+`) { count } }"}`),
		deep("1f", "objects_in_variables", `{"query":"query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }","variables":{"c":`+
			repeat(`{"not":`, 100000)+`{"sex":["MALE"]}`+repeat("}", 100000)+`}}`),
		deep("1g", "lists_in_variables", `{"query":"query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }","variables":{"c":{"race":`+
			repeat("[", 100000)+`"x"`+repeat("]", 100000)+`}}}`),
		deep("1h", "selection_sets_closed", `{"query":"{ health `+repeat("{ ok ", 100000)+repeat("}", 100001)+`"}`),
		deep("1i", "inline_fragments", `{"query":"{ `+repeat("... on Query { ", 100000)+`health { ok }`+repeat(" }", 100000)+` }"}`),
		deep("1j", "list_types_in_variable_definitions", `{"query":"query($v: `+repeat("[", 100000)+`String`+repeat("]", 100000)+`) { health { ok } }"}`),
		deep("1k", "arguments_in_directives", `{"query":"{ health @include(if: `+repeat("[", 100000)+`true`+repeat("]", 100000)+`) { ok } }"}`),
		{id: "1l", what: "fragment_spread_chain_3000", run: func(t *testing.T, s *hxServer) {
			var b strings.Builder
			b.WriteString("{ ...F0 }\n")
			for i := 0; i < 3000; i++ {
				fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
			}
			b.WriteString("fragment F3000 on Query { health { ok } }\n")
			a := s.gq(t, s.token(t, "designer"), b.String(), nil, d)
			if a.err != nil || a.elapsed > d || (a.status == 200 && a.get("health", "ok") != true) || (a.status != 200 && !a.hasCode("BAD_USER_INPUT")) {
				t.Errorf("a chain of 3,000 fragment spreads: %s", a)
			}
		}},
	}
}

// criteriaRules returns n distinct leaf rules as JSON values.
func criteriaRules(n int) []any {
	out := make([]any, n)
	for i := range out {
		switch i % 3 {
		case 0:
			out[i] = map[string]any{"age": map[string]any{"min": i % 90}}
		case 1:
			out[i] = map[string]any{"age": map[string]any{"max": 20 + i%80}}
		default:
			out[i] = map[string]any{"sex": []any{"MALE"}}
		}
	}
	return out
}

const countQ = `query($c: CriteriaInput!) { cohortCount(criteria: $c) { count } }`

// countOrTooComplex checks a count answered, or was refused as too complex
// naming its limit, within d.
func countOrTooComplex(t *testing.T, a hxAnswer, what string, d time.Duration) {
	t.Helper()
	switch {
	case a.err != nil || a.elapsed > d:
		t.Errorf("%s: no answer within %v: %s", what, d, a)
	case a.hasCode("QUERY_TOO_COMPLEX"):
		a.refused(t, what, d, nil, "QUERY_TOO_COMPLEX")
	case a.status != 200 || len(a.codes) > 0 || a.get("cohortCount", "count") == nil:
		t.Errorf("%s: %s", what, a)
	}
}

// criteriaCases are rows 4, 5 and 7: evaluation work bounded before it starts.
func criteriaCases() []hxCase {
	const d = 10 * time.Second
	atLeast := func(n, of int) func(t *testing.T, s *hxServer) {
		return func(t *testing.T, s *hxServer) {
			c := map[string]any{"atLeast": map[string]any{"n": n, "of": criteriaRules(of)}}
			countOrTooComplex(t, s.gq(t, s.admin, countQ, map[string]any{"c": c}, d), fmt.Sprintf("atLeast %d of %d", n, of), d)
		}
	}
	return []hxCase{
		{id: "4a", what: "atLeast_1000_of_2000", run: atLeast(1000, 2000)},
		{id: "4b", what: "atLeast_5000_of_10000", run: atLeast(5000, 10000)},
		{id: "5", what: "saved_cohorts_3_levels_x_100", writes: true, run: savedCohortLevels},
		{id: "7a", what: "100k_leaves_in_text", run: func(t *testing.T, s *hxServer) {
			var b strings.Builder
			b.WriteString(`{ cohortCount(criteria: {any: [`)
			for i := 0; i < 10; i++ {
				b.WriteString(`{any: [` + repeat(`{sex: [MALE]} `, 10000) + `]} `)
			}
			b.WriteString(`]}) { count } }`)
			s.gq(t, s.admin, b.String(), nil, d).refused(t, "100,000 leaves", d, badInput, "BAD_USER_INPUT", "QUERY_TOO_COMPLEX")
		}},
		{id: "7b", what: "40k_leaves_in_variables", run: func(t *testing.T, s *hxServer) {
			var groups []any
			for range 4 {
				groups = append(groups, map[string]any{"any": criteriaRules(10000)})
			}
			a := s.gq(t, s.admin, countQ, map[string]any{"c": map[string]any{"any": groups}}, d)
			a.refused(t, "40,000 leaves", d, nil, "QUERY_TOO_COMPLEX", "BAD_USER_INPUT")
		}},
		{id: "7c", what: "3.6MB_nested_literal", run: func(t *testing.T, s *hxServer) {
			var b strings.Builder
			b.WriteString(`{ cohortCount(criteria: {all: [`)
			for b.Len() < 3_600_000 {
				b.WriteString(`{any: [{not: {age: {min: 18}}}, {all: [{sex: [MALE]}, {race: ["x"]}]}]}, `)
			}
			b.WriteString(`]}) { count } }`)
			s.gq(t, s.admin, b.String(), nil, d).refused(t, "3.6 MB literal", d, badInput, "BAD_USER_INPUT", "QUERY_TOO_COMPLEX")
		}},
	}
}

// savedCohortLevels is row 5: 100 saved cohorts, 100 that each take any of
// them, 100 more over those; saving and counting stay within the deadline
// (or are refused as too complex), and a refused save stores nothing.
func savedCohortLevels(t *testing.T, s *hxServer) {
	const d = 10 * time.Second
	before := s.counts(t).cohorts
	saveQ := `mutation($n: String!, $c: CriteriaInput!) { saveCohort(name: $n, criteria: $c) { id } }`
	var prev []any
	saved := 0
	for level := 1; level <= 3; level++ {
		ids := make([]any, 100)
		var wg sync.WaitGroup
		var mu sync.Mutex
		errs := 0
		for i := range 100 {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := map[string]any{"age": map[string]any{"min": i % 90}}
				if prev != nil {
					refs := make([]any, len(prev))
					for k, id := range prev {
						refs[k] = map[string]any{"cohort": id}
					}
					c = map[string]any{"all": []any{map[string]any{"any": refs}, map[string]any{"age": map[string]any{"max": 100 - i%50}}}}
				}
				a := s.gq(t, s.admin, saveQ, map[string]any{"n": fmt.Sprintf("hx-l%d-%d", level, i), "c": c}, d)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case a.err == nil && a.status == 200 && len(a.codes) == 0:
					ids[i] = a.get("saveCohort", "id")
					saved++
				case a.hasCode("QUERY_TOO_COMPLEX"):
					errs++
				default:
					t.Errorf("save level %d #%d: %s", level, i, a)
				}
				if a.elapsed > d {
					t.Errorf("save level %d #%d took %v", level, i, a.elapsed)
				}
			}(i)
		}
		wg.Wait()
		if errs > 0 {
			t.Logf("level %d: %d saves refused as too complex", level, errs)
		}
		prev = nil
		for _, id := range ids {
			if id != nil {
				prev = append(prev, id)
			}
		}
		if len(prev) == 0 {
			break
		}
		c := map[string]any{"cohort": prev[0]}
		countOrTooComplex(t, s.gq(t, s.admin, countQ, map[string]any{"c": c}, d), fmt.Sprintf("count of a level-%d cohort", level), d)
	}
	if got := s.counts(t).cohorts; got != before+saved {
		t.Errorf("saved cohorts: %d before, %d answered saved, %d after", before, saved, got)
	}
}

// pgxVCF is a VCF of samples samples over a few CYP2C19 positions.
func pgxVCF(samples, lines int) string {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := range samples {
		fmt.Fprintf(&b, "\tS%05d", i)
	}
	b.WriteString("\n")
	pos := []string{"94761900\trs12248560\tC\tT", "94762706\trs28399504\tA\tG", "94762712\trs367543002\tC\tT", "94775367\trs4986893\tG\tA"}
	for l := range lines {
		b.WriteString("chr10\t" + pos[l%len(pos)] + "\t.\tPASS\t.\tGT")
		for i := range samples {
			b.WriteString([]string{"\t0/1", "\t0/0", "\t1/1"}[(i+l)%3])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// pgxCase is row 9: a 1.7 MB VCF of 60,000 samples to pgxCall.
func pgxCase() hxCase {
	const d = 20 * time.Second
	return hxCase{id: "9", what: "pgxCall_1.7MB_60000_samples", run: func(t *testing.T, s *hxServer) {
		vcf := pgxVCF(60000, 5)
		a := s.gq(t, s.admin, `query($v: String!) { pgxCall(vcf: $v) { gene diplotype } }`, map[string]any{"v": vcf}, d)
		a.refused(t, fmt.Sprintf("pgxCall of %d bytes, 60,000 samples", len(vcf)), d, nil, "PAYLOAD_TOO_LARGE", "BAD_USER_INPUT", "LIMIT_EXCEEDED")
	}}
}

// memoryCases are rows 8 and 10: inputs that used to take gigabytes.
func memoryCases() []hxCase {
	const d = 20 * time.Second
	vcfPath := "/import/vcf?patient=HX-000001&origin=GERMLINE&sample=S1"
	return []hxCase{
		{id: "8a", what: "similarMolecules_50_nBits", run: func(t *testing.T, s *hxServer) {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range 50 {
				fmt.Fprintf(&b, "a%d: similarMolecules(library: \"hxlib\", smiles: \"CCO\", nBits: %d, minSimilarity: 0.1) { name } ", i, 100+i)
			}
			b.WriteString("}")
			s.gq(t, s.token(t, "chemist"), b.String(), nil, d).refused(t, "50 aliases of other nBits", d, nil, "BAD_USER_INPUT")
		}},
		{id: "8b", what: "similarMolecules_50_allowed_shapes_x3", run: func(t *testing.T, s *hxServer) {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range 50 {
				fmt.Fprintf(&b, "a%d: similarMolecules(library: \"hxlib\", smiles: \"CCO\", nBits: %d, radius: %d, minSimilarity: 0.1) { name } ",
					i, []int{512, 1024, 2048, 4096}[i%4], 1+i%3)
			}
			b.WriteString("}")
			for r := range 3 {
				a := s.gq(t, s.token(t, "chemist"), b.String(), nil, d)
				if a.err != nil || a.elapsed > d || (len(a.codes) > 0 && a.hasCode("INTERNAL", "TIMEOUT")) || (len(a.codes) == 0 && a.status != 200) {
					t.Errorf("round %d: %s", r, a)
				}
			}
		}},
		{id: "10a", what: "vcf_gzip_header_lines", run: func(t *testing.T, s *hxServer) {
			gz, n := gzipRepeat(t, []byte(repeat("##a=b\n", 1<<20)), 16, 1_500_000)
			a := s.send(t, "POST", vcfPath, s.admin, gz, d)
			a.refused(t, fmt.Sprintf("gzip of %d header bytes", n), d, nil, "BAD_USER_INPUT", "PAYLOAD_TOO_LARGE")
		}},
		{id: "10b", what: "vcf_gzip_2GiB_zeros", run: func(t *testing.T, s *hxServer) {
			gz, _ := gzipRepeat(t, make([]byte, 1<<20), 64, 2_100_000)
			a := s.send(t, "POST", vcfPath, s.admin, gz, d)
			a.refused(t, "gzip of 2 GiB zeros", d, []int{413, 400}, "PAYLOAD_TOO_LARGE", "BAD_USER_INPUT")
		}},
	}
}

var statusLine = regexp.MustCompile(`^HTTP/1\.1 (\d{3})`)

// httpCases are row 11 and a client leaving an upload: uploads are bounded
// by declared size and by rate.
func httpCases() []hxCase {
	head := func(s *hxServer, length int64) string {
		return fmt.Sprintf("POST /import/vcf?patient=HX-000001&origin=GERMLINE&sample=S1 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", s.c.addr, s.admin, length)
	}
	return []hxCase{
		{id: "11a", what: "content_length_10GB", run: func(t *testing.T, s *hxServer) {
			out, took := s.rawRequest(t, "", head(s, 10<<30), nil, 5*time.Second)
			if m := statusLine.FindStringSubmatch(out); m == nil || m[1] != "413" || took > 3*time.Second || !strings.Contains(out, "PAYLOAD_TOO_LARGE") {
				t.Errorf("declared 10 GB: after %v: %.300q", took, out)
			}
		}},
		{id: "11b", what: "a_byte_every_2s", run: func(t *testing.T, s *hxServer) {
			out, took := s.rawRequest(t, "", head(s, 100000), func(c net.Conn) {
				for i := 0; i < 15; i++ {
					if _, err := c.Write([]byte("#")); err != nil {
						return
					}
					time.Sleep(2 * time.Second)
				}
			}, 40*time.Second)
			m := statusLine.FindStringSubmatch(out)
			if m == nil || (m[1] != "408" && m[1] != "400") || took > 25*time.Second {
				t.Errorf("a byte every 2 s: after %v: %.300q", took, out)
			}
		}},
		{id: "x1", what: "client_leaves_an_upload", run: func(t *testing.T, s *hxServer) {
			logBefore := s.c.log.Len()
			s.rawRequest(t, "", head(s, 1<<20), func(c net.Conn) {
				c.Write([]byte(repeat("##a=b\n", 4000)))
				c.Close()
			}, 5*time.Second)
			time.Sleep(time.Second)
			if l := s.c.log.String()[logBefore:]; strings.Contains(l, "INTERNAL") || strings.Contains(l, `"status":500`) {
				t.Errorf("a departed upload is logged as an internal error: %s", tail(l, 2000))
			}
		}},
	}
}

// authCases are row 14: token failures from 127.0.0.2 and .3, so the
// backoff they earn does not reach the suite's own address.
func authCases() []hxCase {
	return []hxCase{
		{id: "14a", what: "lowercase_scheme", run: func(t *testing.T, s *hxServer) {
			a := s.sendFrom(t, "", "POST", "/graphql", "bearer "+s.admin, []byte(`{"query":"{ me { role } }"}`), 5*time.Second)
			a.ok(t, "Authorization: bearer <token>")
		}},
		{id: "14b", what: "revoked_equals_unknown", run: func(t *testing.T, s *hxServer) {
			a := s.gq(t, s.admin, `mutation { createToken(role: "designer", name: "to-revoke") { token info { id } } }`, nil, 10*time.Second).ok(t, "create")
			tok, id := a.get("createToken", "token").(string), a.get("createToken", "info", "id")
			s.gq(t, s.admin, `mutation($id: ID!) { revokeToken(id: $id) { id } }`, map[string]any{"id": id}, 10*time.Second).ok(t, "revoke")
			unknown := "rx_" + repeat("A", len(tok)-3)
			body := []byte(`{"query":"{ me { role } }"}`)
			r := s.sendFrom(t, "127.0.0.3", "POST", "/graphql", "Bearer "+tok, body, 5*time.Second)
			u := s.sendFrom(t, "127.0.0.3", "POST", "/graphql", "Bearer "+unknown, body, 5*time.Second)
			if r.status != 401 || r.status != u.status || string(r.body) != string(u.body) {
				t.Errorf("revoked and unknown tokens answer differently:\nrevoked %s\nunknown %s", r, u)
			}
		}},
		{id: "14c", what: "300_wrong_tokens", run: wrongTokens},
	}
}

// wrongTokens sends 300 wrong tokens from 127.0.0.2 as fast as answers come.
func wrongTokens(t *testing.T, s *hxServer) {
	logBefore := s.c.log.Len()
	var limited, unauth int
	var retry string
	var toks []string
	for i := range 300 {
		tok := fmt.Sprintf("rx_%043d", rand.Int64N(1<<62)+int64(i))
		toks = append(toks, tok)
		a := s.sendFrom(t, "127.0.0.2", "POST", "/graphql", "Bearer "+tok, []byte(`{"query":"{ me { role } }"}`), 5*time.Second)
		switch {
		case a.status == 429 && a.hasCode("RATE_LIMITED"):
			limited++
			retry = a.header.Get("Retry-After")
		case a.status == 401:
			unauth++
		default:
			t.Fatalf("wrong token %d: %s", i, a)
		}
	}
	if limited == 0 || unauth > 30 || retry == "" {
		t.Errorf("300 wrong tokens: %d answered 401, %d answered 429 (Retry-After %q): no backoff", unauth, limited, retry)
	}
	s.gq(t, s.admin, `{ me { role } }`, nil, 5*time.Second).ok(t, "another address is not throttled")
	l := s.c.log.String()[logBefore:]
	if !strings.Contains(l, "authentication failed") {
		t.Error("failed authentications are not logged")
	}
	for _, tok := range toks {
		if strings.Contains(l, tok) || strings.Contains(l, tok[3:20]) {
			t.Fatal("the log names a presented token")
		}
	}
	m := s.send(t, "GET", "/metrics", s.admin, nil, 5*time.Second)
	if !regexp.MustCompile(`rxlab_auth_failures_total\{outcome="throttled"\} [1-9]`).Match(m.body) {
		t.Errorf("no throttled-failure metric in /metrics: %s", m)
	}
}

// nameCases are row 15: control and bidi characters in names and ids.
func nameCases() []hxCase {
	const d = 10 * time.Second
	bad := []string{"a\x00b", "x\u202Ey", "lib\u2066z", "tab\tname", "new\nline"}
	return []hxCase{
		{id: "15a", what: "cohort_names", run: func(t *testing.T, s *hxServer) {
			for _, n := range bad {
				a := s.gq(t, s.admin, `mutation($n: String!) { saveCohort(name: $n, criteria: {sex: [MALE]}) { id } }`, map[string]any{"n": n}, d)
				a.refused(t, fmt.Sprintf("cohort name %q", n), d, nil, "BAD_USER_INPUT")
			}
		}},
		{id: "15b", what: "library_names", run: func(t *testing.T, s *hxServer) {
			for _, n := range bad {
				a := s.gq(t, s.token(t, "chemist"), `mutation($n: String!) { addMolecules(library: $n, smiles: ["CCO"]) { accepted } }`, map[string]any{"n": n}, d)
				a.refused(t, fmt.Sprintf("library name %q", n), d, nil, "BAD_USER_INPUT")
			}
		}},
		{id: "15c", what: "token_names", run: func(t *testing.T, s *hxServer) {
			for _, n := range bad {
				a := s.gq(t, s.admin, `mutation($n: String!) { createToken(role: "designer", name: $n) { token } }`, map[string]any{"n": n}, d)
				a.refused(t, fmt.Sprintf("token name %q", n), d, nil, "BAD_USER_INPUT")
			}
		}},
		{id: "15d", what: "patient_ids", run: func(t *testing.T, s *hxServer) {
			for _, n := range bad[1:] {
				csv := "SAMPLE_ID,BIRTH_DATE,GENDER\n\"" + n + "\",1950-01-01,Male\n"
				a := s.gq(t, s.admin, `mutation($d: String!) { importPatients(format: "matchminer-clinical", data: $d) { accepted rejected } }`, map[string]any{"d": csv}, d)
				if a.get("importPatients", "accepted") != 0.0 && !a.hasCode("BAD_USER_INPUT") {
					t.Errorf("patient id %q: %s", n, a)
				}
			}
		}},
	}
}

// loadCase is row 16 in short: 32 clients for 3 s of the mixed workload
// get no errors (the latency goal is measured by `go run ./bench -load`,
// not here).
func loadCase() hxCase {
	// 32 clients at once for 3 s (about 8,000 requests; 207 MB peak seen
	// at HEAD 971d5db), so not the single-request ceiling.
	return hxCase{id: "16", what: "32_clients_3s_mixed", ceilingMB: 512, run: func(t *testing.T, s *hxServer) {
		type req struct{ role, q string }
		mix := []req{
			{"designer", `{ cohortCount(criteria: {all: [{age: {min: 18}}, {sex: [FEMALE]}]}) { count display } }`},
			{"chemist", `{ molecule(smiles: "CC(=O)Oc1ccccc1C(=O)O") { canonicalSmiles descriptors { logP } } }`},
			{"pharmacologist", `{ simulate(input: {model: "warfarin-hamberg", days: 30, patient: {age: 71, weightKg: 70, heightCm: 170, genotypes: {CYP2C9: "*1/*3", VKORC1: "G/A"}}, regimen: {method: "iwpc-pgx"}}) { timeInRange } }`},
			{"clinician", `{ patient(id: "HX-000042") { id age sex } }`},
		}
		toks := map[string]string{}
		for _, r := range mix {
			toks[r.role] = s.token(t, r.role)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		n, errs := 0, []string{}
		stop := time.Now().Add(3 * time.Second)
		for c := range 32 {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for k := c; time.Now().Before(stop); k++ {
					r := mix[k%len(mix)]
					body, _ := json.Marshal(map[string]any{"query": r.q})
					a := s.send(t, "POST", "/graphql", toks[r.role], body, 30*time.Second)
					mu.Lock()
					n++
					if a.err != nil || a.status != 200 || len(a.codes) > 0 {
						errs = append(errs, r.role+": "+a.String())
					}
					mu.Unlock()
				}
			}(c)
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Errorf("%d of %d requests failed; first: %s", len(errs), n, errs[0])
		}
		t.Logf("%d requests in 3 s from 32 clients", n)
	}}
}

// hxSlow reports whether the slow hostile rows should run.
func hxSlow() bool { return os.Getenv("RXLAB_HOSTILE_SLOW") == "1" }
