# wrong: exponentiates the log-weights, which underflows to 0 (log 0 = −inf) around −1000
return torch.log(torch.exp(log_w).mean(0))
