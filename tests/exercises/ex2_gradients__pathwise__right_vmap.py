# right: per-draw gradients with torch.func: grad of f(μ + σε) in μ, vectorized over ε by vmap
eps = torch.randn(n, generator=generator, dtype=torch.float64)
mu_t = torch.tensor(mu, dtype=torch.float64)
per_draw = torch.func.grad(lambda m, e: f(m + sigma * e))
return torch.func.vmap(per_draw, in_dims=(None, 0))(mu_t, eps)
