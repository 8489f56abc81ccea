"""rxlab: a notebook client for the rxlab GraphQL API.

The core (:class:`Client`, :class:`RxlabError`) uses only the Python standard library.
``rxlab.frames`` turns results into pandas DataFrames and ``rxlab.plots`` draws them with
matplotlib; both import their library only when called and say so when it is missing.

    from rxlab import Client
    rx = Client()                               # RXLAB_URL, RXLAB_TOKEN
    c = rx.cohort_count({"all": [{"age": {"min": 40}}]})
    from rxlab.frames import to_pandas
    to_pandas(c)                                # the attrition table
    from rxlab.plots import plot_funnel
    plot_funnel(c)
    print(rx.link(criteria={"all": [{"age": {"min": 40}}]}))   # open it in the workbench
"""

from .client import Client, RxlabError, DEFAULT_URL, METHODS

__all__ = ["Client", "RxlabError", "DEFAULT_URL", "METHODS"]
__version__ = "0.2.0"
