"""pandas views of rxlab results. pandas is imported when a function is called; without it
each function raises ImportError saying how to install it."""


def _pd():
    try:
        import pandas
    except ImportError:
        raise ImportError("rxlab.frames needs pandas: pip install 'rxlab[pandas]' (or apt-get install python3-pandas)") from None
    return pandas


def attrition(cohort):
    """One row per attrition step of a cohortCount answer: rule, remaining, alone, display."""
    pd = _pd()
    return pd.DataFrame(cohort["attrition"], columns=["rule", "remaining", "alone", "display"])


def breakdown(cohort, wide=True):
    """The breakdown of a cohortCount answer. ``wide``: one table per dimension is awkward,
    so the default is a long table with the counts pivoted to a (dimension, value) index;
    suppressed cells have count NaN and their display (e.g. "<11")."""
    pd = _pd()
    df = pd.DataFrame(cohort["breakdown"], columns=["dimension", "value", "count", "display"])
    df["suppressed"] = df["count"].isna()
    if wide:
        df = df.set_index(["dimension", "value"]).sort_index()
    return df


def simulation(sim, arm=None):
    """Points of a simulate answer: hour, day, observable, concentration (and arm if given)."""
    pd = _pd()
    df = pd.DataFrame(sim["points"])
    df["day"] = df["hour"] / 24.0
    if arm is not None:
        df["arm"] = arm
    return df


def doses(sim):
    """Doses of a simulate answer: hour, day, amount (as float)."""
    pd = _pd()
    df = pd.DataFrame(sim["doses"], columns=["hour", "amount"])
    df["amount"] = df["amount"].astype(float)
    df["day"] = df["hour"] / 24.0
    return df


def training_metrics(run):
    """Per-iteration metrics of a trainingRun answer, indexed by iteration."""
    pd = _pd()
    return pd.DataFrame(run["metrics"]).set_index("iteration")


def evaluation_arms(evaluation):
    """Arms of an evaluation answer: time in range with its 95 % interval, per arm."""
    pd = _pd()
    return pd.DataFrame(evaluation["arms"]).set_index("name")


def subgroups(evaluation):
    """Per-subgroup results of an evaluation: one row per arm, dimension and value."""
    pd = _pd()
    return pd.DataFrame(evaluation.get("subgroups") or []).set_index(["dimension", "value", "arm"]) if evaluation.get("subgroups") else pd.DataFrame()


def predictions(preds):
    """A predict answer: one row per SMILES with value, interval and domain."""
    pd = _pd()
    cols = ["smiles", "value", "low", "high", "inDomain", "nearestTrainingSimilarity", "error"]
    return pd.DataFrame([{k: p.get(k) for k in cols} for p in preds], columns=cols)


def to_pandas(result):
    """A DataFrame for any of the results above, chosen by its fields."""
    if isinstance(result, list):
        if result and isinstance(result[0], dict) and "smiles" in result[0] and "value" in result[0]:
            return predictions(result)
        return _pd().DataFrame(result)
    if "attrition" in result:
        return attrition(result)
    if "points" in result:
        return simulation(result)
    if "metrics" in result and isinstance(result["metrics"], list):
        return training_metrics(result)
    if "arms" in result and result["arms"] and "timeInRange" in result["arms"][0]:
        return evaluation_arms(result)
    raise TypeError("to_pandas: no table view for a result with fields %s" % sorted(result))
