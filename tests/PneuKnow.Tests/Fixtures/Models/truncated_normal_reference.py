"""Prints the truncated-normal reference numbers hard-coded in Models/InitialisationTests.cs (scipy.stats.truncnorm).

Run with Debian's python3-scipy: /usr/bin/python3 truncated_normal_reference.py
Each case: mean, std, bounds a and b (absolute, as torch's trunc_normal_), then the truncated distribution's mean,
standard deviation and its CDF at the listed points.
"""
from scipy.stats import truncnorm

CASES = [
    (0.0, 1.0, -1.0, 2.0, [-0.5, 0.0, 0.5, 1.0, 1.5]),
    (0.5, 2.0, -1.0, 3.0, [-0.5, 0.0, 0.5, 1.0, 1.5]),
    (0.0, 1.0, 1.0, 3.0, [1.1, 1.25, 1.5, 2.0, 2.5]),
]

for mean, std, a, b, points in CASES:
    d = truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    print(mean, std, a, b, repr(d.mean()), repr(d.std()), points, [repr(d.cdf(x)) for x in points])
