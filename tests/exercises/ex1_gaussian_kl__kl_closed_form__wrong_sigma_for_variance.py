# wrong: σ in place of σ² in the variance term (exp(½ log_var) where exp(log_var) belongs)
sigma = (0.5 * log_var).exp()
return 0.5 * (mu**2 + sigma - log_var - 1).sum(-1)
