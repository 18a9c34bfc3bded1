"""``OneEuroFilter`` against the published algorithm (Casiez et al., CHI
2012), written out here for one scalar signal."""
import math

import numpy as np
import pytest

from levitpose_lite.smoothing import OneEuroFilter


def published_one_euro(samples, times, min_cutoff, beta, d_cutoff):
    """The 1-euro filter of the paper, step by step, for scalars."""

    def alpha(rate, cutoff):
        tau = 1.0 / (2 * math.pi * cutoff)
        te = 1.0 / rate
        return 1.0 / (1.0 + tau / te)

    out, x_prev, dx_prev, t_prev = [], None, 0.0, None
    for x, t in zip(samples, times):
        if x_prev is None:
            x_hat = x
        else:
            rate = 1.0 / (t - t_prev)
            dx = (x - x_prev) * rate
            a_d = alpha(rate, d_cutoff)
            dx_prev = a_d * dx + (1 - a_d) * dx_prev
            cutoff = min_cutoff + beta * abs(dx_prev)
            a = alpha(rate, cutoff)
            x_hat = a * x + (1 - a) * x_prev
        out.append(x_hat)
        x_prev, t_prev = x_hat, t
    return np.array(out)


def test_matches_the_published_filter_elementwise():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.06, size=60))  # uneven sampling
    signal = np.stack([np.sin(3 * times),
                       np.cos(times) * 50, times**2 * 20],
                      axis=1)
    signal = signal + rng.normal(0, 0.5, size=signal.shape)
    params = dict(min_cutoff=1.5, beta=0.3, d_cutoff=1.0)
    smoother = OneEuroFilter(**params)
    filtered = np.stack([smoother(x, t) for x, t in zip(signal, times)])
    for column in range(signal.shape[1]):
        expected = published_one_euro(signal[:, column], times, **params)
        np.testing.assert_allclose(filtered[:, column], expected, rtol=1e-12)


def test_speed_scale_multiplies_the_speed_in_the_cutoff():
    times = np.arange(20) / 30.
    signal = np.linspace(0, 100, 20)**1.5
    scaled = OneEuroFilter(beta=0.5)
    expected = published_one_euro(signal, times, 1.0, 0.05, 1.0)
    got = [scaled(x, t, speed_scale=0.1) for x, t in zip(signal, times)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_first_sample_passes_unchanged():
    x = np.array([[3., 4.], [5., 6.]])
    np.testing.assert_array_equal(OneEuroFilter()(x, 0.), x)


def test_filter_removes_jitter_of_a_still_signal():
    rng = np.random.default_rng(1)
    noisy = 10 + rng.normal(0, 1, size=100)
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    out = [smoother(x, i / 30.) for i, x in enumerate(noisy)]
    assert np.std(out[20:]) < 0.5 * np.std(noisy[20:])


def test_time_must_increase():
    smoother = OneEuroFilter()
    smoother(np.zeros(2), 1.0)
    with pytest.raises(ValueError, match='time must increase'):
        smoother(np.zeros(2), 1.0)


def test_shape_must_not_change():
    smoother = OneEuroFilter()
    smoother(np.zeros(2), 0.0)
    with pytest.raises(ValueError, match='shape'):
        smoother(np.zeros(3), 1.0)


@pytest.mark.parametrize('kwargs,match', [(dict(min_cutoff=0), 'min_cutoff'),
                                          (dict(d_cutoff=-1), 'd_cutoff'),
                                          (dict(beta=-0.1), 'beta')])
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OneEuroFilter(**kwargs)
