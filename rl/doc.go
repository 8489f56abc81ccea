// Package rl is rxlab's dosing-RL service: it trains dosing policies with
// PPO (package rl/ppo) on the simulated patients of rl/env, runs training
// and evaluation as durable jobs (store/jobs), keeps runs, checkpoints,
// policies and evaluations in the store, and serves trained policies through
// rl/dosing's Policy interface so simulate, recommendDose and evaluations
// treat them like the baseline protocols.
//
// # Store layout
//
//	rl/run/<id>      a training run: input, per-iteration metrics, policy id (JSON)
//	rl/ckpt/<id>     the run's latest checkpoint (raw bytes, ppo.Trainer.MarshalBinary)
//	rl/policy/<id>   a trained policy: model, run, createdAt, parameters, weights (JSON)
//	rl/eval/<id>     an evaluation: input and arms (JSON)
//
// Ids are "R<n>" for runs, "P<n>" for policies and "E<n>" for evaluations.
//
// # Trained policies as dosing methods
//
// PolicyFor's controllers ask for a measurement every day (the environment
// observes INR daily and each docetaxel cycle's nadir), so a learned arm in
// an evaluation sees more measurements than the baselines' schedules give
// them. For docetaxel the controller takes the lowest daily ANC of a cycle as
// its nadir, while the environment applies one residual error to the true
// nadir: with measurement noise the deployed policy sees slightly lower
// nadirs than in training, which makes it more cautious, not less.
//
// # Jobs
//
// "rl-training" is resumable: its Run restores the run's checkpoint (when
// there is one) and continues from that iteration, so a server restarted
// after a crash resumes training where the last checkpoint left it. The
// metrics of iterations after the checkpoint are dropped and recomputed,
// identically, because each iteration is a function of the checkpointed
// state. "rl-evaluation" is not resumable: an interrupted evaluation is
// marked failed and can be started again.
package rl
