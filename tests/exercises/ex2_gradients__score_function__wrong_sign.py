# wrong: the score's sign flipped, (μ − z)/σ² instead of (z − μ)/σ²
z = mu + sigma * torch.randn(n, generator=generator, dtype=torch.float64)
return f(z) * (mu - z) / sigma**2
