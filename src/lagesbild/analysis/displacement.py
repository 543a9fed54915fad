r"""Weighted displacement quotient (Bowers & Johnson 2003).

With counts in the target area :math:`A`, the buffer around it :math:`B` and a control area
:math:`C`, before (:math:`b`) and after (:math:`a`) an intervention:

.. math::

    \text{success} = \frac{A_a}{C_a} - \frac{A_b}{C_b}, \qquad
    \text{displacement} = \frac{B_a}{C_a} - \frac{B_b}{C_b}, \qquad
    \mathrm{WDQ} = \frac{\text{displacement}}{\text{success}}.

The success measure must be negative (crime fell in the target relative to the control) for the
WDQ to be meaningful. Then a negative displacement measure (WDQ > 0) means a *diffusion of
benefits* to the buffer; a positive one (WDQ < 0) means displacement into it; WDQ < -1 means more
crime was displaced than was prevented. The total net effect (Guerette 2009) in crimes,

.. math::

    \mathrm{TNE} = \left(A_b \frac{C_a}{C_b} - A_a\right) + \left(B_b \frac{C_a}{C_b} - B_a\right),

counts the crimes prevented in target and buffer together relative to the control trend
(positive = fewer crimes than expected).

References
----------
Bowers, K. J. & Johnson, S. D. (2003). Measuring the geographical displacement and diffusion of
benefit effects of crime prevention activity. *J. Quantitative Criminology* 19(3), 275-301.
Guerette, R. T. (2009). *Analyzing Crime Displacement and Diffusion*. Problem-Oriented Guides for
Police, Problem-Solving Tools Series No. 10. US DoJ, COPS Office.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["DisplacementResult", "weighted_displacement_quotient"]


@dataclass(frozen=True)
class DisplacementResult:
    """The WDQ with its parts; see the module docstring for the formulas."""

    target_before: float
    target_after: float
    buffer_before: float
    buffer_after: float
    control_before: float
    control_after: float
    success_measure: float
    displacement_measure: float
    wdq: float
    total_net_effect: float
    interpretation: str

    def to_dict(self) -> dict:
        return asdict(self)


def _interpret(success: float, displacement: float, wdq: float) -> str:
    if not success < 0:
        return "no success in the target relative to the control: WDQ not meaningful"
    if displacement < 0:
        return "diffusion of benefits to the buffer"
    if displacement == 0:
        return "no displacement and no diffusion"
    if wdq < -1:
        return "displacement larger than the reduction in the target (net harm)"
    return "displacement to the buffer, smaller than the reduction in the target"


def weighted_displacement_quotient(
    target_before: float,
    target_after: float,
    buffer_before: float,
    buffer_after: float,
    control_before: float,
    control_after: float,
) -> DisplacementResult:
    """Bowers & Johnson's WDQ, success and displacement measures, and the total net effect.

    Examples
    --------
    >>> r = weighted_displacement_quotient(100, 60, 50, 55, 400, 400)
    >>> round(r.success_measure, 4), round(r.displacement_measure, 4), round(r.wdq, 4)
    (-0.1, 0.0125, -0.125)
    """
    ab, aa, bb, ba, cb, ca = (
        float(v)
        for v in (
            target_before,
            target_after,
            buffer_before,
            buffer_after,
            control_before,
            control_after,
        )
    )
    if not (cb > 0 and ca > 0):
        raise ValueError("control counts must be positive")
    success = aa / ca - ab / cb
    displacement = ba / ca - bb / cb
    wdq = displacement / success if success != 0 else math.nan
    tne = (ab * ca / cb - aa) + (bb * ca / cb - ba)
    return DisplacementResult(
        ab,
        aa,
        bb,
        ba,
        cb,
        ca,
        success,
        displacement,
        wdq,
        tne,
        _interpret(success, displacement, wdq),
    )
