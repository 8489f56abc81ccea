"""A small client for the rxlab GraphQL API, using only the Python standard library.

    from rxlab_client import Client, RxlabError

    rx = Client()                 # RXLAB_URL (default http://127.0.0.1:8080), RXLAB_TOKEN
    print(rx.health())
    print(rx.query("{ drugModels { id drug } }"))

Configuration, first match wins:

* URL: the ``url`` argument, else ``RXLAB_URL``, else ``http://127.0.0.1:8080``.
  A base URL gets ``/graphql`` appended; a URL already ending in ``/graphql`` is used as is.
* Token: the ``token`` argument, else the file named by ``token_file``, else ``RXLAB_TOKEN``,
  else the file named by ``RXLAB_TOKEN_FILE``. The server's first start writes an admin token
  to ``DATA/admin.token``; ``go run ./server token create -role ROLE`` makes more.

Every error the server reports (GraphQL ``errors`` or an HTTP error with a GraphQL body) is
raised as :class:`RxlabError`, whose ``code`` is the first error's ``extensions.code``
(``UNAUTHENTICATED``, ``FORBIDDEN``, ``BAD_USER_INPUT``, ``NOT_FOUND``, ``NOT_IMPLEMENTED``,
``BAD_SMILES``, ...). Decimal values (doses, amounts) come back as JSON strings such as
``"2.5"``; wrap them in :class:`decimal.Decimal` for arithmetic.

The convenience methods send the documents in this module, written against the API contract
(``api/contract.graphql``); :meth:`Client.query` sends any document.
"""

import json
import os
import sys
import time
import urllib.error
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

    # ------------------------------------------------------------------ common

    def health(self):
        """``{ok, version, patients, molecules}`` of the server."""
        return self.query(HEALTH)["health"]

    def job(self, id):
        """A job by id (None if there is none)."""
        return self.query(JOB, {"id": id})["job"]

    def jobs(self, state=None, first=50):
        """Jobs, newest first, optionally in one state (QUEUED, RUNNING, ...)."""
        return self.query(JOBS, _vars(state=state, first=first))["jobs"]

    def cancel_job(self, id):
        """Ask a job to stop; returns the job."""
        return self.query(CANCEL_JOB, {"id": id})["cancelJob"]

    def wait_job(self, id, timeout=600.0, interval=0.5):
        """Poll a job until it is SUCCEEDED, FAILED or CANCELLED and return it.

        Raises TimeoutError after ``timeout`` seconds and RxlabError (code NOT_FOUND) when
        the job does not exist. A FAILED job is returned, not raised: check ``job["state"]``.
        """
        deadline = time.monotonic() + timeout
        delay = min(interval, 0.1)
        while True:
            j = self.job(id)
            if j is None:
                raise RxlabError("job %s not found" % id, errors=[{"message": "job not found", "extensions": {"code": "NOT_FOUND"}}])
            if j["state"] in _FINAL_JOB_STATES:
                return j
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError("job %s still %s (progress %.2f) after %gs" % (id, j["state"], j["progress"], timeout))
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, interval)

    # ------------------------------------------------------------------ cohorts

    def cohort_count(self, criteria):
        """Aggregate count, attrition and breakdown for a criteria tree (a CriteriaInput dict).

        Example: ``{"all": [{"age": {"min": 40, "max": 75}},
        {"condition": {"system": "ICD10CM", "code": "E11"}}]}``
        """
        return self.query(COHORT_COUNT, {"criteria": criteria})["cohortCount"]

    # ------------------------------------------------------------------ genomics

    def pgx_call(self, vcf, sample=None):
        """Pharmacogenomic calls from VCF text: one result per supported gene and sample."""
        return self.query(PGX_CALL, _vars(vcf=vcf, sample=sample))["pgxCall"]

    # ------------------------------------------------------------------ molecules

    def molecule(self, smiles, fingerprint=False, radius=2, n_bits=2048):
        """Parse one SMILES: canonical SMILES, formula, descriptors and, if asked, the
        Morgan fingerprint. Bad SMILES raise RxlabError with code BAD_SMILES."""
        v = {"smiles": smiles, "withFingerprint": bool(fingerprint), "radius": radius, "nBits": n_bits}
        return self.query(MOLECULE, v)["molecule"]

    def similar_molecules(self, smiles, library="default", min_similarity=0.5, first=20, radius=2, n_bits=2048):
        """Tanimoto search over a stored library, most similar first."""
        v = {"smiles": smiles, "library": library, "minSimilarity": min_similarity,
             "first": first, "radius": radius, "nBits": n_bits}
        return self.query(SIMILAR_MOLECULES, v)["similarMolecules"]

    # ------------------------------------------------------------------ dosing

    def drug_models(self):
        """The dosing models (warfarin, ...) with their target ranges and baselines."""
        return self.query(DRUG_MODELS)["drugModels"]

    def simulate(self, input):
        """Simulate one virtual patient under one regimen (a SimulationInput dict)."""
        return self.query(SIMULATE, {"input": input})["simulate"]

    def recommend_dose(self, input):
        """The dose for the next interval (a DoseRequestInput dict)."""
        return self.query(RECOMMEND_DOSE, {"input": input})["recommendDose"]

    def start_training(self, input):
        """Start RL training of a dosing policy (a TrainingInput dict); returns the
        TrainingRun at once. Follow it with ``wait_job(run["job"]["id"])``."""
        return self.query(START_TRAINING, {"input": input})["startTraining"]

    def training_run(self, id):
        """A training run by id, with its metrics so far and its policy once trained."""
        return self.query(TRAINING_RUN, {"id": id})["trainingRun"]


