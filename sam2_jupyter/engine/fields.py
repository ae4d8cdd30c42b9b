"""The fields of the session record: one table that every part of the engine reads.

Each kind of state the record holds is one :class:`Field` of :data:`FIELDS`, which
says all that the engine needs to know of it: its empty value, how a given value
becomes the record's immutable one, how it loses a removed label, which labels it
makes exist, how it loses frames past the end of the data, what a resume by replay
keeps of it, and its :class:`~.rows.Codec` (how it is saved). The record
(:class:`~.core.SessionState`), :meth:`~.core.SessionCore.update`, removing a
label, undo, the autosave and resume all iterate this table, so a new kind of
state (review marks, object names, per-label rules) is one entry and its codec::

    FIELDS.register(Field("names", MappingProxyType({}), frozen_mapping,
                          drop=drop_key, codec=NameRows()))

A registered field is a kind of state, not state: like a codec it is shared by
every session of the process, so register it before opening sessions (a record
made earlier reads it as its empty value). A save that holds rows of a kind this
process does not know is read without them; a save without a registered field's
rows reads it as empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .quality_records import QualityRecords, without_label
from .rows import HAND, PROMPTS, QUALITY, Codec

if TYPE_CHECKING:
    import numpy as np

    from .masks import ManualEdit
    from .prompts import Prompt
    from .state import Base

Drop = Callable[[Any, int], Any]


def _same(value: Any) -> Any:
    return value


def _saved(saved: Any, replayed: Any) -> Any:
    return saved


def frozen_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only mapping (``value`` itself when it is one already: a value handed
    back unchanged keeps its identity, which tells the autosave it is unchanged)."""
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


def drop_key(value: Mapping[int, Any], label: int) -> dict[int, Any]:
    """A mapping keyed by label, without ``label``."""
    return {k: v for k, v in value.items() if k != label}


def drop_pair(value: Mapping[tuple[int, int], Any], label: int) -> dict[tuple[int, int], Any]:
    """A mapping keyed by (frame, label), without ``label``'s entries."""
    return {k: v for k, v in value.items() if k[1] != label}


def before_frame(value: Mapping[Any, Any], n: int) -> Mapping[Any, Any]:
    """A mapping keyed by frame (or (frame, label)), without frames from ``n`` on
    (``value`` itself when it has none)."""
    kept = {k: v for k, v in value.items() if (k[0] if isinstance(k, tuple) else k) < n}
    return value if len(kept) == len(value) else kept


def _drop_prompts(value: tuple[Any, ...], label: int) -> tuple[Any, ...]:
    return tuple(p for p in value if p.label != label)


def _prompt_labels(value: tuple[Any, ...]) -> set[int]:
    return {p.label for p in value}


@dataclass(frozen=True)
class Field:
    """One kind of state in the record.

    ``default`` is its empty value (immutable: shared by every record).
    ``normalise`` turns a value given to :meth:`~.core.SessionCore.update` into the
    record's immutable one. ``drop(value, label)`` is the value without a removed
    label (None: not per label). ``labels(value)`` the labels it makes exist (a
    prompt, a label drawn by hand). ``frames(value, n)`` the value without frames
    from ``n`` on (None: not per frame). ``replayed(saved, replayed)`` is what a
    resume that replays the prompts (another model) keeps: the saved value, by
    default. ``codec`` saves it (None: saved with another field's, or derived); a
    codec may hold several fields (its ``read`` returns each by name).
    """

    name: str
    default: Any
    normalise: Callable[[Any], Any] = _same
    drop: Drop | None = None
    labels: Callable[[Any], Iterable[int]] | None = None
    frames: Callable[[Any, int], Any] | None = None
    replayed: Callable[[Any, Any], Any] = _saved
    codec: Codec | None = None


