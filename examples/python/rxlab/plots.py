"""matplotlib plots of rxlab results. Each returns the Axes it drew on; pass ``ax`` to draw
on your own. matplotlib is imported when a function is called."""


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("rxlab.plots needs matplotlib: pip install 'rxlab[plot]' (or apt-get install python3-matplotlib)") from None
    return plt


def _axes(ax, size):
    if ax is not None:
        return ax
    _, ax = _plt().subplots(figsize=size)
    return ax


def plot_funnel(cohort, ax=None):
    """Attrition funnel of a cohortCount answer: one bar per step, patients remaining, labelled
    with what the server displays (suppressed steps drawn hollow)."""
    steps = cohort["attrition"]
    ax = _axes(ax, (8, 0.5 + 0.5 * len(steps)))
    labels = ["%d. %s" % (i + 1, s["rule"][:50]) for i, s in enumerate(steps)]
    values = [s["remaining"] if s["remaining"] is not None else 0 for s in steps]
    ys = list(range(len(steps)))[::-1]
    for y, v, s in zip(ys, values, steps):
        hollow = s["remaining"] is None
        ax.barh(y, v, color="white" if hollow else "#0969da", edgecolor="#57606a" if hollow else "#0969da", hatch="//" if hollow else None)
        ax.text(v, y, " " + s["display"], va="center")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    ax.set_xlabel("patients remaining")
    ax.set_title("Attrition")
    return ax


def plot_curve(arms, model, ax=None):
    """Observable (INR, ANC…) by day for one or more simulations with the target band.
    ``arms``: a simulate answer, or a dict {arm name: simulate answer}; ``model``: the
    drugModels entry (for the band and the label)."""
    if "points" in arms:
        arms = {"": arms}
    ax = _axes(ax, (9, 4))
    ax.axhspan(model["targetLow"], model["targetHigh"], color="#2da44e", alpha=0.15, label="target")
    for name, sim in arms.items():
        ax.plot([p["hour"] / 24.0 for p in sim["points"]], [p["observable"] for p in sim["points"]], label=name or None)
    ax.set_xlabel("day")
    ax.set_ylabel(model["observable"])
    ax.legend(loc="best")
    return ax


def plot_learning(run, ax=None):
    """Learning curves of a trainingRun answer: mean return and time in range by iteration."""
    m = run["metrics"]
    ax = _axes(ax, (8, 3.5))
    it = [x["iteration"] for x in m]
    ax.plot(it, [x["meanReturn"] for x in m], marker="o", label="mean return")
    ax.set_xlabel("iteration")
    ax.set_ylabel("mean return")
    ax2 = ax.twinx()
    ax2.plot(it, [x["timeInRange"] for x in m], marker="s", color="#1a7f37", label="time in range")
    ax2.set_ylabel("time in range")
    ax.set_title("Training")
    return ax
