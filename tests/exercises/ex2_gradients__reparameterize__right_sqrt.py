# right: σ as the square root of the variance, written with torch.sqrt and torch.addcmul
return torch.addcmul(mu, torch.sqrt(torch.exp(log_var)), eps)
