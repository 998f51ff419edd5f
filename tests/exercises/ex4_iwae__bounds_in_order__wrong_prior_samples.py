# wrong: z drawn from the prior N(0, I) (the noise ε itself, μ + σ·ε forgotten) while log w still uses q
z = torch.randn((k, repeats, *q.mean.shape), generator=generator, dtype=q.mean.dtype)
log_w = model.decoder(z).log_prob(x) + model.prior.log_prob(z) - q.log_prob(z)
return iwae_bound(log_w.reshape(k, -1)).reshape(repeats, x.shape[0])
