// Package datasets stores chemists' own tabular data — a CSV with a SMILES
// column and one or more numeric target columns — so that response models
// can train on it.
//
// Upload reads the CSV as a stream and validates it row by row: a bad
// SMILES (with the parser's character position added to the column), a
// non-numeric target, a row with too few columns, or a classification
// target other than 0 or 1 rejects that row with its line and column;
// good rows are kept. An empty target cell is a missing value (NaN), as in
// multi-task sets such as Tox21; a row whose targets are all missing is
// rejected. Structural problems refuse the whole upload: a header without
// the named SMILES or target columns (the error lists the header's
// columns), and any budget of Limits (bytes, rows, columns, targets, line
// length), answered with the code LIMIT_EXCEEDED naming the limit.
//
// With Input.Standardize each molecule goes through package standardize
// (largest fragment, neutralize, normalize, reionize) before it is
// canonicalized; Result.Standardized counts the rows it changed.
//
// A dataset is stored whole or not at all: rows are written to a
// store.Stage in chunks as they are read, and the dataset's record is
// written in the stage's commit (with one audit record naming
// "dataset:<id>"), so a failed or cancelled upload leaves nothing. Each
// dataset records Hash, the SHA-256 of its canonical content: the task,
// the target names, then per row its canonical SMILES and targets
// (strconv 'g' formatting, empty for missing), so the same data uploaded
// twice — whatever its column order, quoting or SMILES spelling — has the
// same hash, and a model can record the exact data it was trained on.
//
// Names are checked with store.CheckName and are unique per owner (the
// token id from the request's audit information). Only the owner or an
// admin sees, reads or deletes a dataset; internal callers (no audit
// information, e.g. a training job that already checked its caller) see
// all. Delete is staged and audited like the upload.
//
// Key layout (namespace ds/):
//
//	ds/m/<id>            the dataset record (JSON): name, owner, task, columns, rows, hash
//	ds/r/<id>/<i:08x>    chunk i of its rows (raw): per row a uvarint-prefixed
//	                     canonical SMILES and one little-endian float64 per target
//
// Ids are "D" followed by 16 random hex digits.
package datasets
