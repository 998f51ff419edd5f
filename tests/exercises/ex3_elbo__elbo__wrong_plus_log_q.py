# wrong: + log q(z|x) instead of − log q(z|x) (the entropy enters with the wrong sign)
eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
z = mu + torch.exp(0.5 * log_var) * eps
return model.decoder(z).log_prob(x) + model.prior.log_prob(z) + gaussian_log_likelihood(z, mu, log_var)
