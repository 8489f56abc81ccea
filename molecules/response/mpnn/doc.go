// Package mpnn owns the directed message-passing neural network (D-MPNN,
// Yang et al. 2019, the model behind Chemprop) used for molecular property
// prediction: featurisation of a parsed molecule into a directed bond graph,
// the network as a gorgonia expression graph built from graph Ops written
// here (gather, scatter-sum, bond-message, segment readout, fused dense
// layers) on rl/nn's op machinery (nn.OpBase, nn.Recorder, the masked
// losses nn.MaskedMSE/MaskedBCE, and nn.Program, the allocation-free
// executor), its symbolic backward pass from gorgonia.Grad, training with Adam and early
// stopping (or, to refit on more rows, a stop at a chosen epoch of the
// same learning-rate schedule: Config.Stop), optional per-atom features
// after the built-in ones (Config.AtomExtras, WithAtomFeatures), batched
// prediction, per-atom occlusion attributions and a binary model format.
//
// The network, for a molecule with atom features f_v and bond features f_vw:
//
//	h⁰_vw = ReLU(W_i [f_v, f_vw])                      one row per directed bond v→w
//	h^t_vw = ReLU(W_i [f_v, f_vw] + W_h Σ_{k∈N(v)\w} h^{t-1}_kv)   t = 1..Depth-1
//	h_v   = ReLU(W_o [f_v, Σ_{k∈N(v)} h_kv] + b_o)
//	z     = mean_v h_v (or sum), concatenated with optional extra features
//	y     = FFN(z)                                      ReLU hidden layers, linear output
//
// Regression targets are standardised inside Train (per task, training
// mean and SD) and predictions are returned in the original units;
// classification outputs are probabilities. Missing targets (NaN) are masked
// out of the loss.
package mpnn
