// Package jobs runs rxlab's long work (training, evaluation, model training,
// large imports) as durable jobs.
//
// A job is a record in the store (key job/<id>) with a kind, a state
// (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED), progress 0..1, a message,
// its owner and its parameters. A Runner executes at most Concurrency jobs at
// once; each gets a context that Cancel or Shutdown ends. Kinds are
// registered by the packages that own the work. At start-up, Recover requeues
// the interrupted jobs of resumable kinds (they continue from their own
// checkpoints) and marks the others FAILED with a message, so no job is left
// RUNNING forever after a crash.
package jobs
