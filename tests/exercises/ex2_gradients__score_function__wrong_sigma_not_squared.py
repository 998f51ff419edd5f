# wrong: (z − μ)/σ in place of (z − μ)/σ² (the score of N(μ, σ²) divides by the variance)
z = mu + sigma * torch.randn(n, generator=generator, dtype=torch.float64)
return f(z) * (z - mu) / sigma
