# wrong: z drawn without reparameterization (detached), so no gradient flows through z to μ
eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
z = (mu + torch.exp(0.5 * log_var) * eps).detach()
return model.decoder(z).log_prob(x) + model.prior.log_prob(z) - gaussian_log_likelihood(z, mu, log_var)
