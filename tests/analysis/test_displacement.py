import math

import pytest

from lagesbild.analysis.displacement import weighted_displacement_quotient


def test_hand_computed_example():
    # A: 120 -> 80, B: 60 -> 66, C: 1000 -> 1100 (control up 10 %)
    r = weighted_displacement_quotient(120, 80, 60, 66, 1000, 1100)
    success = 80 / 1100 - 120 / 1000  # -0.047272...
    disp = 66 / 1100 - 60 / 1000  # 0.0
    assert r.success_measure == pytest.approx(success)
    assert r.displacement_measure == pytest.approx(disp, abs=1e-15)
    assert r.wdq == pytest.approx(0.0, abs=1e-12)
    # expected after = before * 1.1: A 132, B 66 -> TNE = (132 - 80) + (66 - 66) = 52
    assert r.total_net_effect == pytest.approx(52.0)


def test_displacement_and_diffusion_and_no_success():
    d = weighted_displacement_quotient(100, 60, 50, 70, 400, 400)
    assert d.wdq == pytest.approx((70 / 400 - 50 / 400) / (60 / 400 - 100 / 400))  # -0.5
    assert "displacement" in d.interpretation
    f = weighted_displacement_quotient(100, 60, 50, 40, 400, 400)
    assert f.wdq == pytest.approx(0.25) and "diffusion" in f.interpretation
    h = weighted_displacement_quotient(100, 90, 50, 80, 400, 400)
    assert h.wdq < -1 and "net harm" in h.interpretation
    n = weighted_displacement_quotient(100, 100, 50, 40, 400, 400)
    assert math.isnan(n.wdq) and "not meaningful" in n.interpretation
    assert n.to_dict()["control_before"] == 400


def test_control_must_be_positive():
    with pytest.raises(ValueError):
        weighted_displacement_quotient(1, 1, 1, 1, 0, 1)
