"""Types of the C subset and the layout of objects as slots.

Every object flattens to a run of integer slots: an int-like scalar or a
pointer is one slot, a struct is its fields in order, an array its elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IntType:
    """An int-like scalar (int, unsigned, bool, enum, atomic_t ...).

    ``domain`` is an explicit ``(lo, hi)`` from a ``__range`` annotation on a
    typedef, or None to take the default for its signedness.
    """

    name: str
    signed: bool = True
    is_bool: bool = False
    domain: tuple[int, int] | None = None
    labels: tuple[tuple[int, str], ...] = ()
    bit_labels: tuple[tuple[int, str], ...] = ()  # a flags word (``__flags(E)``): bit number -> name

    @property
    def size(self) -> int:
        return 1


@dataclass(frozen=True)
class VoidType:
    """``void`` (only as a function result or ``void *``)."""

    name: str = "void"

    @property
    def size(self) -> int:
        return 0


@dataclass(eq=False)
class StructType:
    """A struct: fields in order, each at a slot offset. Identity is the declaration."""

    name: str
    fields: list[tuple[str, "CType", tuple[int, int] | None]] = field(default_factory=list)
    complete: bool = False
    loc: object = None

    @property
    def size(self) -> int:
        return sum(f[1].size for f in self.fields)

    def field(self, name: str) -> tuple[int, "CType", tuple[int, int] | None] | None:
        """(offset, type, declared domain) of field ``name``, or None."""
        off = 0
        for fname, ftype, dom in self.fields:
            if fname == name:
                return off, ftype, dom
            off += ftype.size
        return None


@dataclass(frozen=True)
class PtrType:
    """A pointer to ``target`` (a value in the target type's pointer table)."""

    target: "CType"

    @property
    def size(self) -> int:
        return 1

    @property
    def name(self) -> str:
        return f"{type_name(self.target)} *"


@dataclass(frozen=True)
class ArrayType:
    """A fixed-size array."""

    elem: "CType"
    length: int

    @property
    def size(self) -> int:
        return self.elem.size * self.length

    @property
    def name(self) -> str:
        return f"{type_name(self.elem)}[{self.length}]"


CType = IntType | VoidType | StructType | PtrType | ArrayType

INT = IntType("int")
UNSIGNED = IntType("unsigned", signed=False)
BOOL = IntType("bool", signed=False, is_bool=True, domain=(0, 1))
VOID = VoidType()


def type_name(t: CType) -> str:
    """How a type is written in messages."""
    if isinstance(t, StructType):
        return f"struct {t.name}"
    return t.name


def is_scalar(t: CType) -> bool:
    """Int-like or pointer: fits in one slot."""
    return isinstance(t, (IntType, PtrType))


def pointee_key(t: CType) -> tuple:
    """The key under which objects a pointer can point to are tabulated.

    All int-like types share one table; structs are keyed by declaration;
    pointers by what they point to.
    """
    if isinstance(t, IntType):
        return ("int",)
    if isinstance(t, StructType):
        return ("struct", id(t))
    if isinstance(t, PtrType):
        return ("ptr",) + pointee_key(t.target)
    if isinstance(t, VoidType):
        return ("void",)
    return ("array",) + pointee_key(t.elem)


def same_pointee(a: CType, b: CType) -> bool:
    """Whether two pointer targets are compatible (void matches anything)."""
    if isinstance(a, VoidType) or isinstance(b, VoidType):
        return True
    return pointee_key(a) == pointee_key(b)


def leaves(t: CType, prefix: str):
    """Yield (name, scalar type, declared domain) for each slot of an object of type ``t``."""
    if isinstance(t, StructType):
        for fname, ftype, dom in t.fields:
            if is_scalar(ftype):
                yield f"{prefix}.{fname}", ftype, dom
            else:
                yield from _leaves_with_dom(ftype, f"{prefix}.{fname}", dom)
    elif isinstance(t, ArrayType):
        for i in range(t.length):
            yield from leaves(t.elem, f"{prefix}[{i}]")
    else:
        yield prefix, t, None


def _leaves_with_dom(t: CType, prefix: str, dom):
    for name, st, d in leaves(t, prefix):
        yield name, st, d if d is not None else dom
