# wrong: q and p swapped, so this computes KL(p ‖ q) instead of KL(q ‖ p)
var_ratio = (log_var_p - log_var_q).exp()
mean_term = (mu_q - mu_p) ** 2 / log_var_q.exp()
return 0.5 * (var_ratio + mean_term - (log_var_p - log_var_q) - 1).sum(-1)
