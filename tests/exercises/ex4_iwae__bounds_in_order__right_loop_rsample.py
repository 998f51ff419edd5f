# right: a loop over the repeats with q.rsample (global random stream) and iwae_bound on each [k, B] block
rows = []
for _ in range(repeats):
    z = q.rsample((k,))  # [k, B, z_dim]
    log_w = model.decoder(z).log_prob(x) + model.prior.log_prob(z) - q.log_prob(z)  # [k, B]
    rows.append(iwae_bound(log_w))
return torch.stack(rows)
