"""hugemc: an exhaustive interleaving explorer for Linux memory-management concurrency.

Public API (everything else is internal):

- :func:`load_scenario` -- read a scenario TOML file;
- :func:`build_program` -- compile a scenario's C models to the IR;
- :func:`compile_program` -- make the fast successor function of a program;
- :func:`check_scenario` -- load, explore and judge one scenario file;
- :class:`CheckOptions`, :class:`ScenarioResult`, :class:`HugemcError`.
"""

__version__ = "0.1.0"

from .backend import compile_program  # noqa: E402
from .check import CheckOptions, check_scenario  # noqa: E402
from .diagnostics import HugemcError  # noqa: E402
from .lang import build_program  # noqa: E402
from .result import ScenarioResult  # noqa: E402
from .scenario import load_scenario  # noqa: E402

__all__ = ["__version__", "load_scenario", "build_program", "compile_program", "check_scenario",
           "CheckOptions", "ScenarioResult", "HugemcError"]
