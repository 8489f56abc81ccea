package main

// Browser tests of the workbench: the real server (this test binary as a
// subprocess, demo world on) driven by Debian's Chromium through chromedp.
// Each page's main path is walked and what is drawn is checked against the
// API's own answer; axe-core checks accessibility; a screenshot of each page
// is saved. They skip when Chromium is absent (CI installs it: .ci/run).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: RXLAB_CHROMIUM, else Debian's chromium.
func chromiumPath() string {
	if p := os.Getenv("RXLAB_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// bServer is a server subprocess for browser tests and benchmarks.
type bServer struct {
	addr  string
	admin string
}

// startBrowserServer runs the server with a small demo world in a temp dir.
func startBrowserServer(tb testing.TB) *bServer {
	tb.Helper()
	dir := tb.TempDir()
	cmd := exec.Command(os.Args[0], "-data", dir, "-addr", "127.0.0.1:0", "-demo-patients", "2000", "-jobs", "1")
	cmd.Env = append(os.Environ(), "RXLAB_TEST_SERVE=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	addrc := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			} else if log.Len() < 1<<16 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		cmd.Wait()
		close(done)
	}()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	s := &bServer{}
	select {
	case s.addr = <-addrc:
	case <-done:
		tb.Fatalf("server exited early: %s", log.String())
	case <-time.After(60 * time.Second):
		tb.Fatalf("server did not start: %s", log.String())
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		tb.Fatal(err)
	}
	s.admin = strings.TrimSpace(string(tok))
	return s
}

// query posts a GraphQL document and decodes data into out; it fails on errors.
func (s *bServer) query(tb testing.TB, token, q string, vars map[string]any, out any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(b, &env); err != nil || len(env.Errors) > 0 {
		tb.Fatalf("%.80s: status %d: %.300s", q, resp.StatusCode, b)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		tb.Fatal(err)
	}
}

// token creates a token for role.
func (s *bServer) token(tb testing.TB, role string) string {
	var d struct {
		CreateToken struct{ Token string } `json:"createToken"`
	}
	s.query(tb, s.admin, `mutation($r:String!){ createToken(role:$r, name:"browser"){ token } }`, map[string]any{"r": role}, &d)
	return d.CreateToken.Token
}

// newBrowser starts headless Chromium with a fresh profile; it skips when
// there is none.
func newBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path := chromiumPath()
	if path == "" {
		tb.Skip("browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set RXLAB_CHROMIUM)")
	}
	// A fresh profile; removed best-effort (Chromium's helpers may still be
	// writing to it for a moment after the browser exits).
	profile, err := os.MkdirTemp("", "rxlab-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancelB()
		cancelA()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		tb.Skipf("browser tests skipped: Chromium at %s does not start: %v", path, err)
	}
	return ctx
}

// brun runs actions with a deadline.
func brun(tb testing.TB, ctx context.Context, d time.Duration, what string, actions ...chromedp.Action) {
	tb.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Run(c, actions...); err != nil {
		var body string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 1500) : ''`, &body))
		tb.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// eval evaluates JavaScript, awaiting a promise, into out.
func eval(expr string, out any) chromedp.Action {
	return chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

// screenshotDir is where page screenshots go: RXLAB_SCREENSHOTS or a temp dir
// that is kept (its path is logged).
func screenshotDir(tb testing.TB) string {
	if d := os.Getenv("RXLAB_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	d, err := os.MkdirTemp("", "rxlab-screens-")
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func screenshot(tb testing.TB, ctx context.Context, dir, name string) {
	tb.Helper()
	var png []byte
	brun(tb, ctx, 20*time.Second, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// axeCheck injects axe-core and fails on serious or critical violations.
func axeCheck(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src, err := os.ReadFile("../graphql/web/testdata/axe.min.js")
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	var out string
	brun(t, ctx, 30*time.Second, "axe "+page,
		chromedp.Evaluate(string(src), nil),
		eval(`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations
			.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes[0].target.join(' ')}))))`, &out))
	if out != "[]" {
		t.Errorf("%s: axe-core serious/critical violations: %s", page, out)
	}
}

// defaultCriteria must equal DEFAULT_CRITERIA in src/app/cohorts.js.
var defaultCriteria = map[string]any{"all": []any{
	map[string]any{"age": map[string]any{"min": 40}},
	map[string]any{"condition": map[string]any{"system": "ICD10CM", "code": "I48", "descendants": true}},
}}

// pageCountQuery must equal COUNT in src/app/cohorts.js: a noisy answer is
// repeated (the same, free) only for the same question, selection included.
const pageCountQuery = `query($c: CriteriaInput!){ cohortCount(criteria:$c){ count display suppressed
  disclosure{ exact noiseSigma threshold countsSpent repeated }
  attrition{ rule display remaining alone } breakdown{ dimension value display count } } }`

// pagePatient must equal the patient in src/app/dosing.js.
var pagePatient = map[string]any{"age": 60, "weightKg": 75, "heightCm": 172, "sex": "FEMALE",
	"genotypes": map[string]any{"CYP2C9": "*1/*1", "VKORC1": "G/A"}}

func TestBrowserWorkbench(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	ctx := newBrowser(t)
	s := startBrowserServer(t)
	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)
	base := "http://" + s.addr

	t.Run("cohorts", func(t *testing.T) {
		brun(t, ctx, 30*time.Second, "open /cohorts",
			chromedp.Navigate(base+"/cohorts#token="+s.admin),
			chromedp.WaitVisible(`.rx-count[data-state=done]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid=trials]`, chromedp.ByQuery))
		var href string
		var shown []string
		brun(t, ctx, 10*time.Second, "read funnel",
			chromedp.Location(&href),
			eval(`[...document.querySelectorAll('[data-testid=attrition] tbody tr')].map(r => r.cells[2].textContent)`, &shown))
		if strings.Contains(href, "token") {
			t.Errorf("the token stayed in the address bar: %s", href)
		}
		var api struct {
			CohortCount struct {
				Display   string
				Attrition []struct{ Display string }
			} `json:"cohortCount"`
		}
		s.query(t, s.admin, `query($c:CriteriaInput!){ cohortCount(criteria:$c){ display attrition { display } } }`, map[string]any{"c": defaultCriteria}, &api)
		var want []string
		for _, a := range api.CohortCount.Attrition {
			want = append(want, a.Display)
		}
		if len(want) < 2 || fmt.Sprint(shown) != fmt.Sprint(want) {
			t.Errorf("funnel shows %v, the API answers %v", shown, want)
		}
		var svgLabels []string
		brun(t, ctx, 5*time.Second, "funnel svg", eval(`JSON.parse(document.querySelector('[data-chart=funnel]').dataset.values)`, &svgLabels))
		if fmt.Sprint(svgLabels) != fmt.Sprint(want) {
			t.Errorf("funnel chart labels %v, want %v", svgLabels, want)
		}
		var count string
		brun(t, ctx, 5*time.Second, "count", chromedp.Text(`[data-testid=count]`, &count, chromedp.ByQuery))
		if count != api.CohortCount.Display {
			t.Errorf("count shows %q, API %q", count, api.CohortCount.Display)
		}
		// Round trip: editing the form rewrites the JSON view, and the count follows.
		var jsonView string
		brun(t, ctx, 10*time.Second, "edit age",
			eval(`(async () => {
				const box = document.querySelector('.rx-count'); const n = box.dataset.n;
				const inp = document.querySelector('.rx-builder input[type=number]');
				inp.value = '65'; inp.dispatchEvent(new Event('input', {bubbles: true}));
				while (box.dataset.n === n) await new Promise(r => setTimeout(r, 10));
				return document.querySelector('.rx-json').value; })()`, &jsonView))
		var edited map[string]any
		if err := json.Unmarshal([]byte(jsonView), &edited); err != nil || !strings.Contains(jsonView, `"min": 65`) {
			t.Errorf("JSON view after editing age: %v %s", err, jsonView)
		}
		// And back: JSON typed into the view draws the form, whose JSON is the same tree.
		tree := `{"all":[{"age":{"min":30,"max":70}},{"any":[{"sex":["FEMALE"]},{"not":{"pgx":{"gene":"CYP2C19","phenotype":"Poor Metabolizer"}}}]},` +
			`{"atLeast":{"n":1,"of":[{"lab":{"loinc":"98979-8","op":"LT","value":60}},{"variant":{"gene":"KRAS","proteinChange":"G12C"}}]}}]}`
		var kinds []string
		var back string
		brun(t, ctx, 15*time.Second, "JSON to form",
			eval(`(async () => {
				const box = document.querySelector('.rx-count'); const n = box.dataset.n;
				const ta = document.querySelector('.rx-json');
				ta.value = `+strconv.Quote(tree)+`; ta.dispatchEvent(new Event('input', {bubbles: true}));
				while (box.dataset.n === n) await new Promise(r => setTimeout(r, 10)); })()`, nil),
			eval(`[...document.querySelectorAll('.rx-builder .rx-node')].map(n => n.dataset.kind)`, &kinds),
			eval(`(() => { const i = document.querySelector('.rx-builder .rx-node[data-kind=age] input[type=number]');
				i.value = '31'; i.dispatchEvent(new Event('input', {bubbles: true}));
				return document.querySelector('.rx-json').value; })()`, &back))
		wantKinds := "[all age any sex not pgx atLeast lab variant]"
		if fmt.Sprint(kinds) != wantKinds {
			t.Errorf("form drawn from JSON has nodes %v, want %s", kinds, wantKinds)
		}
		var got, wantTree any
		json.Unmarshal([]byte(back), &got)
		json.Unmarshal([]byte(strings.Replace(tree, `"min":30`, `"min":31`, 1)), &wantTree)
		if !reflect.DeepEqual(got, wantTree) {
			t.Errorf("round trip: JSON view after a form edit is\n%s\nwant %s with min 31", back, tree)
		}
		// Save twice (a new version), change the criteria, reopen the saved ones.
		var versions []string
		var reopened string
		brun(t, ctx, 20*time.Second, "save and reopen",
			chromedp.SetValue(`input[aria-label="cohort name"]`, "browser-af", chromedp.ByQuery),
			chromedp.Click(`//button[text()="Save"][not(@type="submit")]`, chromedp.BySearch),
			chromedp.WaitVisible(`//section[@aria-label="Saved cohorts"]//td[text()="browser-af"]`, chromedp.BySearch),
			chromedp.Click(`//button[text()="Save"][not(@type="submit")]`, chromedp.BySearch),
			chromedp.WaitVisible(`//section[@aria-label="Saved cohorts"]//tr[td[1][text()="browser-af"] and td[2][text()="2"]]`, chromedp.BySearch),
			eval(`[...document.querySelectorAll('section[aria-label="Saved cohorts"] tbody tr')].filter(r => r.cells[0].textContent === 'browser-af').map(r => r.cells[1].textContent)`, &versions),
			eval(`(() => { const ta = document.querySelector('.rx-json'); ta.value = '{"age":{"min":1}}'; ta.dispatchEvent(new Event('input', {bubbles: true})); })()`, nil),
			chromedp.Sleep(400),
			chromedp.Click(`//section[@aria-label="Saved cohorts"]//tr[td[1][text()="browser-af"] and td[2][text()="2"]]//button[text()="Open"]`, chromedp.BySearch),
			eval(`document.querySelector('.rx-json').value`, &reopened))
		var reTree any
		json.Unmarshal([]byte(reopened), &reTree)
		if !reflect.DeepEqual(reTree, wantTree) {
			t.Errorf("reopened cohort (versions %v) has criteria\n%s\nwant the saved tree", versions, reopened)
		}
		// Import a trial by pasting CTML; it joins the list.
		const ctml = "protocol_no: BROWSER-1\nlong_title: Browser test trial\ntreatment_list:\n  step:\n    - step_code: \"1\"\n" +
			"      arm:\n        - arm_code: A\n          match:\n            - clinical:\n                age_numerical: \">=18\"\n"
		var msg string
		brun(t, ctx, 20*time.Second, "import CTML",
			chromedp.Click(`//summary[text()="Import CTML"]`, chromedp.BySearch),
			chromedp.SetValue(`textarea[aria-label=CTML]`, ctml, chromedp.ByQuery),
			chromedp.Click(`//button[text()="Import"]`, chromedp.BySearch),
			chromedp.WaitVisible(`//section[@aria-label="Trials"]//p[starts-with(text(), "Imported")]`, chromedp.BySearch),
			chromedp.Text(`//section[@aria-label="Trials"]//p[starts-with(text(), "Imported")]`, &msg, chromedp.BySearch),
			chromedp.WaitVisible(`//table[@data-testid="trials"]//td[text()="BROWSER-1"]`, chromedp.BySearch))
		if !strings.Contains(msg, "BROWSER-1") {
			t.Errorf("import says %q", msg)
		}
		screenshot(t, ctx, shots, "cohorts")
		axeCheck(t, ctx, "/cohorts")
	})

	t.Run("dosing", func(t *testing.T) {
		brun(t, ctx, 30*time.Second, "open /dosing",
			chromedp.Navigate(base+"/dosing#token="+s.admin),
			chromedp.WaitVisible(`[data-chart=curve][data-arms="2"]`, chromedp.ByQuery))
		var pts string
		brun(t, ctx, 5*time.Second, "points", chromedp.AttributeValue(`[data-chart=curve]`, "data-points", &pts, nil, chromedp.ByQuery))
		var models struct {
			DrugModels []struct{ ID string } `json:"drugModels"`
		}
		s.query(t, s.admin, `{ drugModels { id } }`, nil, &models)
		want := 0
		for _, m := range []string{"fixed", "iwpc-clinical"} {
			var d struct {
				Simulate struct{ Points []struct{ Hour float64 } }
			}
			s.query(t, s.admin, `query($i:SimulationInput!){ simulate(input:$i){ points { hour } } }`, map[string]any{"i": map[string]any{
				"model": models.DrugModels[0].ID, "days": 90, "patient": pagePatient, "regimen": map[string]any{"method": m}}}, &d)
			want += len(d.Simulate.Points)
		}
		if got, _ := strconv.Atoi(pts); got != want || want == 0 {
			t.Errorf("curve has %s points, the API's two arms have %d", pts, want)
		}
		screenshot(t, ctx, shots, "dosing")
		axeCheck(t, ctx, "/dosing")
	})

	t.Run("dosing training and evaluation", func(t *testing.T) {
		var pts string
		brun(t, ctx, 60*time.Second, "train 2 iterations",
			chromedp.SetValue(`//label[span[text()="iterations"]]/input`, "2", chromedp.BySearch),
			eval(`document.evaluate('//label[span[text()="iterations"]]/input', document, null, 9, null).singleNodeValue.dispatchEvent(new Event('input', {bubbles: true}))`, nil),
			chromedp.Click(`//button[text()="Start training"]`, chromedp.BySearch),
			chromedp.WaitVisible(`[data-chart=learning][data-points="2"]`, chromedp.ByQuery),
			chromedp.AttributeValue(`[data-chart=learning]`, "data-points", &pts, nil, chromedp.ByQuery))
		// The run's policy is now in the dose table section: its heat map has a cell per API cell.
		var cells string
		brun(t, ctx, 60*time.Second, "dose table",
			chromedp.WaitVisible(`//section[@aria-label="Dose table"]//button[text()="Show"]`, chromedp.BySearch),
			chromedp.Click(`//section[@aria-label="Dose table"]//button[text()="Show"]`, chromedp.BySearch),
			chromedp.WaitVisible(`[data-chart=heatmap]`, chromedp.ByQuery),
			chromedp.AttributeValue(`[data-chart=heatmap]`, "data-cells", &cells, nil, chromedp.ByQuery))
		var pol struct {
			TrainingRuns []struct {
				Policy *struct {
					DoseTable struct{ Cells []any }
				}
			} `json:"trainingRuns"`
		}
		s.query(t, s.admin, `{ trainingRuns { policy { doseTable } } }`, nil, &pol)
		if len(pol.TrainingRuns) == 0 || pol.TrainingRuns[0].Policy == nil || strconv.Itoa(len(pol.TrainingRuns[0].Policy.DoseTable.Cells)) != cells {
			t.Errorf("heat map has %s cells; API: %+v", cells, pol)
		}
		var arms string
		brun(t, ctx, 90*time.Second, "evaluate baselines",
			chromedp.SetValue(`//section[@aria-label="Evaluation"]//select`, "", chromedp.BySearch),
			chromedp.Click(`//button[text()="Evaluate"]`, chromedp.BySearch),
			chromedp.WaitVisible(`[data-chart=forest]`, chromedp.ByQuery),
			chromedp.AttributeValue(`[data-chart=forest]`, "data-arms", &arms, nil, chromedp.ByQuery))
		var models struct {
			DrugModels []struct{ Baselines []string } `json:"drugModels"`
		}
		s.query(t, s.admin, `{ drugModels { baselines } }`, nil, &models)
		if want := strconv.Itoa(len(models.DrugModels[0].Baselines)); arms != want {
			t.Errorf("forest plot has %s arms, want one per baseline (%s)", arms, want)
		}
		screenshot(t, ctx, shots, "dosing-evaluation")
		axeCheck(t, ctx, "/dosing after training and evaluation")
	})

	t.Run("molecules", func(t *testing.T) {
		brun(t, ctx, 30*time.Second, "open /molecules",
			chromedp.Navigate(base+"/molecules#token="+s.admin),
			chromedp.WaitVisible(`[data-testid=depiction] svg`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid=descriptors]`, chromedp.ByQuery))
		var atoms int
		brun(t, ctx, 5*time.Second, "atoms", eval(`document.querySelectorAll('[data-testid=depiction] svg circle[id*=":Atom:"]').length`, &atoms))
		var d struct {
			Molecule struct{ HeavyAtoms int } `json:"molecule"`
		}
		s.query(t, s.admin, `{ molecule(smiles:"CC(=O)Oc1ccccc1C(=O)O"){ heavyAtoms } }`, nil, &d)
		if atoms != d.Molecule.HeavyAtoms || atoms == 0 {
			t.Errorf("depiction has %d atom elements, the molecule %d heavy atoms", atoms, d.Molecule.HeavyAtoms)
		}
		screenshot(t, ctx, shots, "molecules")
		axeCheck(t, ctx, "/molecules")
		// A bad SMILES marks the position the API names.
		var pos string
		brun(t, ctx, 15*time.Second, "bad smiles",
			chromedp.SetValue(`.rx-smiles`, "CC(C", chromedp.ByQuery),
			eval(`document.querySelector('.rx-smiles').dispatchEvent(new Event('input', {bubbles: true}))`, nil),
			chromedp.WaitVisible(`.rx-caret`, chromedp.ByQuery),
			chromedp.AttributeValue(`.rx-caret`, "data-position", &pos, nil, chromedp.ByQuery))
		// The marked position is the one the API names.
		body, _ := json.Marshal(map[string]any{"query": `{ molecule(smiles:"CC(C"){ formula } }`})
		req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var bad struct {
			Errors []struct {
				Extensions struct{ Position *int } `json:"extensions"`
			} `json:"errors"`
		}
		json.NewDecoder(resp.Body).Decode(&bad)
		resp.Body.Close()
		if len(bad.Errors) == 0 || bad.Errors[0].Extensions.Position == nil || strconv.Itoa(*bad.Errors[0].Extensions.Position) != pos {
			t.Errorf("bad SMILES: page marks position %q; API answered %+v", pos, bad)
		}
		// Atom contributions, once a model gives them, colour one circle per atom.
		var models struct {
			ResponseModels []struct{ ID string } `json:"responseModels"`
		}
		s.query(t, s.admin, `{ responseModels { id } }`, nil, &models)
		if len(models.ResponseModels) > 0 {
			var coloured int
			brun(t, ctx, 20*time.Second, "contributions",
				chromedp.SetValue(`.rx-smiles`, "CC(=O)Oc1ccccc1C(=O)O", chromedp.ByQuery),
				eval(`document.querySelector('.rx-smiles').dispatchEvent(new Event('input', {bubbles: true}))`, nil),
				chromedp.WaitVisible(`[data-chart=intervals]`, chromedp.ByQuery),
				eval(`(async () => { for (let i = 0; i < 200; i++) { const n = document.querySelectorAll('[data-testid=depiction] circle[data-contribution]').length; if (n) return n; await new Promise(r => setTimeout(r, 20)); } return 0; })()`, &coloured))
			t.Logf("%d response models; %d atoms coloured", len(models.ResponseModels), coloured)
			if coloured != 13 {
				t.Errorf("aspirin's depiction has %d coloured atoms, want 13", coloured)
			}
		}
	})

	t.Run("jobs and admin", func(t *testing.T) {
		var verify string
		brun(t, ctx, 30*time.Second, "open /jobs and /admin",
			chromedp.Navigate(base+"/jobs#token="+s.admin),
			chromedp.WaitVisible(`[data-testid=jobs]`, chromedp.ByQuery))
		screenshot(t, ctx, shots, "jobs")
		// A long training run is cancelled from its row.
		var run struct {
			StartTraining struct {
				Job struct{ ID string }
			} `json:"startTraining"`
		}
		var models struct {
			DrugModels []struct{ ID string } `json:"drugModels"`
		}
		s.query(t, s.admin, `{ drugModels { id } }`, nil, &models)
		s.query(t, s.admin, `mutation($m:ID!){ startTraining(input:{model:$m, iterations:500, population:{size:64}}){ job { id } } }`,
			map[string]any{"m": models.DrugModels[0].ID}, &run)
		id := run.StartTraining.Job.ID
		row := `//table[@data-testid="jobs"]//tr[td[1][text()="` + id + `"]]`
		brun(t, ctx, 20*time.Second, "cancel "+id,
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"/jobs#token="+s.admin),
			chromedp.WaitVisible(row+`//button[text()="Cancel"]`, chromedp.BySearch),
			chromedp.Click(row+`//button[text()="Cancel"]`, chromedp.BySearch),
			chromedp.WaitVisible(row+`[td[3][text()="CANCELLED"]]`, chromedp.BySearch))
		var job struct {
			Job struct{ State string } `json:"job"`
		}
		s.query(t, s.admin, `query($id:ID!){ job(id:$id){ state } }`, map[string]any{"id": id}, &job)
		if job.Job.State != "CANCELLED" {
			t.Errorf("job %s is %s after Cancel", id, job.Job.State)
		}
		brun(t, ctx, 30*time.Second, "admin",
			chromedp.Navigate(base+"/admin#token="+s.admin),
			chromedp.WaitVisible(`[data-testid=tokens]`, chromedp.ByQuery),
			chromedp.Click(`//button[text()="Verify chain"]`, chromedp.BySearch),
			chromedp.WaitVisible(`[data-testid=verify]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid=verify]`, &verify, chromedp.ByQuery))
		if !strings.HasPrefix(verify, "Chain intact") {
			t.Errorf("verify: %q", verify)
		}
		screenshot(t, ctx, shots, "admin")
		axeCheck(t, ctx, "/admin")
	})

	t.Run("schema link and GraphiQL", func(t *testing.T) {
		var sdl string
		brun(t, ctx, 20*time.Second, "schema link",
			chromedp.Navigate(base+"/jobs#token="+s.admin),
			chromedp.WaitVisible(`[data-testid=jobs]`, chromedp.ByQuery),
			chromedp.Click(`a[href="/schema.graphql"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid=sdl]`, chromedp.ByQuery),
			eval(`document.querySelector('[data-testid=sdl]').textContent`, &sdl))
		req, _ := http.NewRequest("GET", base+"/schema.graphql", nil)
		req.Header.Set("Authorization", "Bearer "+s.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if sdl != string(want) || !strings.Contains(sdl, "type Query {") {
			t.Errorf("schema link shows %d bytes, /schema.graphql with the token has %d", len(sdl), len(want))
		}
		brun(t, ctx, 30*time.Second, "GraphiQL",
			chromedp.Navigate(base+"/graphiql"),
			chromedp.WaitVisible(`.graphiql-container .monaco-editor`, chromedp.ByQuery))
		screenshot(t, ctx, shots, "graphiql")
	})

	t.Run("forbidden", func(t *testing.T) {
		chemist := s.token(t, "chemist")
		var text string
		brun(t, ctx, 15*time.Second, "chemist opens /admin",
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"/admin#token="+chemist),
			chromedp.WaitVisible(`.rx-error[data-code=FORBIDDEN]`, chromedp.ByQuery),
			chromedp.Text(`.rx-error`, &text, chromedp.ByQuery))
		if !strings.Contains(text, "Forbidden") {
			t.Errorf("forbidden page says %q", text)
		}
		screenshot(t, ctx, shots, "forbidden")
		axeCheck(t, ctx, "/admin forbidden")
	})
	t.Run("designer sees noisy counts", func(t *testing.T) {
		designer := s.token(t, "designer")
		var count, note string
		brun(t, ctx, 30*time.Second, "designer opens /cohorts",
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"/cohorts#token="+designer),
			chromedp.WaitVisible(`.rx-count[data-state=done]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid=count]`, &count, chromedp.ByQuery),
			chromedp.Text(`.rx-count .rx-muted`, &note, chromedp.ByQuery))
		var api struct {
			CohortCount struct {
				Display    string
				Disclosure struct{ Exact, Repeated bool }
			} `json:"cohortCount"`
		}
		// The same question by the same token in the same period is answered the same, free.
		s.query(t, designer, pageCountQuery, map[string]any{"c": defaultCriteria}, &api)
		if api.CohortCount.Disclosure.Exact || !strings.HasPrefix(note, "noisy") {
			t.Errorf("designer: exact %v, page says %q", api.CohortCount.Disclosure.Exact, note)
		}
		if count != api.CohortCount.Display {
			t.Errorf("designer: page shows %q, the API's repeated answer %q", count, api.CohortCount.Display)
		}
		var budget string
		brun(t, ctx, 10*time.Second, "designer's budget",
			eval(`(async () => { const b = document.querySelector('[data-testid=budget]');
				while (!b.textContent) await new Promise(r => setTimeout(r, 20)); return b.textContent; })()`, &budget))
		if !strings.Contains(budget, "more counts this period") {
			t.Errorf("budget line: %q", budget)
		}
		var code string
		brun(t, ctx, 20*time.Second, "designer asks for a trial's patients",
			chromedp.WaitVisible(`[data-testid=trials]`, chromedp.ByQuery),
			chromedp.Click(`//button[text()="Patients"]`, chromedp.BySearch),
			chromedp.WaitVisible(`.rx-error`, chromedp.ByQuery),
			chromedp.AttributeValue(`.rx-error`, "data-code", &code, nil, chromedp.ByQuery))
		if code != "FORBIDDEN" {
			t.Errorf("designer listing patients: error code %q, want FORBIDDEN", code)
		}
		screenshot(t, ctx, shots, "cohorts-designer")
		axeCheck(t, ctx, "/cohorts as a designer")
	})
}
