// Package nn is rxlab's training core: multi-layer perceptrons that train on
// gorgonia graphs at the speed of hand-written SIMD code.
//
// A network (MLP, built by New from a Config of layer sizes, activations and
// a seed) keeps its weights in gorgonia tensors. A Trainer builds, per batch
// size, a gorgonia ExprGraph made of fused dense+bias+activation ops and a
// Loss op; gorgonia.Grad differentiates it symbolically through the ops'
// SymDiff into backward ops (activation gradient, dY·Wᵀ, Xᵀ·dY, bias column
// sums). The graph is then compiled once into a flat, allocation-free
// schedule of the ops' kernels (package kernels: AVX2/FMA assembly with a
// portable fallback), and each Trainer.Step runs it and applies Adam in place.
// The same graph also runs under gorgonia's TapeMachine, which the tests use
// to check the executor.
//
//	m, _ := nn.New(nn.Config{Sizes: []int{16, 64, 64, 8},
//		Activations: []nn.Activation{nn.Tanh, nn.Tanh, nn.Identity}, Seed: 1})
//	tr, _ := nn.NewTrainer(m, nn.PPO{Actions: 7, Clip: 0.2, ValueCoef: 0.5, EntropyCoef: 0.01})
//	loss, err := tr.Step(obs, aux)    // forward + backward + Adam, 0 allocs
//	err = m.Forward(obs1, 1, logits)  // acting: reads the live weights, no graph
//
// Losses are pluggable (Loss): MSE for regression, MaskedMSE and MaskedBCE
// for multi-task models with missing labels, and PPO (clipped surrogate + value loss + entropy bonus over
// categorical logits) ship with the package. NewPlainTrainer builds the same
// network from gorgonia's stock ops (Mul, BroadcastAdd, Tanh, ...) with
// gorgonia's AdamSolver and TapeMachine: the reference the fast path is
// tested and benchmarked against. MarshalBinary/UnmarshalBinary checkpoint
// weights and Adam moments. Trainer.SetDropout adds dropout of the hidden
// activations in training (a mask op per hidden layer, redrawn each step from
// a seeded stream); Forward is unaffected.
//
// The graph-op machinery is exported for other networks built the same way
// (the message-passing network of molecules/response/mpnn): KernelOp and
// OpBase for ops with a float32 kernel, Recorder for their ordered inputs,
// Compile/Program for the allocation-free executor (which also runs
// gorgonia's Add of gradients), NewLossOp for a Loss as a graph op over a
// live row count, and the masked losses MaskedMSE and MaskedBCE (NaN
// targets are unlabelled) for multi-task models.
//
// An MLP, its trainers and graphs belong to one goroutine at a time.
package nn
