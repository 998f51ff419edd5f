# wrong: the k log-weights averaged (the k-sample ELBO) instead of passed through iwae_bound
eps = torch.randn((k, repeats, *q.mean.shape), generator=generator, dtype=q.mean.dtype)
z = q.mean + q.stddev * eps
log_w = model.decoder(z).log_prob(x) + model.prior.log_prob(z) - q.log_prob(z)
return log_w.mean(0)
