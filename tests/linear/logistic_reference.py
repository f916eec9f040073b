"""Reference values for fit_test.cc's logistic and softmax cases, by an independent solver.

Plain Python (no numpy): Newton's method with the exact Hessian, iterated to machine precision,
on the same tiny datasets as the test. Penalties follow sluice::linear's definition:
  mean_i s_i loss_i / mean_i s_i + l2/2 ||w||^2 (intercept not penalized),
with `standardize` meaning w applies to (x - mean) / sd (weighted mean, population sd), and the
printed coefficients mapped back to original units. Run: python3 logistic_reference.py
"""
import math

X = [[0.5, 1.0], [1.5, -0.5], [2.0, 0.3], [-1.0, 2.0], [0.0, 0.0], [3.0, 1.0],
     [-2.0, -1.0], [1.0, 1.0], [2.5, -2.0], [-0.5, 0.5], [0.7, -1.2], [-1.5, 1.5]]
Y = [1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1]
S = [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1, 1, 1]


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def logistic(x, y, s, l2, standardize):
    n, d = len(x), len(x[0])
    W = sum(s)
    mean = [sum(s[i] * x[i][j] for i in range(n)) / W for j in range(d)]
    sd = [math.sqrt(sum(s[i] * (x[i][j] - mean[j]) ** 2 for i in range(n)) / W) if standardize
          else 1.0 for j in range(d)]
    z = [[(x[i][j] - mean[j]) / sd[j] for j in range(d)] + [1.0] for i in range(n)]
    theta = [0.0] * (d + 1)
    for _ in range(100):
        g = [0.0] * (d + 1)
        h = [[0.0] * (d + 1) for _ in range(d + 1)]
        for i in range(n):
            m = sum(theta[j] * z[i][j] for j in range(d + 1))
            p = 1 / (1 + math.exp(-m))
            for j in range(d + 1):
                g[j] += s[i] * (p - y[i]) * z[i][j] / W
                for k in range(d + 1):
                    h[j][k] += s[i] * p * (1 - p) * z[i][j] * z[i][k] / W
        for j in range(d):
            g[j] += l2 * theta[j]
            h[j][j] += l2
        step = solve(h, g)
        theta = [theta[j] - step[j] for j in range(d + 1)]
    w = [theta[j] / sd[j] for j in range(d)]
    b = theta[d] - sum(w[j] * mean[j] for j in range(d))
    return w, b


for standardize in (False, True):
    w, b = logistic(X, Y, S, 0.1, standardize)
    print("standardize", standardize, "weights", [repr(v) for v in w], "intercept", repr(b))
