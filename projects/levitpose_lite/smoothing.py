"""The One-Euro filter (1€ filter) for keypoint trajectories.

G. Casiez, N. Roussel and D. Vogel, "1€ Filter: A Simple Speed-based
Low-pass Filter for Noisy Input in Interactive Systems", CHI 2012,
https://doi.org/10.1145/2207676.2208639. For a sample ``x`` at time ``t``
(``T_e`` seconds after the previous one), with the previous outputs
``x_hat'`` and ``dx_hat'``::

    alpha(f_c)  = 1 / (1 + tau / T_e),    tau = 1 / (2 * pi * f_c)
    dx          = (x - x_hat') / T_e
    dx_hat      = alpha(d_cutoff) * dx + (1 - alpha(d_cutoff)) * dx_hat'
    f_c         = min_cutoff + beta * |dx_hat|
    x_hat       = alpha(f_c) * x + (1 - alpha(f_c)) * x_hat'

The first sample passes unchanged (``dx_hat = 0``). Slow signals get a low
cutoff (jitter removed), fast ones a high cutoff (little lag). Every
element of an array is filtered independently (each keypoint coordinate).

Our one addition, for pose: ``speed_scale`` multiplies ``|dx_hat|`` in the
cutoff, so that ``beta`` can be given per unit of person size (the tracker
passes ``1 / person height``) and the filter behaves the same on near and
far people. With ``speed_scale=1`` it is the published filter.
"""
import math
from typing import Optional

import numpy as np

__all__ = ['OneEuroFilter']


class OneEuroFilter:
    """A One-Euro filter over arrays of a fixed shape.

    Args:
        min_cutoff (float): Cutoff frequency (Hz) of a still signal; lower
            removes more jitter, with more lag at low speed. Defaults to 1.0.
        beta (float): Speed coefficient; higher reduces lag when moving.
            Its unit is the inverse of the speed's (times ``speed_scale``).
            Defaults to 0.0 (a plain first-order low-pass filter).
        d_cutoff (float): Cutoff frequency (Hz) of the speed estimate.
            Defaults to 1.0 (the paper's choice).
    """

    def __init__(self,
                 min_cutoff: float = 1.0,
                 beta: float = 0.0,
                 d_cutoff: float = 1.0) -> None:
        for name, value in (('min_cutoff', min_cutoff), ('d_cutoff',
                                                         d_cutoff)):
            if not value > 0:
                raise ValueError(f'{name} must be > 0 Hz, got {value!r}')
        if not beta >= 0:
            raise ValueError(f'beta must be >= 0, got {beta!r}')
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.x_hat: Optional[np.ndarray] = None
        self.dx_hat: Optional[np.ndarray] = None
        self.t: Optional[float] = None

    @staticmethod
    def alpha(cutoff, period: float):
        """Smoothing factor of an exponential filter with cutoff ``cutoff``
        (Hz, scalar or array) sampled every ``period`` seconds."""
        tau = 1. / (2 * math.pi * np.asarray(cutoff, np.float64))
        return 1. / (1. + tau / period)

    def __call__(self,
                 x: np.ndarray,
                 t: float,
                 speed_scale: float = 1.0) -> np.ndarray:
        """Filter one sample.

        Args:
            x (np.ndarray): The sample; every call must have one shape.
            t (float): Its time in seconds, later than the previous one.
            speed_scale (float): Factor on ``|dx_hat|`` in the cutoff (see
                the module docstring). Defaults to 1.0.

        Returns:
            np.ndarray: The filtered sample (float64, the shape of ``x``).
        """
        x = np.asarray(x, np.float64)
        if self.x_hat is None:
            self.x_hat, self.dx_hat, self.t = x.copy(), np.zeros_like(x), t
            return x.copy()
        if x.shape != self.x_hat.shape:
            raise ValueError(f'sample shape {x.shape} differs from the '
                             f'first sample\'s {self.x_hat.shape}')
        period = t - self.t
        if not period > 0:
            raise ValueError(f'time must increase: got t={t} after '
                             f't={self.t}')
        a_d = self.alpha(self.d_cutoff, period)
        dx = (x - self.x_hat) / period
        self.dx_hat = a_d * dx + (1 - a_d) * self.dx_hat
        cutoff = self.min_cutoff + self.beta * np.abs(
            self.dx_hat) * speed_scale
        a = self.alpha(cutoff, period)
        self.x_hat = a * x + (1 - a) * self.x_hat
        self.t = t
        return self.x_hat.copy()
