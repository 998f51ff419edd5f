"""LinearGaussian.posterior uses σ where σ² belongs: Σ = (I + WᵀW/σ)⁻¹, mean Σ Wᵀ(x − b)/σ.

For σ = 1 nothing changes, which is why a test at σ = 1 would miss it; at σ = 0.05 the
posterior is far too wide and its mean too small.
"""

import torch
from torch.distributions import MultivariateNormal

import vae_lessons.models as models


def posterior(self, x):
    sigma = self.log_sigma.exp()  # should be sigma ** 2
    eye = torch.eye(self.z_dim, dtype=self.W.dtype, device=self.W.device)
    cov = torch.linalg.inv(eye + self.W.T @ self.W / sigma)
    loc = (x - self.b) @ self.W @ cov / sigma
    return MultivariateNormal(loc, covariance_matrix=cov.expand(x.shape[0], -1, -1))


models.LinearGaussian.posterior = posterior
