# wrong: z built from a detached μ, so f(z) has no path back to μ (autograd raises)
eps = torch.randn(n, generator=generator, dtype=torch.float64)
mu_leaf = torch.full((n,), mu, dtype=torch.float64, requires_grad=True)
z = mu_leaf.detach() + sigma * eps
(grad,) = torch.autograd.grad(f(z).sum(), mu_leaf)
return grad
