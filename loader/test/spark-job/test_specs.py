"""Resolved dataset specs for the Python tests, as the loader hands them to the job: taken
from rules_vectors.json (written by rules_vectors.ts from core's readSpec), so the tests
never hold a spec of their own that could drift from core's."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def vectors():
    with open(os.path.join(HERE, "rules_vectors.json"), encoding="utf-8") as f:
        return json.load(f)


def spec(ref="builtin:nyc-parking-violations"):
    """The resolved spec of `ref` (a builtin:NAME or a repo-relative path of rules_vectors.ts)."""
    return next(v["spec"] for v in vectors() if v["ref"] == ref)
