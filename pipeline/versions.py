"""Wire versions: what a new version of an item does, given the last one dedup recorded for its article id.

An agency sends one item several times under one guid: the first take, writethrus and corrections (a higher
version each), and sometimes a kill (pubStatus canceled or withheld). Versions of one guid share the article id
(`models.article_id_for`), hence the Kafka key and partition, so they reach dedup in the order they were sent
unless the provider itself sent them out of order; this module decides from the version numbers alone."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from wiredesk.pipeline.models import WireAction, WireMeta


class Seen(BaseModel):
    """The last version of an article id that dedup acted on (stored as ``v:<article_id>``)."""

    model_config = ConfigDict(frozen=True)

    version: int | None
    killed: bool = False
    action: WireAction = WireAction.NEW
    seen: float  # eviction clock (epoch seconds), like an article record's
    story_id: str | None = None
    # Articles whose story facts the action changed (a kill hands the canonical role on): sent again on a replay.
    updated: tuple[str, ...] = ()


class Decision(StrEnum):
    NEW = "new"  # never seen: deduplicate as usual
    REPLAY = "replay"  # the version acted on last, redelivered: the same answer again (idempotence)
    UPDATE = "update"  # a higher version of an article in the window: replace it, same story
    STALE = "stale"  # not newer than what was acted on: ignore
    KILL = "kill"  # take the article out of the window and the index


def _newer(incoming: int | None, last: int | None) -> bool:
    # An unversioned item (a plain file, a feed entry without dates) is version "none", older than any number:
    # only a numbered version can replace another.
    return incoming is not None and (last is None or incoming > last)


def decide(wire: WireMeta, last: Seen | None, in_window: bool) -> Decision:
    """`last` is what was recorded for the article id (None: nothing); `in_window` whether dedup holds the article
    itself (an article processed before versions were recorded has an article record but no `Seen`)."""
    if last is None:
        if wire.is_kill:
            return Decision.KILL
        if not in_window:
            return Decision.NEW
        return Decision.UPDATE if wire.version is not None else Decision.REPLAY
    if wire.version == last.version and wire.is_kill == last.killed:
        return Decision.REPLAY
    if wire.is_kill:
        # A kill without a version still kills (kill notices often repeat no version number); a kill of an older
        # version than the one acted on was overtaken by a writethru.
        older = wire.version is not None and last.version is not None and wire.version < last.version
        return Decision.STALE if older else Decision.KILL
    if last.killed:
        # Re-issued after the kill only with a higher version than the kill named; a kill that named no version
        # ends the item, so whatever arrives later under its guid is a late copy.
        return Decision.NEW if last.version is not None and _newer(wire.version, last.version) else Decision.STALE
    if not _newer(wire.version, last.version):
        return Decision.STALE
    return Decision.UPDATE if in_window else Decision.NEW
