"""The rxlab GraphQL client: one method per query and mutation, standard library only.

    from rxlab import Client, RxlabError

    rx = Client()                 # RXLAB_URL (default http://127.0.0.1:8080), RXLAB_TOKEN
    print(rx.health())
    count = rx.cohort_count({"all": [{"age": {"min": 40}}]})
    print(rx.link("cohorts", criteria={"all": [{"age": {"min": 40}}]}))   # opens signed in

Configuration, first match wins:

* URL: the ``url`` argument, else ``RXLAB_URL``, else ``http://127.0.0.1:8080``.
  A base URL gets ``/graphql`` appended; a URL already ending in ``/graphql`` is used as is.
* Token: the ``token`` argument, else the file named by ``token_file``, else ``RXLAB_TOKEN``,
  else the file named by ``RXLAB_TOKEN_FILE``. The server's first start writes an admin token
  to ``DATA/admin.token``; the admin page (``/admin``) or ``createToken`` makes more.

Every error the server reports is raised as :class:`RxlabError`, whose ``code`` is the first
error's ``extensions.code`` (``UNAUTHENTICATED``, ``FORBIDDEN``, ``BAD_USER_INPUT``,
``NOT_FOUND``, ``BAD_SMILES``, ``PRIVACY_BUDGET_EXHAUSTED``, ...). Decimal values (doses) come
back as JSON strings such as ``"2.5"``. The documents sent are in this module; the schema is
``graphql/schema.graphql`` in the repository (or ``GET /schema.graphql`` with a token).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Client", "RxlabError", "DEFAULT_URL"]

DEFAULT_URL = "http://127.0.0.1:8080"

# Job states after which a job never changes again.
_FINAL_JOB_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


class RxlabError(Exception):
    """An error reported by the rxlab server, or a failure to reach it.

    Attributes:
        errors: the GraphQL error objects (dicts with ``message``, ``extensions``, ``path``...).
        code: the first error's ``extensions.code``, or None.
        codes: every error's code, in order (None where an error has none).
        status: the HTTP status, or None when no HTTP response came back.
        data: partial ``data`` returned beside the errors, if any.
    """

    def __init__(self, message, errors=None, status=None, data=None):
        super().__init__(message)
        self.errors = list(errors or [])
        self.codes = [_code_of(e) for e in self.errors]
        self.code = self.codes[0] if self.codes else None
        self.status = status
        self.data = data

    @classmethod
    def from_errors(cls, errors, status=None, data=None):
        """Build one exception from a GraphQL ``errors`` list."""
        parts = []
        for e in errors:
            msg = e.get("message", "unknown error") if isinstance(e, dict) else str(e)
            code = _code_of(e)
            path = e.get("path") if isinstance(e, dict) else None
            where = " at " + ".".join(str(p) for p in path) if path else ""
            parts.append("%s%s%s" % ("[%s] " % code if code else "", msg, where))
        return cls("; ".join(parts) or "unknown error", errors=errors, status=status, data=data)


def _code_of(error):
    if not isinstance(error, dict):
        return None
    ext = error.get("extensions")
    if isinstance(ext, dict):
        code = ext.get("code")
        return code if isinstance(code, str) else None
    return None


def _read_token_file(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as e:
        raise RxlabError("cannot read token file %s: %s" % (path, e.strerror or e)) from None
    if not token:
        raise RxlabError("token file %s is empty" % path)
    return token


def _vars(**kw):
    """Variables without the None ones, so that the schema's defaults apply to them
    (an explicit null would override an argument's default)."""
    return {k: v for k, v in kw.items() if v is not None}


def _graphql_url(url):
    url = url.rstrip("/")
    if url.endswith("/graphql"):
        return url
    return url + "/graphql"


class Client:
    """A connection to one rxlab server.

    Args:
        url: the server's base URL (or its /graphql endpoint); default ``RXLAB_URL`` or
            ``http://127.0.0.1:8080``.
        token: the bearer token; default from ``token_file``, ``RXLAB_TOKEN`` or
            ``RXLAB_TOKEN_FILE``. Without one, only /healthz answers.
        token_file: a file holding the token, e.g. ``data/admin.token``.
        timeout: seconds to wait for one HTTP response.
    """

    def __init__(self, url=None, token=None, token_file=None, timeout=60.0):
        self.url = (url or os.environ.get("RXLAB_URL") or DEFAULT_URL).rstrip("/")
        self.endpoint = _graphql_url(self.url)
        if token is None and token_file:
            token = _read_token_file(token_file)
        if token is None:
            token = os.environ.get("RXLAB_TOKEN") or None
        if token is None and os.environ.get("RXLAB_TOKEN_FILE"):
            token = _read_token_file(os.environ["RXLAB_TOKEN_FILE"])
        self.token = token.strip() if token else None
        self.timeout = timeout

    def __repr__(self):
        return "Client(url=%r, token=%s)" % (self.url, "set" if self.token else "None")

    # ------------------------------------------------------------------ transport

    def query(self, query, variables=None, operation_name=None):
        """Run a GraphQL document and return its ``data``.

        Raises RxlabError when the server returns any error, with the errors' messages and
        codes, or when it cannot be reached or answers something that is not GraphQL.
        """
        payload = {"query": query}
        if variables:
            payload["variables"] = variables
        if operation_name:
            payload["operationName"] = operation_name
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        status = None
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                status = res.status
                raw = res.read()
        except urllib.error.HTTPError as e:
            status = e.code
            raw = e.read()
        except urllib.error.URLError as e:
            raise RxlabError("cannot reach %s: %s" % (self.endpoint, e.reason)) from None
        except OSError as e:  # timeouts, resets
            raise RxlabError("cannot reach %s: %s" % (self.endpoint, e)) from None
        try:
            result = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            snippet = raw[:200].decode("utf-8", "replace").strip()
            raise RxlabError("HTTP %s from %s: %s" % (status, self.endpoint, snippet), status=status) from None
        if not isinstance(result, dict):
            raise RxlabError("HTTP %s from %s: not a GraphQL response" % (status, self.endpoint), status=status)
        errors = result.get("errors")
        if errors:
            raise RxlabError.from_errors(errors, status=status, data=result.get("data"))
        if status is not None and status >= 400:
            raise RxlabError("HTTP %s from %s" % (status, self.endpoint), status=status)
        data = result.get("data")
        if data is None:
            raise RxlabError("HTTP %s from %s: response has no data" % (status, self.endpoint), status=status)
        return data

    def _one(self, doc, field, **variables):
        return self.query(doc, _vars(**variables))[field]

    # ------------------------------------------------------------------ links

    def link(self, page="cohorts", criteria=None, smiles=None, with_token=True):
        """The workbench URL of a page, signed in: ``#token=…`` in the fragment signs the
        browser in and is removed from its address bar at once. ``criteria`` (a CriteriaInput
        dict) opens /cohorts on those criteria; ``smiles`` opens /molecules on that molecule.
        The fragment never reaches the server or its logs."""
        base = self.endpoint[: -len("/graphql")]
        params = []
        if criteria is not None:
            page = "cohorts"
            params.append(("criteria", json.dumps(criteria, separators=(",", ":"))))
        if smiles is not None:
            page = "molecules"
            params.append(("smiles", smiles))
        if with_token and self.token:
            params.append(("token", self.token))
        url = "%s/%s" % (base, page.strip("/"))
        if params:
            url += "#" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return url

    # ------------------------------------------------------------------ common

    def health(self):
        """``{ok, version, patients, molecules}`` of the server."""
        return self._one(HEALTH, "health")

    def me(self):
        """The caller: token id, role and permissions."""
        return self._one(ME, "me")

    def job(self, id):
        """A job by id (None if there is none)."""
        return self._one(JOB, "job", id=id)

    def jobs(self, state=None, first=50):
        """Jobs, newest first, optionally in one state (QUEUED, RUNNING, ...)."""
        return self._one(JOBS, "jobs", state=state, first=first)

    def cancel_job(self, id):
        """Ask a job to stop; returns the job."""
        return self._one(CANCEL_JOB, "cancelJob", id=id)

    def wait_job(self, id, timeout=600.0, interval=0.5, progress=None):
        """Poll a job until it is SUCCEEDED, FAILED or CANCELLED and return it.

        ``progress``: None (quiet), True (a progress line on stderr) or a function called
        with the job at each poll. Raises TimeoutError after ``timeout`` seconds and
        RxlabError (code NOT_FOUND) when the job does not exist. A FAILED job is returned,
        not raised: check ``job["state"]``.
        """
        deadline = time.monotonic() + timeout
        delay = min(interval, 0.1)
        while True:
            j = self.job(id)
            if j is None:
                raise RxlabError("job %s not found" % id, errors=[{"message": "job not found", "extensions": {"code": "NOT_FOUND"}}])
            if progress is True:
                sys.stderr.write("\r%s %-9s %3.0f%%" % (id, j["state"], 100 * j["progress"]))
                sys.stderr.flush()
            elif callable(progress):
                progress(j)
            if j["state"] in _FINAL_JOB_STATES:
                if progress is True:
                    sys.stderr.write("\n")
                return j
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError("job %s still %s (progress %.2f) after %gs" % (id, j["state"], j["progress"], timeout))
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, interval)

    # ------------------------------------------------------------------ cohorts

    def cohort_count(self, criteria):
        """Aggregate count, attrition, breakdown and disclosure for a CriteriaInput dict.

        Example: ``{"all": [{"age": {"min": 40, "max": 75}},
        {"condition": {"system": "ICD10CM", "code": "I48"}}]}``. Roles without patients:read
        get noisy numbers paid from their privacy budget (see ``disclosure``).
        """
        return self._one(COHORT_COUNT, "cohortCount", criteria=criteria)

    def federated_count(self, criteria, as_of=None):
        """On a federation coordinator (``server federate``): every site's released count of a
        CriteriaInput dict and the total; sites that refused, timed out or could not be reached
        are listed with their status, not dropped."""
        return self._one(FEDERATED_COUNT, "federatedCount", criteria=criteria, asOf=as_of)

    def cohort_patients(self, criteria, first=100, after=None):
        """One page of patient ids meeting the criteria (needs patients:read; audited)."""
        return self._one(COHORT_PATIENTS, "cohortPatients", criteria=criteria, first=first, after=after)

    def cohort_patient_ids(self, criteria, limit=10000, page=1000):
        """Every patient id meeting the criteria, following pages, up to ``limit``."""
        ids, after = [], None
        while len(ids) < limit:
            p = self.cohort_patients(criteria, first=min(page, limit - len(ids)), after=after)
            ids.extend(p["ids"])
            if not p["hasNextPage"]:
                break
            after = p["endCursor"]
        return ids

    def cohorts(self):
        """Saved cohorts."""
        return self._one(COHORTS, "cohorts")

    def save_cohort(self, name, criteria):
        """Save criteria under a new name (version 1). Servers that keep names unique
        answer CONFLICT for an existing name: use update_cohort for a new version."""
        return self._one(SAVE_COHORT, "saveCohort", name=name, criteria=criteria)

    def update_cohort(self, id, criteria=None, description=None):
        """A new version of a saved cohort (criteria and description default to the latest)."""
        return self._one(UPDATE_COHORT, "updateCohort", id=id, criteria=criteria, description=description)

    def delete_cohort(self, id):
        """Remove every version of a saved cohort; returns the version ids removed."""
        return self._one(DELETE_COHORT, "deleteCohort", id=id)

    def cohort(self, id):
        """One saved cohort version by id, with all its versions."""
        return self._one(COHORT, "cohort", id=id)

    def concepts(self, query, system=None, first=20):
        """Vocabulary concepts (ICD10CM, SNOMED, RXNORM, LOINC, ONCOTREE) matching a code or
        words of a name, with their parents and ``records``: stored patients carrying the
        concept or one below or mapped to it (noisy, at most 20 per call, without patients:read)."""
        return self._one(CONCEPTS, "concepts", query=query, system=system, first=first)

    def explain_match(self, criteria, patient_id):
        """For one patient: every leaf criterion with its result and evidence."""
        return self._one(EXPLAIN_MATCH, "explainMatch", criteria=criteria, patientId=patient_id)

    def patient(self, id):
        """A patient-level record (needs patients:read; audited)."""
        return self._one(PATIENT, "patient", id=id)

    def my_privacy_budget(self):
        """The caller's privacy budget (None for roles that see exact numbers)."""
        return self._one(MY_PRIVACY_BUDGET, "myPrivacyBudget")

    def privacy_budgets(self, token_id=None):
        """Admin: role defaults and every token that spent this period."""
        return self._one(PRIVACY_BUDGETS, "privacyBudgets", tokenId=token_id)

    def set_privacy_budget(self, epsilon, role=None, token_id=None):
        """Admin: set the ε per period of a role or of one token."""
        return self._one(SET_PRIVACY_BUDGET, "setPrivacyBudget", epsilon=epsilon, role=role, tokenId=token_id)

    def reset_privacy_budget(self, token_id):
        """Admin: forget what a token spent this period."""
        return self._one(RESET_PRIVACY_BUDGET, "resetPrivacyBudget", tokenId=token_id)

    # ------------------------------------------------------------------ trials and imports

    def trials(self):
        """Registered trials with their arms."""
        return self._one(TRIALS, "trials")

    def import_trial(self, ctml, replace=False):
        """Register a trial from CTML text (YAML or JSON); ``replace`` stores a new version
        of an existing protocol_no instead of answering CONFLICT."""
        return self._one(IMPORT_TRIAL_REPLACE if replace else IMPORT_TRIAL, "importTrial", ctml=ctml)

    def import_trials(self, ctml, replace=False):
        """Every trial of a CTML file (JSON list or multi-document YAML), a result per trial."""
        return self._one(IMPORT_TRIALS, "importTrials", ctml=ctml, replace=bool(replace))

    def trial(self, id):
        """One trial by id."""
        return self._one(TRIAL, "trial", id=id)

    def trial_match_count(self, trial_id):
        """Aggregate count of patients matching any arm of a trial."""
        return self._one(TRIAL_MATCH_COUNT, "trialMatchCount", trialId=trial_id)

    def patient_trials(self, patient_id):
        """Trials and arms a patient is eligible for, with reasons (needs patients:read)."""
        return self._one(PATIENT_TRIALS, "patientTrials", patientId=patient_id)

    def import_fhir(self, bundle):
        """Import a FHIR R4 Bundle (a dict)."""
        return self._one(IMPORT_FHIR, "importFHIR", bundle=bundle)

    def import_patients(self, data, format):
        """Bulk import: format fhir-bundle, synthea-csv, matchminer-clinical or matchminer-genomic."""
        return self._one(IMPORT_PATIENTS, "importPatients", data=data, format=format)

    def import_vcf(self, patient_id, vcf, origin="GERMLINE", sample=None):
        """Import VCF text for one patient."""
        return self._one(IMPORT_VCF, "importVCF", patientId=patient_id, vcf=vcf, origin=origin, sample=sample)

    # ------------------------------------------------------------------ genomics

    def pgx_call(self, vcf, sample=None):
        """Pharmacogenomic calls from VCF text: one result per supported gene and sample."""
        return self._one(PGX_CALL, "pgxCall", vcf=vcf, sample=sample)

    # ------------------------------------------------------------------ molecules

    def molecule(self, smiles, fingerprint=False, radius=2, n_bits=2048):
        """Parse one SMILES: canonical SMILES, formula, descriptors and, if asked, the
        Morgan fingerprint. Bad SMILES raise RxlabError with code BAD_SMILES."""
        v = {"smiles": smiles, "withFingerprint": bool(fingerprint), "radius": radius, "nBits": n_bits}
        return self.query(MOLECULE, v)["molecule"]

    def molecules(self, smiles):
        """Batch parse: one result per SMILES, a bad one carrying its error."""
        return self._one(MOLECULES, "molecules", smiles=list(smiles))

    def similar_molecules(self, smiles, library="default", min_similarity=0.5, first=20, radius=2, n_bits=2048):
        """Tanimoto search over a stored library, most similar first."""
        return self._one(SIMILAR_MOLECULES, "similarMolecules", smiles=smiles, library=library,
                         minSimilarity=min_similarity, first=first, radius=radius, nBits=n_bits)

    def add_molecules(self, smiles, names=None, library="default"):
        """Add molecules to a library."""
        return self._one(ADD_MOLECULES, "addMolecules", smiles=list(smiles), names=names, library=library)

    def libraries(self):
        """The molecule libraries with their sizes (``{name, size, owner, default}``)."""
        return self._one(LIBRARIES, "libraries")

    def upload_dataset(self, name, csv, targets, task="regression", smiles_column="smiles", standardize=False):
        """Store a CSV (text) as a dataset of yours: ``targets`` names the target columns, ``task``
        is "regression" or "classification", ``standardize`` strips salts and neutralizes. Bad
        rows come back in ``errors`` with line and column; ``dataset`` is what was stored (its id
        trains a model: ``train_response_model({"dataset": id, ...})``). Files over a few MB go
        through :meth:`upload_dataset_file`."""
        inp = {"name": name, "csv": csv, "targets": list(targets), "task": task.upper(),
               "smilesColumn": smiles_column, "standardize": bool(standardize)}
        return self._one(UPLOAD_DATASET, "uploadDataset", input=inp)

    def upload_dataset_file(self, path, name, targets, task="regression", smiles_column="smiles", standardize=False):
        """Stream a CSV file (gzip allowed) to POST /import/dataset; same answer as
        :meth:`upload_dataset`, as a dict. Raises RxlabError when nothing was stored."""
        params = [("name", name), ("task", task.lower()), ("smilesColumn", smiles_column),
                  ("standardize", "true" if standardize else "false")] + [("target", t) for t in targets]
        url = self.endpoint[: -len("/graphql")] + "/import/dataset?" + urllib.parse.urlencode(params)
        headers = {"Content-Type": "text/csv"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        size = os.path.getsize(path)
        headers["Content-Length"] = str(size)
        with open(path, "rb") as f:
            req = urllib.request.Request(url, data=f, headers=headers, method="POST")
            status = None
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as res:
                    status, raw = res.status, res.read()
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
            except (urllib.error.URLError, OSError) as e:
                raise RxlabError("cannot reach %s: %s" % (url.split("?")[0], e)) from None
        try:
            result = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RxlabError("HTTP %s from /import/dataset" % status, status=status) from None
        if isinstance(result, dict) and result.get("errors") and "accepted" not in result:
            raise RxlabError.from_errors(result["errors"], status=status)
        if status is not None and status >= 400:
            raise RxlabError("HTTP %s from /import/dataset: nothing was stored" % status, status=status, data=result)
        return result

    def datasets(self):
        """Your datasets (all of them for an admin), by name."""
        return self._one(DATASETS, "datasets")

    def dataset(self, id):
        """One of your datasets by id."""
        return self._one(DATASET, "dataset", id=id)

    def delete_dataset(self, id):
        """Remove one of your datasets; answers what was removed."""
        return self._one(DELETE_DATASET, "deleteDataset", id=id)

    def response_models(self):
        """Trained response models with their metrics."""
        return self._one(RESPONSE_MODELS, "responseModels")

    def predict(self, model, smiles):
        """Predictions of a model, one per SMILES (a string or a list), with intervals."""
        if isinstance(smiles, str):
            smiles = [smiles]
        return self._one(PREDICT, "predict", model=model, smiles=list(smiles))

    def predict_patient_response(self, criteria, model, smiles):
        """Predicted response of the patients meeting criteria to a molecule."""
        return self._one(PREDICT_PATIENT_RESPONSE, "predictPatientResponse", criteria=criteria, model=model, smiles=smiles)

    def train_response_model(self, input):
        """Train a response model (a TrainModelInput dict); returns its job."""
        return self._one(TRAIN_RESPONSE_MODEL, "trainResponseModel", input=input)

    # ------------------------------------------------------------------ dosing

    def drug_models(self):
        """The dosing models (warfarin, ...) with their target ranges and baselines."""
        return self._one(DRUG_MODELS, "drugModels")

    def simulate(self, input):
        """Simulate one virtual patient under one regimen (a SimulationInput dict)."""
        return self._one(SIMULATE, "simulate", input=input)

    def simulate_population(self, input):
        """Percentile bands (5/25/50/75/95 %) per arm over a virtual population (a
        PopulationSimulationInput dict: model, days, arms, population)."""
        return self._one(SIMULATE_POPULATION, "simulatePopulation", input=input)

    def start_population_simulation(self, input):
        """simulate_population as a job, for runs above the synchronous 200,000
        patient-days (up to 5,000,000); returns the run at once. Follow it with
        ``wait_job(run["job"]["id"], progress=True)``, then ``population_simulation(run["id"])``."""
        return self._one(START_POPULATION_SIMULATION, "startPopulationSimulation", input=input)

    def population_simulation(self, id):
        """A population simulation run by id, with its arms once its job has finished."""
        return self._one(POPULATION_SIMULATION, "populationSimulation", id=id)

    def recommend_dose(self, input):
        """The dose for the next interval (a DoseRequestInput dict)."""
        return self._one(RECOMMEND_DOSE, "recommendDose", input=input)

    def individualize(self, input):
        """MAP estimate of a real patient's random effects (an IndividualizationInput
        dict: model, patient, doses [{hour, amount}], observations [{hour, value}]),
        with Laplace/SIR posterior, shrinkage, predictions and warnings."""
        return self._one(INDIVIDUALIZE, "individualize", input=input)

    def forecast(self, input):
        """The observable under a proposed regimen with prediction intervals from
        the patient's posterior (a ForecastInput dict: the record plus regimen,
        horizonDays)."""
        return self._one(FORECAST, "forecast", input=input)

    def optimize_dose(self, input):
        """The dose level that best reaches the target over horizonDays, with every
        level weighed (an OptimizeDoseInput dict: the record plus target,
        horizonDays, schedule)."""
        return self._one(OPTIMIZE_DOSE, "optimizeDose", input=input)

    def start_training(self, input):
        """Start RL training of a dosing policy (a TrainingInput dict); returns the
        TrainingRun at once. Follow it with ``wait_job(run["job"]["id"], progress=True)``."""
        return self._one(START_TRAINING, "startTraining", input=input)

    def training_run(self, id):
        """A training run by id, with its metrics so far and its policy once trained."""
        return self._one(TRAINING_RUN, "trainingRun", id=id)

    def training_runs(self, model=None, policy_id=None, first=100):
        """Training runs visible to the caller, newest first, optionally filtered."""
        return self._one(TRAINING_RUNS, "trainingRuns", model=model, policyId=policy_id, first=first)

    def policies(self, model=None, first=100):
        """Trained policies, newest first, optionally of one drug model."""
        return self._one(POLICIES, "policies", model=model, first=first)

    def evaluations(self, model=None, policy_id=None, first=100):
        """Evaluations visible to the caller, newest first, optionally filtered."""
        return self._one(EVALUATIONS, "evaluations", model=model, policyId=policy_id, first=first)

    def policy(self, id):
        """A trained policy with its dose table."""
        return self._one(POLICY, "policy", id=id)

    def evaluate_policy(self, input):
        """Compare a policy with baselines (an EvaluationInput dict); runs as a job."""
        return self._one(EVALUATE_POLICY, "evaluatePolicy", input=input)

    def evaluation(self, id):
        """An evaluation by id, with its arms once its job has finished."""
        return self._one(EVALUATION, "evaluation", id=id)

    # ------------------------------------------------------------------ admin

    def tokens(self):
        """Admin: every API token (never the secret)."""
        return self._one(TOKENS, "tokens")

    def create_token(self, role, name=None):
        """Admin: a new token for a role; the secret is in the answer only."""
        return self._one(CREATE_TOKEN, "createToken", role=role, name=name)

    def revoke_token(self, id):
        """Admin: revoke a token by id."""
        return self._one(REVOKE_TOKEN, "revokeToken", id=id)

    def audit_log(self, after=0, first=100):
        """Admin: audit records after sequence number ``after``."""
        return self._one(AUDIT_LOG, "auditLog", after=after, first=first)

    def verify_audit(self):
        """Admin: recompute the audit hash chain."""
        return self._one(VERIFY_AUDIT, "verifyAudit")


# ---------------------------------------------------------------------- documents

_JOB_FIELDS = "id kind state progress message error result createdAt finishedAt"
_DISCLOSURE = "disclosure { exact noiseSigma threshold countsSpent repeated valueBounds }"
_COUNT_FIELDS = """count display suppressed %s
    attrition { rule remaining alone display }
    breakdown { dimension value count display }""" % _DISCLOSURE
_TRIAL_FIELDS = "id title nctId arms { code description criteria }"
_COHORT_FIELDS = "id name version createdAt criteria"
_TOKEN_FIELDS = "id name role createdAt revoked"
_BUDGET_FIELDS = "role tokenId own epsilon epsilonSpent delta periodHours renewsAt answers remainingCounts"
_SKIPPED = "skipped skippedDisplay skippedReasons { reason count display suppressed }"

HEALTH = "query Health { health { ok version patients molecules } }"
ME = "query Me { me { tokenId role permissions } }"
JOB = "query Job($id: ID!) { job(id: $id) { %s } }" % _JOB_FIELDS
JOBS = "query Jobs($state: JobState, $first: Int) { jobs(state: $state, first: $first) { %s } }" % _JOB_FIELDS
CANCEL_JOB = "mutation CancelJob($id: ID!) { cancelJob(id: $id) { %s } }" % _JOB_FIELDS

COHORT_COUNT = "query CohortCount($criteria: CriteriaInput!) { cohortCount(criteria: $criteria) { %s } }" % _COUNT_FIELDS
FEDERATED_COUNT = """query FederatedCount($criteria: JSON!, $asOf: String) {
  federatedCount(criteria: $criteria, asOf: $asOf) { total released complete noiseSigma
    sites { site status count display exact noiseSigma code error millis } } }"""
COHORT_PATIENTS = """query CohortPatients($criteria: CriteriaInput!, $first: Int, $after: String) {
  cohortPatients(criteria: $criteria, first: $first, after: $after) { total ids hasNextPage endCursor } }"""
COHORTS = "query Cohorts { cohorts { %s } }" % _COHORT_FIELDS
SAVE_COHORT = "mutation SaveCohort($name: String!, $criteria: CriteriaInput!) { saveCohort(name: $name, criteria: $criteria) { %s } }" % _COHORT_FIELDS
UPDATE_COHORT = """mutation UpdateCohort($id: ID!, $criteria: CriteriaInput, $description: String) {
  updateCohort(id: $id, criteria: $criteria, description: $description) { %s description } }""" % _COHORT_FIELDS
DELETE_COHORT = "mutation DeleteCohort($id: ID!) { deleteCohort(id: $id) }"
COHORT = "query Cohort($id: ID!) { cohort(id: $id) { %s description versions { id version createdAt } } }" % _COHORT_FIELDS
CONCEPTS = """query Concepts($query: String!, $system: String, $first: Int) {
  concepts(query: $query, system: $system, first: $first) { system code display records parents { system code display } } }"""
EXPLAIN_MATCH = """query ExplainMatch($criteria: CriteriaInput!, $patientId: ID!) {
  explainMatch(criteria: $criteria, patientId: $patientId) { patientId matched leaves { rule matched evidence } } }"""
PATIENT = """query Patient($id: ID!) { patient(id: $id) { id sex age birthYear race testedGenes
  conditions { system code display date } medications { system code display date }
  labs { loinc value unit date } pgx { gene diplotype phenotype activityScore }
  variants { gene chrom pos ref alt proteinChange class origin zygosity } } }"""
MY_PRIVACY_BUDGET = "query MyPrivacyBudget { myPrivacyBudget { %s } }" % _BUDGET_FIELDS
PRIVACY_BUDGETS = "query PrivacyBudgets($tokenId: ID) { privacyBudgets(tokenId: $tokenId) { %s } }" % _BUDGET_FIELDS
SET_PRIVACY_BUDGET = """mutation SetPrivacyBudget($epsilon: Float!, $role: String, $tokenId: ID) {
  setPrivacyBudget(epsilon: $epsilon, role: $role, tokenId: $tokenId) { %s } }""" % _BUDGET_FIELDS
RESET_PRIVACY_BUDGET = "mutation ResetPrivacyBudget($tokenId: ID!) { resetPrivacyBudget(tokenId: $tokenId) { %s } }" % _BUDGET_FIELDS

TRIALS = "query Trials { trials { %s } }" % _TRIAL_FIELDS
IMPORT_TRIAL = "mutation ImportTrial($ctml: String!) { importTrial(ctml: $ctml) { %s } }" % _TRIAL_FIELDS
IMPORT_TRIAL_REPLACE = "mutation ImportTrial($ctml: String!) { importTrial(ctml: $ctml, replace: true) { %s version } }" % _TRIAL_FIELDS
IMPORT_TRIALS = """mutation ImportTrials($ctml: String!, $replace: Boolean) { importTrials(ctml: $ctml, replace: $replace) {
  committed trials { index protocolNo stored replacedVersion error { code message } trial { %s } } } }""" % _TRIAL_FIELDS
TRIAL = "query Trial($id: ID!) { trial(id: $id) { %s version phase status drugs importedAt } }" % _TRIAL_FIELDS
TRIAL_MATCH_COUNT = "query TrialMatchCount($trialId: ID!) { trialMatchCount(trialId: $trialId) { %s } }" % _COUNT_FIELDS
PATIENT_TRIALS = "query PatientTrials($patientId: ID!) { patientTrials(patientId: $patientId) { arm reasons trial { id title nctId } } }"
_IMPORT_RESULT = "accepted rejected errors { location message }"
IMPORT_FHIR = "mutation ImportFHIR($bundle: JSON!) { importFHIR(bundle: $bundle) { %s } }" % _IMPORT_RESULT
IMPORT_PATIENTS = "mutation ImportPatients($data: String!, $format: String!) { importPatients(data: $data, format: $format) { %s } }" % _IMPORT_RESULT
IMPORT_VCF = """mutation ImportVCF($patientId: ID!, $vcf: String!, $origin: VariantOrigin!, $sample: String) {
  importVCF(patientId: $patientId, vcf: $vcf, origin: $origin, sample: $sample) { %s } }""" % _IMPORT_RESULT

PGX_CALL = """query PgxCall($vcf: String!, $sample: String) {
  pgxCall(vcf: $vcf, sample: $sample) { gene sample diplotype phenotype activityScore missingPositions } }"""

MOLECULE = """query Molecule($smiles: String!, $withFingerprint: Boolean!, $radius: Int, $nBits: Int) {
  molecule(smiles: $smiles) {
    smiles canonicalSmiles formula heavyAtoms
    descriptors {
      molWt exactMass logP molarRefractivity tpsa hbd hba rotatableBonds
      rings aromaticRings fractionCSP3 lipinskiViolations
    }
    fingerprint(radius: $radius, nBits: $nBits) @include(if: $withFingerprint) { radius nBits onBits hex }
  }
}"""
MOLECULES = """query Molecules($smiles: [String!]!) { molecules(smiles: $smiles) { error errorCode
  molecule { smiles canonicalSmiles formula heavyAtoms descriptors { molWt logP tpsa hbd hba rotatableBonds } } } }"""
SIMILAR_MOLECULES = """query SimilarMolecules($smiles: String!, $library: String, $minSimilarity: Float,
    $first: Int, $radius: Int, $nBits: Int) {
  similarMolecules(smiles: $smiles, library: $library, minSimilarity: $minSimilarity,
      first: $first, radius: $radius, nBits: $nBits) { id name smiles similarity } }"""
ADD_MOLECULES = """mutation AddMolecules($smiles: [String!]!, $names: [String!], $library: String) {
  addMolecules(smiles: $smiles, names: $names, library: $library) { %s } }""" % _IMPORT_RESULT
LIBRARIES = "query Libraries { libraries { name size owner default } }"
_DATASET_FIELDS = "id name owner task smilesColumn targets rows rejected standardized standardizedRows hash bytes createdAt"
UPLOAD_DATASET = """mutation UploadDataset($input: DatasetInput!) { uploadDataset(input: $input) {
  accepted rejected committed warnings errors { location message line column } dataset { %s } } }""" % _DATASET_FIELDS
DATASETS = "query Datasets { datasets { %s } }" % _DATASET_FIELDS
DATASET = "query Dataset($id: ID!) { dataset(id: $id) { %s } }" % _DATASET_FIELDS
DELETE_DATASET = "mutation DeleteDataset($id: ID!) { deleteDataset(id: $id) { %s } }" % _DATASET_FIELDS
RESPONSE_MODELS = """query ResponseModels { responseModels { id dataset target task unit arch split seed ensemble
  metrics baseline validation inDomainThreshold tasks trainedAt trainSeconds datasetHash } }"""
PREDICT = """query Predict($model: ID!, $smiles: [String!]!) { predict(model: $model, smiles: $smiles) {
  smiles value values low high inDomain nearestTrainingSimilarity atomContributions error } }"""
PREDICT_PATIENT_RESPONSE = """query PredictPatientResponse($criteria: CriteriaInput!, $model: ID!, $smiles: String!) {
  predictPatientResponse(criteria: $criteria, model: $model, smiles: $smiles) { patients mean quantiles
    meanIntervalHalfWidth inDomain knownDrug nearestTrainingSimilarity top { patientId value low high } %s } }""" % _DISCLOSURE
TRAIN_RESPONSE_MODEL = "mutation TrainResponseModel($input: TrainModelInput!) { trainResponseModel(input: $input) { %s } }" % _JOB_FIELDS

DRUG_MODELS = """query DrugModels { drugModels {
  id drug description observable targetLow targetHigh doseUnit doseLevels baselines } }"""
SIMULATE = """query Simulate($input: SimulationInput!) {
  simulate(input: $input) {
    model
    points { hour observable concentration }
    doses { hour amount }
    timeInRange timeAbove timeBelow
  }
}"""
SIMULATE_POPULATION = """query SimulatePopulation($input: PopulationSimulationInput!) {
  simulatePopulation(input: $input) { model days arms { name patients monitoring
    bands { hour p5 p25 p50 p75 p95 } endpoints { name mean p5 p25 p50 p75 p95 } } } }"""
_POPULATION_RUN_FIELDS = """id model days createdAt job { %s } arms { name patients monitoring
    bands { hour p5 p25 p50 p75 p95 } endpoints { name mean p5 p25 p50 p75 p95 } }""" % _JOB_FIELDS
START_POPULATION_SIMULATION = """mutation StartPopulationSimulation($input: PopulationSimulationInput!) {
  startPopulationSimulation(input: $input) { %s } }""" % _POPULATION_RUN_FIELDS
POPULATION_SIMULATION = "query PopulationSimulation($id: ID!) { populationSimulation(id: $id) { %s } }" % _POPULATION_RUN_FIELDS
RECOMMEND_DOSE = """query RecommendDose($input: DoseRequestInput!) {
  recommendDose(input: $input) { dose unit nextCheckHours rationale } }"""
_INDIVIDUALIZATION_FIELDS = """model names eta etaMean parameters typical objective omega posteriorSd shrinkage
    covariance intervals { name level laplaceLow laplaceHigh sirLow sirHigh }
    predictions { hour observed censored ipred pred residual iwres }
    sir { proposals samples ess } converged iterations evaluations sigma warnings"""
INDIVIDUALIZE = """query Individualize($input: IndividualizationInput!) {
  individualize(input: $input) { %s } }""" % _INDIVIDUALIZATION_FIELDS
FORECAST = """query Forecast($input: ForecastInput!) {
  forecast(input: $input) { individualization { %s } level draws startHour warnings
    points { hour mode median lower upper lowerModel upperModel } } }""" % _INDIVIDUALIZATION_FIELDS
OPTIMIZE_DOSE = """query OptimizeDose($input: OptimizeDoseInput!) {
  optimizeDose(input: $input) { individualization { %s } criterion targetLow targetHigh startHour
    intervalHours doses draws warnings
    best { dose unit amountMg probInRange probBelow probAbove expectedLoss median mode }
    candidates { dose unit amountMg allowed guardrail probInRange probBelow probAbove expectedLoss median mode } } }""" % _INDIVIDUALIZATION_FIELDS
_TRAINING_RUN_FIELDS = """id model algorithm iteration %s
    job { %s }
    metrics { iteration envSteps meanReturn timeInRange policyLoss valueLoss entropy seconds }
    policy { id model trainingRun createdAt parameters }""" % (_SKIPPED, _JOB_FIELDS)
START_TRAINING = "mutation StartTraining($input: TrainingInput!) { startTraining(input: $input) { %s } }" % _TRAINING_RUN_FIELDS
TRAINING_RUN = "query TrainingRun($id: ID!) { trainingRun(id: $id) { %s } }" % _TRAINING_RUN_FIELDS
TRAINING_RUNS = """query TrainingRuns($model: ID, $policyId: ID, $first: Int) {
  trainingRuns(model: $model, policyId: $policyId, first: $first) { %s } }""" % _TRAINING_RUN_FIELDS
POLICY = "query Policy($id: ID!) { policy(id: $id) { id model trainingRun createdAt parameters doseTable } }"
POLICIES = "query Policies($model: ID, $first: Int) { policies(model: $model, first: $first) { id model trainingRun createdAt parameters } }"
_EVALUATION_FIELDS = """id %s job { %s }
    arms { name patients timeInRange timeInRangeLow95 timeInRangeHigh95 timeAbove timeBelow timeSevere meanDailyDose }
    subgroups { arm dimension value patients timeInRange timeInRangeLow95 timeInRangeHigh95 gap bestBaseline worseThanBest }""" % (_SKIPPED, _JOB_FIELDS)
EVALUATE_POLICY = "mutation EvaluatePolicy($input: EvaluationInput!) { evaluatePolicy(input: $input) { %s } }" % _EVALUATION_FIELDS
EVALUATION = "query Evaluation($id: ID!) { evaluation(id: $id) { %s } }" % _EVALUATION_FIELDS
EVALUATIONS = """query Evaluations($model: ID, $policyId: ID, $first: Int) {
  evaluations(model: $model, policyId: $policyId, first: $first) { %s } }""" % _EVALUATION_FIELDS

TOKENS = "query Tokens { tokens { %s } }" % _TOKEN_FIELDS
CREATE_TOKEN = "mutation CreateToken($role: String!, $name: String) { createToken(role: $role, name: $name) { token info { %s } } }" % _TOKEN_FIELDS
REVOKE_TOKEN = "mutation RevokeToken($id: ID!) { revokeToken(id: $id) { %s } }" % _TOKEN_FIELDS
AUDIT_LOG = "query AuditLog($after: Int, $first: Int) { auditLog(after: $after, first: $first) { seq time actor role operation outcome targets hash } }"
VERIFY_AUDIT = "query VerifyAudit { verifyAudit { ok records error } }"

# METHODS maps each Query and Mutation field of the schema to its method here.
METHODS = {
    "auditLog": "audit_log", "cohortCount": "cohort_count", "cohortPatients": "cohort_patients",
    "cohorts": "cohorts", "concepts": "concepts", "drugModels": "drug_models", "evaluation": "evaluation",
    "explainMatch": "explain_match", "health": "health", "job": "job", "jobs": "jobs", "me": "me",
    "molecule": "molecule", "molecules": "molecules", "myPrivacyBudget": "my_privacy_budget",
    "patient": "patient", "patientTrials": "patient_trials", "pgxCall": "pgx_call", "policy": "policy",
    "predict": "predict", "predictPatientResponse": "predict_patient_response",
    "privacyBudgets": "privacy_budgets", "recommendDose": "recommend_dose",
    "responseModels": "response_models", "similarMolecules": "similar_molecules",
    "simulate": "simulate", "simulatePopulation": "simulate_population", "populationSimulation": "population_simulation", "tokens": "tokens", "trainingRun": "training_run",
    "trainingRuns": "training_runs", "policies": "policies", "evaluations": "evaluations", "trialMatchCount": "trial_match_count", "trials": "trials",
    "verifyAudit": "verify_audit",
    "addMolecules": "add_molecules", "cancelJob": "cancel_job", "createToken": "create_token",
    "evaluatePolicy": "evaluate_policy", "importFHIR": "import_fhir", "importPatients": "import_patients",
    "importTrial": "import_trial", "importVCF": "import_vcf", "resetPrivacyBudget": "reset_privacy_budget",
    "revokeToken": "revoke_token", "saveCohort": "save_cohort", "updateCohort": "update_cohort", "deleteCohort": "delete_cohort",
    "cohort": "cohort", "trial": "trial", "importTrials": "import_trials", "setPrivacyBudget": "set_privacy_budget",
    "startTraining": "start_training", "trainResponseModel": "train_response_model",
    "startPopulationSimulation": "start_population_simulation",
    "federatedCount": "federated_count",
    "libraries": "libraries", "datasets": "datasets", "dataset": "dataset",
    "uploadDataset": "upload_dataset", "deleteDataset": "delete_dataset",
    "individualize": "individualize", "forecast": "forecast", "optimizeDose": "optimize_dose",
}
