"""The explorer: the whole backward pass, paths and nudges on one picture laid out once.

:func:`explore` returns an :class:`Explorer` (a Jupyter widget, a page with
``save``), :func:`draw_backward_steps` writes the page. The page's
JavaScript, CSS and HTML template are the files in ``assets/``.
"""

from autograd.drawing.explorer.session import Explorer, draw_backward_steps, explore

__all__ = ["Explorer", "draw_backward_steps", "explore"]