# ---------------------------------------------------------------------- documents

_JOB_FIELDS = "id kind state progress message error createdAt finishedAt"

HEALTH = "query Health { health { ok version patients molecules } }"

JOB = "query Job($id: ID!) { job(id: $id) { %s } }" % _JOB_FIELDS

JOBS = "query Jobs($state: JobState, $first: Int) { jobs(state: $state, first: $first) { %s } }" % _JOB_FIELDS

CANCEL_JOB = "mutation CancelJob($id: ID!) { cancelJob(id: $id) { %s } }" % _JOB_FIELDS

COHORT_COUNT = """query CohortCount($criteria: CriteriaInput!) {
  cohortCount(criteria: $criteria) {
    count display suppressed
    attrition { rule remaining alone display }
    breakdown { dimension value count display }
  }
}"""

PGX_CALL = """query PgxCall($vcf: String!, $sample: String) {
  pgxCall(vcf: $vcf, sample: $sample) {
    gene sample diplotype phenotype activityScore missingPositions
  }
}"""

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

SIMILAR_MOLECULES = """query SimilarMolecules($smiles: String!, $library: String, $minSimilarity: Float,
    $first: Int, $radius: Int, $nBits: Int) {
  similarMolecules(smiles: $smiles, library: $library, minSimilarity: $minSimilarity,
      first: $first, radius: $radius, nBits: $nBits) {
    id name smiles similarity
  }
}"""

DRUG_MODELS = """query DrugModels {
  drugModels {
    id drug description observable targetLow targetHigh doseUnit doseLevels baselines
  }
}"""

SIMULATE = """query Simulate($input: SimulationInput!) {
  simulate(input: $input) {
    model
    points { hour observable concentration }
    doses { hour amount }
    timeInRange timeAbove timeBelow
  }
}"""

RECOMMEND_DOSE = """query RecommendDose($input: DoseRequestInput!) {
  recommendDose(input: $input) { dose unit nextCheckHours rationale }
}"""

_TRAINING_RUN_FIELDS = """id model algorithm iteration
    job { %s }
    metrics { iteration envSteps meanReturn timeInRange policyLoss valueLoss entropy seconds }
    policy { id model trainingRun createdAt parameters }""" % _JOB_FIELDS

START_TRAINING = """mutation StartTraining($input: TrainingInput!) {
  startTraining(input: $input) {
    %s
  }
}""" % _TRAINING_RUN_FIELDS

TRAINING_RUN = """query TrainingRun($id: ID!) {
  trainingRun(id: $id) {
    %s
  }
}""" % _TRAINING_RUN_FIELDS


def main(argv=None):
    """Print the server's health as JSON; exit 1 with the error on failure."""
    argv = sys.argv[1:] if argv is None else argv
    url = argv[0] if argv else None
    try:
        print(json.dumps(Client(url=url).health(), indent=2, sort_keys=True))
    except RxlabError as e:
        print("rxlab: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
