"""Models and inference: the only package of photosearch that imports torch or transformers.

Nothing here loads a model at import. `registry.get(role)` loads one on first use, once per
process, and keeps it; the web process only ever asks for the text roles (to embed queries).
Import `search.ml.errors` freely: it needs no torch.
"""
