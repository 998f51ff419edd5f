# wrong: z detached from μ before f, so backward() never reaches μ (μ.grad stays None)
eps = torch.randn(n, generator=generator, dtype=torch.float64)
mu_leaf = torch.full((n,), mu, dtype=torch.float64, requires_grad=True)
z = (mu_leaf + sigma * eps).detach().requires_grad_()
f(z).sum().backward()
return mu_leaf.grad
