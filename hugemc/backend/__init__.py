"""Engines' view of a program: initial states, successors, properties.

:func:`compile_program` turns an IR :class:`~hugemc.ir.Program` into a
:class:`Model` whose ``expand`` is generated Python code (one function per
thread and step boundary). Explorers use only this interface.
"""

from .compile import Model, compile_program

__all__ = ["Model", "compile_program"]
