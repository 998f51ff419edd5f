# right: the score ∂/∂μ log q(z) by autograd of Normal.log_prob at fixed draws (one μ copy per draw)
z = mu + sigma * torch.randn(n, generator=generator, dtype=torch.float64)
mu_leaf = torch.full((n,), float(mu), dtype=torch.float64, requires_grad=True)
log_q = torch.distributions.Normal(mu_leaf, sigma).log_prob(z)
(score,) = torch.autograd.grad(log_q.sum(), mu_leaf)
return f(z) * score
