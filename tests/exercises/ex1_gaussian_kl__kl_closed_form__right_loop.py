# right: a Python loop over the dimensions, one closed-form term at a time
kl = torch.zeros(mu.shape[0], dtype=mu.dtype)
for j in range(mu.shape[1]):
    m, lv = mu[:, j], log_var[:, j]
    kl = kl + 0.5 * (m * m + torch.exp(lv) - lv - 1.0)
return kl
