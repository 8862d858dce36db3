"""The one error base: what happened and what to do next, shown as one line by the CLIs and the app."""


class EvidenceError(Exception):
    """A user-facing failure whose message says what to do next."""


class IndexMissingError(EvidenceError):
    pass


class CorpusReadError(EvidenceError):
    pass
