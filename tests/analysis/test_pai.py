"""PAI and PEI against their closed forms on hand-checkable maps."""

import numpy as np
import pytest

from lagesbild.analysis.pai import predictive_accuracy, predictive_accuracy_curve


def test_hand_example():
    # 10 cells, test events 5, 3, 1, 1: the map flags the second cell only
    test = np.array([5, 3, 1, 1, 0, 0, 0, 0, 0, 0])
    hot = np.zeros(10, bool)
    hot[1] = True
    r = predictive_accuracy(test, hot=hot)
    # hit rate 3/10 on 1/10 of the area: PAI 3; the best single cell holds 5: PEI 3/5
    assert (r.hits, r.events, r.hit_rate, r.area_share) == (3.0, 10.0, 0.3, 0.1)
    assert r.pai == pytest.approx(3.0) and r.best_hits == 5.0 and r.pei == pytest.approx(0.6)


def test_perfect_and_chance_maps():
    rng = np.random.default_rng(0)
    test = rng.poisson(1.0, (20, 20)).astype(float)
    perfect = predictive_accuracy(test, score=test, area_share=0.1)
    assert perfect.pei == pytest.approx(1.0)
    assert perfect.pai == pytest.approx(
        test.ravel()[np.argsort(-test.ravel())[:40]].sum() / test.sum() / 0.1
    )
    whole = predictive_accuracy(test, score=rng.uniform(size=test.shape), area_share=1.0)
    assert whole.pai == pytest.approx(1.0) and whole.hit_rate == pytest.approx(1.0)


def test_training_map_predicts_a_persistent_hot_spot():
    rng = np.random.default_rng(1)
    risk = np.ones((30, 30))
    risk[10:13, 10:13] = 20.0  # a persistent hot spot
    train, test = rng.poisson(risk * 0.2), rng.poisson(risk * 0.2)
    curve = predictive_accuracy_curve(train, test, area_shares=(0.01, 0.05))
    assert [round(c.area_share, 3) for c in curve] == [0.01, 0.05]
    assert curve[0].pai > 5 and 0 < curve[0].pei <= 1


def test_mask_limits_the_study_area():
    test = np.array([[4, 0], [0, 100]])
    mask = np.array([[True, True], [True, False]])
    r = predictive_accuracy(test, hot=np.array([[True, False], [False, False]]), mask=mask)
    assert r.cells == 3 and r.events == 4 and r.pai == pytest.approx(3.0)
    with pytest.raises(ValueError):
        predictive_accuracy(test)
