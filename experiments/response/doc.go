// Package experiments holds the response models' long measurements — the
// goal models' held-out scores and the saves of full-split default models —
// run from here against the exported API of molecules/response, so that
// none of them lives in a production package. Each is a test behind a
// flag (they train for minutes to hours):
//
//	go test ./experiments/response -run TestGoals -response.long -v -timeout 2h
//	go test ./experiments/response -run TestFullSplitSaves -response.fullsave -v -timeout 2h
//	go test ./experiments/response -run TestCrossValidation -response.cv esol -v -timeout 2h
//
// The one-off probes and sweeps that chose the defaults (hyper-parameter
// and descriptor sweeps, GDSC ablations, neighbour-residual, ridge,
// per-molecule blend and pretraining probes) were deleted once measured;
// molecules/response/RESULTS.md names, per topic, the commit that holds
// each one's code, so any can be checked out and rerun.
package experiments
