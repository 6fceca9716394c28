"""The bug zoo: a dozen broken backprops to diagnose with the project's tools.

Each bug is a small program (a hand-written backward pass, a 30-line engine, a training loop, an
initialisation, a softmax) that gets gradients wrong or uses them wrongly. It states the symptom
you would meet and the tools that show the cause: ``autograd.gradcheck``, ``trace_backward``, the
explorer, ``detect_anomaly``, ``nn.health`` and its ``UpdateRecorder``::

    from nn import bugs
    bug = bugs.get(3)
    print(bug)              # the situation, the symptom, the tools, the broken code
    bug.run()               # the symptom, reproduced
    bug.check("...")        # your diagnosis: a key of bugs.DIAGNOSES (some need a detail: op="...")
    bug.check_fix(MyFix)    # your repaired version passes the test the hidden reference fix passes

Notebook 12 walks through them. Modules: ``zoo`` (the frame, ``DIAGNOSES``), ``handwritten`` (bugs
1, 2, 11), ``engines`` (3, 10), ``training`` (4 to 8, 12), ``numerics`` (9).
"""

from __future__ import annotations

from nn.bugs import engines, handwritten, numerics, training  # noqa: F401  (each registers its bugs)
from nn.bugs.zoo import DIAGNOSES, ZOO, Bug, Demo, check, get

__all__ = ["DIAGNOSES", "ZOO", "Bug", "Demo", "check", "get"]
