// Package ppo trains rxlab's dosing policies with proximal policy
// optimisation (Schulman et al. 2017) on the vectorized environment of
// package rl/env.
//
// It owns the algorithm: vectorized rollouts (one full episode per patient
// and iteration), generalized advantage estimation (GAE(λ)), advantage
// normalization, the clipped surrogate objective with an entropy bonus over
// a categorical distribution whose logits are masked by the environment's
// safety shield, a value function fitted by mean squared error, minibatch
// epochs, Adam, and global gradient-norm clipping over both networks.
//
// The policy and value networks are rl/nn multi-layer perceptrons: their
// training graphs are gorgonia graphs executed by the rl/nn training core
// (Trainer.LossAndGrad with a custom masked-PPO Loss), and acting at every
// environment step calls MLP.Forward on the whole batch of patients, which
// reads the live weights without a gorgonia machine. Adam runs in place with
// the rl/nn/kernels kernel on moments this package owns, because the
// gradients are clipped before the update.
//
// Everything is seeded: the same Config gives the same metrics on the same
// machine. Each iteration builds its environment from a seed derived from
// the run's seed and the iteration number, so a Trainer restored from a
// checkpoint (MarshalBinary: configuration, weights, Adam state, random
// generator state, iteration) continues exactly as an uninterrupted run.
package ppo
