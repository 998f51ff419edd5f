# wrong: the plain mean of the log-weights, (1/k) Σ_i log w_i, instead of logsumexp − log k
return log_w.mean(0)
