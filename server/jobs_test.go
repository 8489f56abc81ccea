package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// gql posts a document with variables and returns data and the first
// error's code ("" when none).
func gql(t *testing.T, addr, token, query string, vars map[string]any) (map[string]any, string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("status %d: %.200s", resp.StatusCode, b)
	}
	if len(out.Errors) > 0 {
		code, _ := out.Errors[0].Extensions["code"].(string)
		return out.Data, code, out.Errors[0].Message
	}
	return out.Data, "", ""
}

// must is gql that fails the test on any error.
func must(t *testing.T, addr, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	data, code, msg := gql(t, addr, token, query, vars)
	if code != "" {
		t.Fatalf("%.80s: %s %s", query, code, msg)
	}
	return data
}

// jobState polls job(id:) until its state is one of want.
func jobState(t *testing.T, addr, token, id string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		j := must(t, addr, token, `query($id: ID!) { job(id: $id) { id state error message } }`, map[string]any{"id": id})["job"].(map[string]any)
		for _, w := range want {
			if j["state"] == w {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %v, want %v", id, j, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const startTrainingQ = `mutation($in: TrainingInput!) { startTraining(input: $in) { id job { id } } }`

func trainingInput(iterations int, criteria map[string]any) map[string]any {
	pop := map[string]any{"size": 16, "seed": 5}
	if criteria != nil {
		pop["criteria"] = criteria
	}
	return map[string]any{"in": map[string]any{"model": "warfarin-hamberg", "iterations": iterations, "seed": 3, "population": pop,
		"hyperparameters": map[string]any{"envs": 8, "episodeSteps": 20, "hidden": []any{16}}}}
}

// TestQueuedJobSurvivesRestart stops the server (SIGTERM) with one training
// running and an evaluation and a training waiting for the single job
// slot. The waiting jobs must stay QUEUED, never started and never failed,
// and run after the next start; the running training stays resumable.
func TestQueuedJobSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false", "-jobs", "1")
	admin := readToken(t, dir)
	long := must(t, c.addr, admin, startTrainingQ, trainingInput(5000, nil))["startTraining"].(map[string]any)
	longJob := long["job"].(map[string]any)["id"].(string)
	jobState(t, c.addr, admin, longJob, "RUNNING")
	ev := must(t, c.addr, admin, `mutation { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["fixed"], population: {size: 12, seed: 8}, days: 5}) { id job { id state } } }`, nil)["evaluatePolicy"].(map[string]any)
	evJob := ev["job"].(map[string]any)["id"].(string)
	short := must(t, c.addr, admin, startTrainingQ, trainingInput(2, nil))["startTraining"].(map[string]any)
	shortJob := short["job"].(map[string]any)["id"].(string)

	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d: %s", code, c.log)
	}
	// Read the jobs straight from the stopped server's store.
	db, err := store.Open(store.Config{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := jobs.New(jobs.Config{DB: db})
	for _, id := range []string{evJob, shortJob} {
		j, err := r.Get(context.Background(), id)
		if err != nil || j.State != jobs.Queued || j.Attempts != 0 || j.Error != "" {
			t.Errorf("waiting job %s after shutdown: %s, %d attempts, error %q, %v", id, j.State, j.Attempts, j.Error, err)
		}
	}
	if j, _ := r.Get(context.Background(), longJob); j.State != jobs.Running || !strings.Contains(j.Message, "resumes") {
		t.Errorf("running training after shutdown: %s %q", j.State, j.Message)
	}
	db.Close()

	c2 := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false", "-jobs", "1")
	if !strings.Contains(c2.log.String(), `"resumed":3`) {
		t.Errorf("the restart did not relaunch three jobs: %s", c2.log)
	}
	// The resumed training holds the slot; cancelling it lets the others run.
	jobState(t, c2.addr, admin, longJob, "RUNNING", "QUEUED")
	cancelled := must(t, c2.addr, admin, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, map[string]any{"id": longJob})
	if s := cancelled["cancelJob"].(map[string]any)["state"]; s != "CANCELLED" {
		t.Errorf("cancelJob(resumed training) = %v", s)
	}
	jobState(t, c2.addr, admin, evJob, "SUCCEEDED")
	jobState(t, c2.addr, admin, shortJob, "SUCCEEDED")
	arms := must(t, c2.addr, admin, `query($id: ID!) { evaluation(id: $id) { arms { name patients } } }`, map[string]any{"id": ev["id"]})
	if a := arms["evaluation"].(map[string]any)["arms"].([]any); len(a) != 1 {
		t.Errorf("evaluation arms after the restart: %v", a)
	}
}

// TestStoredPopulationSkipsMinors imports 40 men, 2 of them boys, and 5
// women, then evaluates and trains on the men over HTTP: the jobs succeed,
// leave out the boys, and report it as a count by reason: exact for an
// admin, released through the disclosure guard (noisy, "<11" below the
// threshold) for the pharmacologist who ran them. A population of the 5
// women is refused before any job with COHORT_TOO_SMALL.
func TestStoredPopulationSkipsMinors(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "-data", dir, "-addr", "127.0.0.1:0", "-demo=false")
	admin := readToken(t, dir)
	imp := must(t, c.addr, admin, `mutation($d: String!) { importPatients(format: "matchminer-clinical", data: $d) { accepted rejected } }`,
		map[string]any{"d": clinicalRecords(38, 2, 5)})
	if imp["importPatients"].(map[string]any)["accepted"] != 45.0 {
		t.Fatalf("import: %v", imp)
	}
	ph := must(t, c.addr, admin, `mutation { createToken(role: "pharmacologist", name: "ph") { token } }`, nil)["createToken"].(map[string]any)["token"].(string)
	men := map[string]any{"sex": []any{"MALE"}}
	evalQ := `mutation($c: CriteriaInput) { evaluatePolicy(input: {model: "warfarin-hamberg", baselines: ["fixed", "aurora"], population: {size: 50, seed: 3, criteria: $c}, days: 7}) { id job { id } } }`
	ev := must(t, c.addr, ph, evalQ, map[string]any{"c": men})["evaluatePolicy"].(map[string]any)
	if j := jobState(t, c.addr, ph, ev["job"].(map[string]any)["id"].(string), "SUCCEEDED", "FAILED"); j["state"] != "SUCCEEDED" {
		t.Fatalf("evaluation on stored patients with minors: %v", j)
	}
	run := must(t, c.addr, ph, startTrainingQ, trainingInput(1, men))["startTraining"].(map[string]any)
	if j := jobState(t, c.addr, ph, run["job"].(map[string]any)["id"].(string), "SUCCEEDED", "FAILED"); j["state"] != "SUCCEEDED" {
		t.Fatalf("training on stored patients with minors: %v", j)
	}
	sel := `{ skipped skippedDisplay skippedReasons { reason count display suppressed } }`
	for _, q := range []struct{ field, query, id string }{
		{"evaluation", `query($id: ID!) { evaluation(id: $id) ` + sel + ` }`, ev["id"].(string)},
		{"trainingRun", `query($id: ID!) { trainingRun(id: $id) ` + sel + ` }`, run["id"].(string)},
	} {
		// An admin (patients:read) sees exact counts.
		got := must(t, c.addr, admin, q.query, map[string]any{"id": q.id})[q.field].(map[string]any)
		if got["skipped"] != 2.0 || got["skippedDisplay"] != "2" {
			t.Errorf("admin sees %s skipped %v", q.field, got)
		}
		for _, r := range got["skippedReasons"].([]any) {
			r := r.(map[string]any)
			want := 0.0
			if r["reason"] == "under 18 years" {
				want = 2
			}
			if r["count"] != want || r["suppressed"] != false {
				t.Errorf("admin sees %s reason %v", q.field, r)
			}
		}
		// The pharmacologist gets every category through the disclosure
		// guard: noisy, and hidden below 11, so the 2 minors never show.
		got = must(t, c.addr, ph, q.query, map[string]any{"id": q.id})[q.field].(map[string]any)
		again := must(t, c.addr, ph, q.query, map[string]any{"id": q.id})[q.field].(map[string]any)
		if !reflect.DeepEqual(got, again) {
			t.Errorf("asking again changed the answer: %v then %v", got, again)
		}
		reasons := got["skippedReasons"].([]any)
		if len(reasons) != 5 {
			t.Errorf("pharmacologist sees %d reason categories, want all 5: %v", len(reasons), reasons)
		}
		for _, r := range append(reasons, map[string]any{"count": got["skipped"], "display": got["skippedDisplay"], "suppressed": got["skipped"] == nil}) {
			r := r.(map[string]any)
			n, shown := r["count"].(float64)
			if shown && n < 11 || !shown && (r["display"] != "<11" || r["suppressed"] != true) {
				t.Errorf("pharmacologist sees %s %v: a count below 11 or a badly hidden one", q.field, r)
			}
		}
	}
	_, code, msg := gql(t, c.addr, ph, evalQ, map[string]any{"c": map[string]any{"sex": []any{"FEMALE"}}})
	if code != "COHORT_TOO_SMALL" || !strings.Contains(msg, "at least 11") {
		t.Errorf("a population of 5 stored patients: %s %s", code, msg)
	}
	for _, attr := range []string{"age", "sex", "female", "birth"} {
		if strings.Contains(strings.ToLower(msg), attr) {
			t.Errorf("the refusal names %q: %s", attr, msg)
		}
	}
	list := must(t, c.addr, ph, `{ jobs(first: 100) { state } }`, nil)["jobs"].([]any)
	if len(list) != 2 {
		t.Errorf("the refused population queued a job: %d jobs", len(list))
	}
}
