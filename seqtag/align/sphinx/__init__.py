"""Readers for Sphinx (PocketSphinx / SphinxTrain) acoustic models.

:func:`load_sphinx_model` reads a whole model folder (by default the US-English
model shipped in the ``pocketsphinx`` wheel) into a :class:`SphinxModel`; the
per-file readers are :func:`read_mdef`, :func:`load_codebooks` /
:func:`read_gauden`, :func:`read_sendump`, :func:`read_mixture_weights`,
:func:`read_transition_matrices`, :func:`read_dictionary`,
:func:`read_noisedict` and :func:`read_feat_params`. Everything is NumPy;
log values are natural logs with ``-inf`` for impossible events.

What seqtag builds on them: PocketSphinx's front end (:mod:`.frontend`, bit-identical
cepstra), senone scoring with top-N Gaussian selection (:mod:`.scoring`), and the
HMM of a transcript (:mod:`.graph`), decoded by :mod:`seqtag.chains.banded` in
:class:`~seqtag.align.aligners.english.EnglishAligner`.

Names are imported lazily.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

_LAZY = {
    "SphinxModel": "seqtag.align.sphinx.model",
    "load_sphinx_model": "seqtag.align.sphinx.model",
    "find_model_dir": "seqtag.align.sphinx.model",
    "clear_sphinx_model_cache": "seqtag.align.sphinx.model",
    "ModelDefinition": "seqtag.align.sphinx.mdef",
    "read_mdef": "seqtag.align.sphinx.mdef",
    "WPOS_NAMES": "seqtag.align.sphinx.mdef",
    "GaussianCodebooks": "seqtag.align.sphinx.gauden",
    "load_codebooks": "seqtag.align.sphinx.gauden",
    "read_gauden": "seqtag.align.sphinx.gauden",
    "read_sendump": "seqtag.align.sphinx.mixw",
    "read_mixture_weights": "seqtag.align.sphinx.mixw",
    "read_transition_matrices": "seqtag.align.sphinx.tmat",
    "read_dictionary": "seqtag.align.sphinx.dictionary",
    "read_noisedict": "seqtag.align.sphinx.dictionary",
    "read_feat_params": "seqtag.align.sphinx.dictionary",
    "FrontEndConfig": "seqtag.align.sphinx.frontend",
    "sphinx_cepstra": "seqtag.align.sphinx.frontend",
    "sphinx_features": "seqtag.align.sphinx.frontend",
    "sphinx_frontend": "seqtag.align.sphinx.frontend",
    "SenoneScorer": "seqtag.align.sphinx.scoring",
    "AlignmentGraph": "seqtag.align.sphinx.graph",
    "build_graph": "seqtag.align.sphinx.graph",
    "S3Reader": "seqtag.align.sphinx.s3file",
    "read_s3_file": "seqtag.align.sphinx.s3file",
    "write_s3_file": "seqtag.align.sphinx.s3file",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
