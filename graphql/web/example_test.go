package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/rxlab/rxlab/graphql/web"
)

// The server mounts the site at "/" beside its own routes; more specific
// patterns such as /graphql win over it.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	// Output: 200 text/html; charset=utf-8 no-cache
}

// A server that has some workbench pages passes them as links.
func ExampleNew() {
	site, err := web.New(web.Config{Links: []web.Link{
		{Title: "Cohorts", Path: "/cohorts", Description: "Cohort builder", Available: true},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/workbench.json", nil))
	fmt.Println(rec.Body.String())
	// Output: [{"title":"Cohorts","path":"/cohorts","description":"Cohort builder","available":true}]
}
