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

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .model: SphinxModel load_sphinx_model find_model_dir clear_sphinx_model_cache
    .mdef: ModelDefinition read_mdef WPOS_NAMES
    .gauden: GaussianCodebooks load_codebooks read_gauden
    .mixw: read_sendump read_mixture_weights
    .tmat: read_transition_matrices
    .dictionary: read_dictionary read_noisedict read_feat_params
    .frontend: FrontEndConfig sphinx_cepstra sphinx_features sphinx_frontend
    .scoring: SenoneScorer
    .graph: AlignmentGraph build_graph
    .s3file: S3Reader read_s3_file write_s3_file
""")
