// Package jobs runs rxlab's long work (training, evaluation, model training,
// large imports) as durable jobs.
//
// A job is a record in the store (key job/<id>) with a kind, a state
// (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED), progress 0..1, a message,
// its owner and its parameters. A Runner executes at most Concurrency jobs at
// once, first come first served; each gets a context that Cancel or Shutdown ends. Kinds are
// registered by the packages that own the work.
//
// Across a restart (Shutdown, or a crash, then New, Register and Recover):
//   - a QUEUED job never started: Shutdown leaves it QUEUED and Recover
//     launches it again, in creation order;
//   - a RUNNING job of a resumable kind saved a checkpoint (its Func returns
//     when ctx ends) and is left RUNNING by Shutdown; Recover queues it again
//     and it continues from the checkpoint;
//   - a RUNNING job of any other kind is marked FAILED with a message saying
//     it was interrupted and must be started again.
//
// No job is left RUNNING forever. Enqueue creates a job inside a caller's
// transaction, so the record that names a job (a training run) and the job
// land together; Cancel stops queued and running jobs alike.
//
// Past one process (Config.Queue): Launch submits the job to a Queue —
// NATSQueue, a JetStream work-queue stream, or MemQueue in one process —
// and any runner that Serves the queue (an API node, a worker) takes it.
// The taker beats every AckWait/4; a runner that dies stops beating and the
// queue delivers the job to another after AckWait, where a resumable kind
// continues from its checkpoint. A job may split into shards
// (Handle.RunShards, Kind.Shard): each shard is queued on its own, computed
// by whichever runner takes it, and stored at jobshard/<job>/; the job
// combines the results in index order, so the answer does not depend on
// which runner computed what. Cancel on one node reaches a job running on
// another at its next beat, and a finished state is never overwritten.
// Recover with a durable queue only resubmits QUEUED jobs: RUNNING ones
// belong to a live runner or come back by redelivery.
package jobs
