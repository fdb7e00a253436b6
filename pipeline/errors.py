"""Exceptions decide a message's fate: a PermanentError dead-letters it at once, a TransientError is retried
with backoff (the stream waits, which is the backpressure), anything unexpected is dead-lettered too so a
bug in one article never stops the stream."""


class WiredeskError(Exception):
    """Base of every error the pipeline raises on purpose."""


class PermanentError(WiredeskError):
    """Retrying cannot help (invalid input, a document the mapping rejects): dead-letter with this reason."""


class InvalidInput(PermanentError):
    """The article itself is unusable: empty, binary, not UTF-8, malformed JSON, missing fields, too large."""


class CorrectionRefused(PermanentError):
    """An editor's correction that cannot apply (an unknown story, an article outside the dedup window)."""


class TransientError(WiredeskError):
    """The outside world is unwell (Elasticsearch 429/5xx, a timeout, broker unavailable): retry later."""
