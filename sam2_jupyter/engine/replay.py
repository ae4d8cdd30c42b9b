"""Sending prompts to SAM2 in groups: the one place that decides what goes in a call.

SAM2's result depends on how prompts were sent: one click refines the previous
mask, a batch is decoded from all its prompts at once. Editing (``segment``,
``add_prompts``), removing a prompt, resuming a session and changing the model all
resend prompts, and all must send them exactly as they were first sent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from .prompts import BoxPrompt, Prompt

# send(frame, label, prompts, batched): one sam2 call for one object on one frame.
Send = Callable[[int, int, list[Prompt], bool], object]


def batch_by_key(prompts: Iterable[Prompt]) -> OrderedDict[tuple[int, int], list[Prompt]]:
    """Prompts grouped by (frame, label), in the order each key first appears."""
    groups: OrderedDict[tuple[int, int], list[Prompt]] = OrderedDict()
    for p in prompts:
        groups.setdefault(p.key, []).append(p)
    return groups


def merge_batch(held: Sequence[Prompt], new: Sequence[Prompt], group: int) -> list[Prompt]:
    """The prompts held after sending ``new`` as one batch for their (frame, label):
    the new ones join the batch with group ``group``, and a new box replaces the
    object's old box there (SAM2 takes one box per object and frame)."""
    batch = [replace(p, group=group, batched=True) for p in new]
    new_box = {p.key for p in batch if isinstance(p, BoxPrompt)}
    kept = [q for q in held if not (q.key in new_box and isinstance(q, BoxPrompt))]
    return kept + batch


def batch_members(held: Sequence[Prompt], key: tuple[int, int]) -> list[Prompt]:
    """Everything held for ``key``: what a batched call sends (box first, as sam2
    wants, is handled by the call)."""
    return [q for q in held if q.key == key]


def replay_groups(send: Send, prompts: Sequence[Prompt]) -> None:
    """Send ``prompts`` again, group by group in their original order: a batched
    group is sent with the key's prompts up to its last member (as it was then), a
    click on its own."""
    by_group: OrderedDict[int, list[Prompt]] = OrderedDict()
    for p in prompts:
        by_group.setdefault(p.group, []).append(p)
    for members in by_group.values():
        frame, label = members[0].key
        if members[0].batched:
            same = batch_members(prompts, (frame, label))
            upto = same[: max(same.index(p) for p in members) + 1]
            send(frame, label, upto, True)
        else:
            send(frame, label, members, False)