class Fields:
    """The record's fields, in order, by name."""

    def __init__(self, *fields: Field) -> None:
        self._fields: dict[str, Field] = {}
        self._builtin = frozenset(f.name for f in fields)
        for f in fields:
            self._fields[f.name] = f

    def __iter__(self) -> Iterator[Field]:
        return iter(list(self._fields.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __getitem__(self, name: str) -> Field:
        try:
            return self._fields[name]
        except KeyError:
            raise TypeError(f"the session record has no field {name!r}") from None

    def get(self, name: str) -> Field | None:
        return self._fields.get(name)

    def names(self) -> list[str]:
        return list(self._fields)

    def codecs(self) -> list[Codec]:
        """Each field's codec once, in the order of the fields."""
        seen: dict[int, Codec] = {}
        for f in self._fields.values():
            if f.codec is not None:
                seen.setdefault(id(f.codec), f.codec)
        return list(seen.values())

    def register(self, field: Field) -> Field:
        """Add a kind of state (see the module docstring). Its name must be new and
        not one of the record's methods; its codec's kind must be new too (the
        autosave refuses a kind of its own, ``labels``, ``meta`` or the tracker's)."""
        if field.name in self._fields or hasattr(SessionState, field.name):
            raise ValueError(f"the session record already has {field.name!r}")
        if not field.name.isidentifier() or field.name.startswith("_"):
            raise ValueError(f"a field name must be a public identifier, not {field.name!r}")
        codec = field.codec
        kinds = {c.kind for c in self.codecs()}
        if codec is not None and codec not in self.codecs() and codec.kind in kinds:
            raise ValueError(f"rows of kind {codec.kind!r} are saved already")
        self._fields[field.name] = field
        return field

    def unregister(self, name: str) -> None:
        """Remove a registered field (the built-in ones stay)."""
        if name in self._builtin:
            raise ValueError(f"{name!r} is one of the record's own fields")
        self._fields.pop(name, None)


class SessionState:
    """What is ours in a session, as immutable values: one attribute per field of
    :data:`FIELDS` (the built-in ones are declared here for readers). An edit
    replaces the record (:meth:`replace`), so undo keeps a reference to it and the
    autosave compares its values by identity."""

    prompts: tuple[Prompt, ...]
    pending: tuple[Prompt, ...]
    bases: Mapping[tuple[int, int], Base]
    group: int
    quality: Mapping[int, np.ndarray]
    manual: Mapping[tuple[int, int], ManualEdit]
    drawn: frozenset[int]
    parents: Mapping[int, int]

    __hash__ = None  # type: ignore[assignment]  # equal by value, and mutable-looking

    def __init__(self, **values: Any) -> None:
        for name in values:
            FIELDS[name]  # raises for a name that is no field
        for f in FIELDS:
            value = f.normalise(values[f.name]) if f.name in values else f.default
            object.__setattr__(self, f.name, value)

    def __getattr__(self, name: str) -> Any:
        """A field registered after this record was made: its empty value."""
        f = FIELDS.get(name) if not name.startswith("_") else None
        if f is None:
            raise AttributeError(f"the session record has no field {name!r}")
        return f.default

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the session record is immutable: use replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("the session record is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionState) and self.values() == other.values()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"SessionState({inner})"

    def values(self) -> dict[str, Any]:
        """Every field's value, by name."""
        return {f.name: getattr(self, f.name) for f in FIELDS}

    def replace(self, **changes: Any) -> SessionState:
        """This record with ``changes`` (each normalised by its field)."""
        new = object.__new__(SessionState)
        values = dict(self.__dict__)
        for name, value in changes.items():
            values[name] = FIELDS[name].normalise(value)
        new.__dict__.update(values)
        return new

    @property
    def label_ids(self) -> set[int]:
        """The labels the record makes exist (prompted, pending, drawn by hand)."""
        out: set[int] = set()
        for f in FIELDS:
            if f.labels is not None:
                out.update(f.labels(getattr(self, f.name)))
        return out

    def without_label(self, label: int) -> SessionState:
        """The record with ``label`` removed from every field."""
        return self.replace(
            **{f.name: f.drop(getattr(self, f.name), label) for f in FIELDS if f.drop}
        )

    def within(self, n_frames: int) -> SessionState:
        """The record without frames from ``n_frames`` on."""
        return self.replace(
            **{f.name: f.frames(getattr(self, f.name), n_frames) for f in FIELDS if f.frames}
        )

    def replayed_over(self, replayed: SessionState) -> SessionState:
        """This saved record resumed onto ``replayed``, the record a replay of its
        prompts made: each field keeps what its ``replayed`` rule says."""
        return self.replace(
            **{f.name: f.replayed(getattr(self, f.name), getattr(replayed, f.name)) for f in FIELDS}
        )


EMPTY: Mapping[Any, Any] = MappingProxyType({})

FIELDS = Fields(
    # Prompts sent to the tracker, in order, and those waiting for segment().
    Field("prompts", (), tuple, _drop_prompts, _prompt_labels, codec=PROMPTS),
    Field("pending", (), tuple, _drop_prompts, _prompt_labels, codec=PROMPTS),
    # Each prompted (frame, label)'s base (see .state.Base): saved with the
    # tracker's state, and rebuilt by a replay.
    Field(
        "bases",
        EMPTY,
        frozen_mapping,
        drop_pair,
        frames=before_frame,
        replayed=lambda saved, replayed: replayed,
    ),
    # The last group of prompts sent together (read back from the prompts).
    Field("group", 0),
    # Per frame, what the tracker said of each label there (see .quality.RECORD);
    # frames a replay produced have the new model's.
    Field(
        "quality",
        QualityRecords(),
        QualityRecords.of,
        without_label,
        frames=before_frame,
        replayed=lambda saved, replayed: {**saved, **replayed},
        codec=QUALITY,
    ),
    # Pixels painted or erased by hand that the tracker does not see (track=False).
    Field("manual", EMPTY, frozen_mapping, drop_pair, frames=before_frame, codec=HAND),
    # Labels that exist as pixels only (loaded, or painted by hand), not tracked.
    Field("drawn", frozenset(), frozenset, lambda v, label: v - {label}, set, codec=HAND),
    # Divisions: daughter label -> mother label.
    Field(
        "parents",
        EMPTY,
        frozen_mapping,
        lambda v, label: {d: m for d, m in v.items() if label not in (d, m)},
        codec=HAND,
    ),
)
