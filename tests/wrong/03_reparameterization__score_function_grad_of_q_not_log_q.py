"""score_function_grad weights f by ∇q(z) instead of ∇log q(z): the log-derivative trick half done.

The surrogate is (f(z) − b)·q(z) instead of (f(z) − b)·log q(z), so each estimate is
(f − b)·q·∇log q: every term carries an extra factor q(z). The estimates are biased, and they
no longer equal f(z)·ε/σ and f(z)·(ε² − 1)/σ on the same draws.
"""

import vae_lessons.estimators as estimators


def score_function_grad(f, q_fn, params, *, samples=1, repeats=1, baseline=0.0):
    def surrogate(q, n):
        z = q.sample((n, samples))
        return ((f(z).detach() - baseline) * q.log_prob(z).exp()).reshape(n, -1).mean(1)

    return estimators._grad_estimates(surrogate, q_fn, params, samples, repeats)


estimators.score_function_grad = score_function_grad
