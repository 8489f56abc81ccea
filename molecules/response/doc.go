// Package response trains and serves rxlab's response models: molecular
// property predictors on MoleculeNet (ESOL solubility, Lipophilicity,
// FreeSolv, BBBP, Tox21) and a drug-response model on GDSC cell lines that is
// applied to patients through their stored somatic variants and copy-number
// calls. It owns the featurisation (ECFP counts and descriptors from package
// molecules), Bemis–Murcko scaffolds, seeded splits, metrics and naive
// baselines, deep-ensemble training on the gorgonia training core (rl/nn),
// uncertainty (interval, nearest-neighbour similarity, applicability domain),
// per-atom attributions, the "train-response-model" job kind and the models'
// persistence under the store's mdl/ namespace.
//
// # Datasets and tasks
//
// esol (measured log10 solubility, target logS; the upstream column is
// misnamed "logp", which stays a deprecated alias),
// lipo (logD 7.4), freesolv (hydration free energy) are regressions; bbbp
// (p_np) and tox21 are classifications. Tox21 trains one assay as a single
// task (Target "NR-AR" etc., any of the 12) or all 12 as one multi-task
// network (Target "all": the loss masks the missing labels, Prediction.Values
// holds every assay, Value the first; metrics average the assays' ROC-AUC).
// gdsc predicts ln IC50 (µM) from drug and cell line.
//
// # Features
//
// A molecule becomes the folded Morgan count vector (radius 2, folded to
// 2048 bits as RDKit's count fingerprint does, each count c entered as
// ln(1 + c)), restricted to
// the bits set in at least two training molecules (the model's Vocabulary),
// followed by the descriptor blocks of the model's DescSet, standardised
// with the training set's mean and standard deviation, which the model
// stores: NumDescriptors descriptors (RDKit MolWt, Crippen MolLogP/MolMR and
// TPSA from package molecules, plus graph counts: see descriptorNames); with
// DescCrippen also the count of every Wildman–Crippen atom type (heavy atoms
// and hydrogens, molecules.CrippenAtoms: the atom-level decomposition that
// the logP and MR sums hide); with DescPhyschem also Kier–Hall connectivity
// and kappa shape indices, a symmetry measure and ring-system counts
// (descriptors.PhyschemNames: size, branching and symmetry, what decides crystal packing
// and so solubility beyond logP); with DescVSA also Labute's approximate
// surface area and its split by the atoms' Crippen logP and MR
// contributions (SlogP_VSA1–12, SMR_VSA1–10, descriptors.VSANames); with DescEState
// also the surface split by Kier–Hall E-state index and the E-state split
// by surface (EState_VSA1–11, VSA_EState1–10, descriptors.EStateNames). The surface
// blocks follow RDKit's definitions and bins and agree with RDKit 2022.09
// on every molecule of their golden file. ESOL models use DescEState,
// the other sets DescPhyschem. Records from before DescSet read as
// DescBasic. GDSC models use a 512-bit drug fingerprint, the same
// descriptors, two drug-identity inputs (below) and the cell line's binary
// features: the GDSC v17 "<GENE>_mut" columns, the recurrent copy-number
// features that name their genes ("gain_cna…_(GENES)" / "loss_cna…_(GENES)"),
// MSI, and the tissue one-hot (GDSC TISSUE_FACTOR; patients get theirs from
// their cancer diagnosis, tissue.go). Anonymous copy-number regions are left
// out because a patient's gene-level CNV calls cannot be mapped onto them.
//
// For the random and unseen-cell-line splits a GDSC model also gets the
// drug's training mean ln IC50 and a "seen" flag. Its output adds the
// drug's mean and, for unseen cell lines, a drug-by-tissue offset (the
// shrunk mean residual of the drug's training cell lines of the same
// tissue, leave-one-out for training pairs; TissueOffsets,
// gdscTissueShrink, useTissueOffsets) plus the drug's linear effect of the
// mutation and copy-number features (ridge weights per drug, fitted on
// the residuals from the drug-by-tissue means; GenomicWeights,
// gdsc_genomic.go). Its network predicts the residual from that sum with
// a zero-initialised output layer: it starts as the per-drug (or
// drug-by-tissue plus genomic) baseline, and early stopping only keeps
// what improves on it. The record keeps the means and offsets by canonical
// SMILES, and a molecule asked by SMILES gets those. GDSC screened 15
// compounds under two drug ids whose values differ, so training and the
// held-out metrics take each pair's own id's mean and offsets (a
// measurement's screen is known), as the per-drug-mean baseline does.
// On nested validation of unseen cell lines (seeds 1–5, lower on every
// seed) the offsets took the RMSE from 1.383 to 1.315, the screens' own
// means to 1.300 and the genomic weights to 1.293; the per-drug-mean
// baseline there is 1.416. Such a model
// reports the drug-by-tissue baseline beside the per-drug one
// (drugTissueBaselineRmse). The unseen-drug split's model never gets these
// inputs: its output adds each cell line's offset instead (the shrunk mean
// residual of the cell line's training pairs from their drugs' means,
// leave-one-out for training pairs; gdscCellShrink, useCellOffsets,
// gdsc_cells.go), and its network predicts the rest from the drug's
// structure and the cell's features. A patient is not a GDSC cell line, so
// for patients the offset is a ridge estimate from the patient's features
// (CellSensWeights over the tissue and genomic columns). On nested
// validation of unseen drugs (seeds 1–5) the offsets took the mean
// per-drug Pearson r from 0.307 to 0.518 (higher on every seed); such a
// model reports the lookup alone beside the baselines
// (cellMeanBaselineRmse). A random/cell model asked about a molecule it
// never saw predicts the global training mean plus the cell-line effects.
// PredictCohort ranks a cohort's patients with their intervals and
// summarises them (count, mean, quantiles, mean interval half-width) with
// the molecule's relation to the training drugs (DrugDomain: nearest
// training-drug similarity, inDomain against the validation drugs'
// threshold, and whether the model has the molecule's own measured mean),
// so that a trial designer can tell a known drug from an extrapolation.
//
// # Models and uncertainty
//
// Each model is an ensemble whose members have the model's architecture
// (Arch). ArchMLP members are MLPs (ReLU hidden layers 256-256 for the
// property sets, 128-64 for GDSC; linear output) built and trained on the
// gorgonia training core (rl/nn: fused dense ops, masked MSE or masked
// binary cross-entropy as custom losses, in-place Adam, decoupled weight
// decay), each member from its own seed (member i uses seed·1000+i) on the
// same training split, with early stopping on the validation split. In
// training, the property MLPs drop half the fingerprint-count inputs of each
// row (inverted dropout; not on Lipophilicity, where validation did not
// gain); the descriptors are never dropped, and prediction reads everything.
// ESOL's and Lipophilicity's MLPs decay their learning rate exponentially
// from 1e-3 to 1e-5 over the epoch budget (netConfig.LRFinal; the other
// sets' tied with a constant rate on validation, or were not measured).
// ArchMPNN members are directed message-passing networks (package mpnn, a
// gorgonia graph with gather/scatter ops) over the molecular graph with the
// standardised descriptors appended after the readout (member i uses
// seed·1000+500+i); they read the descriptors of DescPhyschem, a prefix of
// a larger set's (on ESOL the surface blocks made them worse on
// validation). ArchHybrid has Ensemble members of each kind; the record's
// MLPWeight can weight the two halves (w for the MLP members' mean, 1 − w
// for the others', in the mean, the spread and the attributions alike),
// and without one, as by default, every member counts once. Fitting w on
// the validation split did not pay on ESOL (leave-one-out validation RMSE
// above the even blend's), so it is not done by default.
//
// ESOL's and FreeSolv's models with message-passing members are refitted:
// once the early-stopped ensemble has calibrated the interval and the domain
// threshold and reported its validation metrics, every member is trained
// again from its seed on the training and validation rows together, for
// the epochs early stopping chose for it (mpnn.Config.Stop keeps the
// learning-rate schedule of the full budget). The refitted ensemble keeps
// that calibration and is scored on the test rows, which neither stage
// reads; the test metrics also carry the early-stopped ensemble's
// (rmseBeforeRefit), the record says Refit, and its training molecules,
// which the domain index holds, include the validation rows. On ESOL the
// shared files hold back 10 % of the molecules, so training and validation
// rows together are 81 % of the published set, about MoleculeNet's 80 %
// training split.
//
// MLP prediction does not run a graph: the members' first layers are fused
// side by side into one matrix, the molecule's few set bits select its rows
// for all members at once (kernels.SparseAccum), and the rest runs through
// the core's batched forward path, on GOMAXPROCS workers. Each worker's
// engine parses into one reused molecule (molecules.Parser.ParseInto) and
// carves a batch's features from arrays it keeps, so prediction allocates
// about twice per molecule. The prediction is the members' mean; the
// interval is mean ± 1.96·k·sd where sd is the members' standard deviation
// and k ≥ 1 is a calibration factor chosen
// on the validation split so that 95 % of validation residuals fall inside
// (deep ensembles alone are over-confident). For classification the value is
// the mean probability and the interval is clipped to [0, 1]. A GDSC model
// with drug means adds the drug's residual spread to the members'
// disagreement, sd = √(sd_members² + spread²) (DrugResidSD: the root mean
// square of the drug's training pairs' residuals from the trained model):
// on unseen cell lines the members often all stay at the zero-initialised
// output their early stopping keeps, and their disagreement alone then
// says nothing (nested validation: k up to 10⁸ and 9 % coverage on three
// of five seeds; with the spread k is 1.04–1.10 and coverage 0.95–0.96).
// A molecule without a spread of its own (every molecule of an unseen-drug
// model, a new molecule for the others) takes ResidSD: the spread of all
// training pairs' residuals combined with the spread of the training
// drugs' means, since its own mean is unknown. On nested validation of
// unseen drugs (seeds 1–5) the members alone had collapsed on one seed
// (zero width, coverage 0) and needed k up to 12.5 on the others; with
// the pairs' spread alone coverage was 0.81–0.96 (mean 0.914), with both
// spreads 0.917–0.985 (mean 0.954).
//
// nearestTrainingSimilarity is the largest Tanimoto similarity (ECFP4, 2048
// bits) to a training molecule, found exactly through an inverted index of
// the training fingerprints' bits (the most frequent bits as a 64-bit mask
// per training molecule instead of long postings). inDomain is similarity ≥ the model's
// threshold, which is the 10th percentile of the validation molecules'
// nearest-training similarity: a query is out of domain when it is less
// similar to the training set than 90 % of the held-out molecules whose
// errors the validation metrics describe. The test metrics include the RMSE
// (or ROC-AUC) of the in-domain and out-of-domain test molecules separately.
//
// The headline test metric carries a 95 % percentile-bootstrap interval
// (<metric>Low95, <metric>High95; BootstrapResamples resamples, seeded by
// the model's seed): a test split of a hundred molecules leaves an RMSE
// uncertain by about ±10 %, and differences inside that are not evidence.
// Property sets resample molecules (a multi-task molecule with all its
// assays). GDSC models report intervals for RMSE, Pearson r and the mean
// per-drug Pearson r. They resample what their split holds out whole: cell
// lines, drugs, or pairs (pairs that share an unseen drug are not
// independent). They also report the paired interval of their RMSE minus
// the per-drug-mean baseline's over the same resamples
// (rmseVsBaselineLow95/High95; below zero = better than the baseline
// beyond the noise).
//
// atomContributions are occlusion attributions of the fingerprint bits
// mapped back to atoms: for every set bit the ensemble prediction is
// recomputed with that bit's input set to zero; the difference (prediction
// with the bit − without) is shared equally among the atoms covered by the
// environments that set the bit. Message-passing members attribute by
// removing each atom from the graph (its features and every message through
// it); a hybrid averages both over its members. A positive contribution means the atom's
// environments push the prediction up. Descriptors are global and are not
// attributed.
//
// # Splits
//
// Property sets: "random" (80/10/10 after a seeded shuffle) and "scaffold"
// (Bemis–Murcko scaffolds: ring systems plus linkers, side chains removed;
// groups larger than half the test size go to training first, the others
// are shuffled by seed and fill validation and test, as Chemprop's balanced
// scaffold split does). GDSC: "random" pairs, "cell" (unseen cell lines) and
// "drug" (unseen drugs), 80/10/10 of pairs, cell lines or drugs. The split's
// indices are stored with the model.
//
// "full" trains a property model for use rather than for scoring: every
// row trains. The random split's validation rows (same seed) early-stop
// each member and calibrate the interval and the domain threshold; then
// every member, whatever its architecture, is trained again from its seed
// on all rows for the epochs it stopped at, as the ESOL and FreeSolv
// hybrids' refit does. Nothing is held out, so the model's test metrics
// are empty; its validation metrics are the early-stopped ensemble's, and
// the random split with the same seed (which is the full model less a
// tenth of the rows) or cross-validation (TrainInput.Folds) estimates how it does on new
// molecules.
//
// # Reproducing the numbers
//
//	go test ./experiments/response -run TestGoals -response.long -v -timeout 2h
//	    trains every goal model (5-member ensembles, seed 1) and prints the
//	    held-out metrics beside the naive baseline and published results
//	trainResponseModel(input: {dataset: "esol", split: "random", folds: 10})
//	    k-fold cross-validation as a training option (crossval.go): every
//	    molecule is a test molecule once (each fold's rows early-stop,
//	    calibrate and refit as the random split's do), per-fold and pooled
//	    metrics in ResponseModel.crossValidation
//	go test ./molecules/response -run XXX -bench PredictEnsemble5 -benchtime 60x -count 6
//	    prediction throughput of a 5-member ensemble from SMILES (MLP-only
//	    property models parse with molecules.ParserConfig.SkipStereo: their
//	    features never read stereo; message-passing and GDSC models parse
//	    fully)
//
// The sweeps and probes that chose the defaults were deleted from this
// package once measured; RESULTS.md names, per topic, the commit that holds
// each one's code.
//
// # Store layout (under mdl/)
//
//	mdl/m/<id>            model record (JSON): metadata, metrics, baseline,
//	                      scalers, thresholds, split indices
//	mdl/w/<id>/<k:02x>    MLP member k's weights (raw rl/nn checkpoint bytes)
//	mdl/g/<id>/<k:02x>    message-passing member k (mpnn.Model.MarshalBinary)
//
// A save goes through a store.Stage (persist.go): the record and members
// are staged in small batches (the store chunks raw values over 1 MB) and
// one small commit record makes them visible together, so a model of any
// size saves whole or not at all (in one transaction the default ESOL and
// FreeSolv hybrids failed with "transaction too big"); saving over a model
// with more members removes the extra ones in the same stage. Loaded
// models are kept for prediction in a least-recently-used cache bounded by
// Config.ModelCacheBytes (default 512 MiB, a model counted as twice its
// stored bytes); Service.CacheStats reports it.
//
// Training runs in stages (train.go: load, featurize, split, fit members,
// calibrate in evaluate.go, refit), driven by the dataset's recipe
// (recipe.go: descriptor set, architecture, hyper-parameters, refit), one
// per built-in set in the registry and defaultRecipe for uploaded datasets
// (uploaded.go). TrainInput is the API input; tests and experiments set
// options (options.go) that never come through the API.
//
// A model id is derived from its training input
// (<dataset>.<target>.<split>.s<seed>.e<ensemble>, then .mpnn or .mlp-mpnn
// for those architectures, .ep<epochs>, .n<maxRows>, .cv<folds> when set,
// and .x<hash> of any experiment option): training is deterministic, so the
// same input rebuilds the same model, and an experiment's model never
// takes a default's id. Uploaded datasets' models start with the dataset's
// id and record its content hash.
package response
