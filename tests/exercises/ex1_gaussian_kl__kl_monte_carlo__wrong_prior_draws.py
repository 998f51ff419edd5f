# wrong: z drawn from the prior p = N(0, I) instead of from q
std = (0.5 * log_var).exp()
z = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
log_q = Normal(mu, std).log_prob(z).sum(-1)
log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)
return log_q - log_p
