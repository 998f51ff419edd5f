# wrong: − log k forgotten, so the result is log Σ_i w_i
return torch.logsumexp(log_w, dim=0)
