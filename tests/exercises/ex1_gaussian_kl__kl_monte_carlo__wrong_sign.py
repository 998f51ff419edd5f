# wrong: log p(z) − log q(z) (the sign of the log-ratio flipped)
std = (0.5 * log_var).exp()
eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
z = mu + std * eps
log_q = Normal(mu, std).log_prob(z).sum(-1)
log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)
return log_p - log_q
