"""bdg-excel: the reporting cycle of Vietnam's gender-equality implementation plans.

Pipeline (one package per stage, each importing only from the stages before it):
    core (shared) < plan < forms < intake < report < mail < workflow, cycle, demo, web, cli

See docs/architecture.md; tests/test_architecture.py enforces the order.
"""

__version__ = "0.1.0"
