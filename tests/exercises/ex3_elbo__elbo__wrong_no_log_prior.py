# wrong: log p(z) dropped, so the value is log p(x|z) − log q(z|x) (half of the KL term is missing)
eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
z = mu + torch.exp(0.5 * log_var) * eps
return model.decoder(z).log_prob(x) - gaussian_log_likelihood(z, mu, log_var)
