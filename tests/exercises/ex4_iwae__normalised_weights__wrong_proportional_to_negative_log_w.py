# wrong: weights proportional to −log w (the negative ELBO of each sample), normalised to sum to 1
return -log_w / (-log_w).sum(0, keepdim=True)
