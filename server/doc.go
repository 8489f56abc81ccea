// The server command is also rxlab's composition root: wire.go is the one
// place that builds the domain services over the store and the job runner,
// and serve.go owns start-up (admin token, job recovery, demo seeding) and
// the ordered shutdown (HTTP, then jobs, then the store).
package main
