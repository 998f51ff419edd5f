"""pathwise_grad reparameterizes with the variance: z = μ + σ²·ε instead of z = μ + σ·ε.

σ² in place of σ: the draws come from N(μ, σ⁴), not q. For ∂/∂μ the mean is still 2(μ − a),
but ∂/∂σ becomes f'(z)·2σε with mean 4σ³ instead of 2σ, wrong for every σ but 1/√2.
"""

import torch

import vae_lessons.estimators as estimators


def pathwise_grad(f, q_fn, params, *, samples=1, repeats=1):
    def surrogate(q, n):
        eps = torch.randn((n, samples) + q.batch_shape + q.event_shape)
        return f(q.mean + q.variance * eps).reshape(n, -1).mean(1)

    return estimators._grad_estimates(surrogate, q_fn, params, samples, repeats)


estimators.pathwise_grad = pathwise_grad
