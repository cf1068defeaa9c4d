"""Puts the Spark job's folder (loader/src/engine/spark/job) first on sys.path: the tests
import its modules by name, as transform.py and the executors do. Each test module imports
this before the job's modules."""
import os
import sys

JOB = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "engine", "spark", "job"))
if JOB not in sys.path:
    sys.path.insert(0, JOB)
